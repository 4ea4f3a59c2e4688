"""The launch token is a credential: gunicorn's access log (gunicorn.conf.py) never writes it down,
whether it came in the request line, the Referer or a header, and whatever the log format names."""
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from cluster_support import BIN, ROOT, free_port, stop_group

pytestmark = pytest.mark.slow

SECRET = "SECRETTOKENabc.def-123"
# gunicorn's default format plus every atom that could carry the token.
FORMAT = '%(h)s "%(r)s" %(s)s "%(f)s" q=%(q)s ref=%({referer}i)s hdr=%({x-launch-token}i)s'


def _serve(port: int, tmp_path: Path, log: Path) -> subprocess.Popen:
    """gunicorn as the Procfile runs it, with the access log in `log`."""
    env = {**os.environ, "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'tool.sqlite3'}",
           "SECRET_KEY": "x" * 32, "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
    env.pop("XDG_RUNTIME_DIR", None)
    return subprocess.Popen([str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "--no-control-socket",
                             "-b", f"127.0.0.1:{port}", "--access-logformat", FORMAT, "elearn:create_app()"],
                            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _get(url: str, **kwargs) -> requests.Response:
    """GET, retrying while gunicorn starts."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return requests.get(url, timeout=10, **kwargs)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_launch_token_in_url_referer_or_header_stays_out_of_the_access_log(tmp_path):
    port, log = free_port(), tmp_path / "gunicorn.log"
    proc = _serve(port, tmp_path, log)
    try:
        base = f"http://127.0.0.1:{port}"
        _get(f"{base}/healthz?lt={SECRET}&lang=en",
             headers={"Referer": f"{base}/catalog/?x=1&lt={SECRET}", "X-Launch-Token": SECRET})
        deadline = time.monotonic() + 10
        while "/healthz" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_group(proc, wait=20)
    text = log.read_text()
    line = next(row for row in text.splitlines() if "/healthz" in row)
    assert SECRET not in text
    assert '"GET /healthz?lt=[redacted]&lang=en HTTP/1.1" 200' in line      # the rest of the line stays useful
    assert "q=lt=[redacted]&lang=en" in line and "ref=" + f"{base}/catalog/?x=1&lt=[redacted]" in line
    assert "hdr=[redacted]" in line
