"""gunicorn.conf.py as the Procfile's `web:` uses it: several instances on one host each get a
control socket of their own (gunicorn's default is one path per user, which they would fight over)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from cluster_support import BIN, ROOT, free_port, stop_group

pytestmark = pytest.mark.slow


def _serve(port: int, home: Path, log: Path, database_url: str) -> subprocess.Popen:
    env = {**os.environ, "HOME": str(home), "DATABASE_URL": database_url, "SECRET_KEY": "x" * 32,
           "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
    env.pop("XDG_RUNTIME_DIR", None)
    return subprocess.Popen([str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"),
                             "-b", f"127.0.0.1:{port}", "elearn:create_app()"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _control_socket(log: Path, proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        found = re.search(r"Control socket listening at (\S+)", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(log.read_text())


@pytest.fixture
def home():
    """A short HOME for the instances: a socket path has at most 107 bytes, and pytest's tmp_path
    under xdist (/tmp/pytest-of-root/pytest-N/popen-gwN/test_…0/.gunicorn/…) is longer than that."""
    path = Path(tempfile.mkdtemp(prefix="gc-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_two_instances_on_one_host_keep_their_own_control_socket(tmp_path, home):
    database_url = f"sqlite:///{tmp_path / 'tool.sqlite3'}"
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"instance-{n}.log" for n in (0, 1)]
    procs = [_serve(port, home, log, database_url) for port, log in zip(ports, logs)]
    try:
        sockets = [_control_socket(log, proc) for log, proc in zip(logs, procs)]
        assert sockets[0] != sockets[1]
        assert all(Path(path).parent == home / ".gunicorn" and str(port) in path
                   for path, port in zip(sockets, ports))
        for path, port, proc in zip(sockets, ports, procs):      # each socket answers for its own instance
            status = subprocess.run([str(BIN / "gunicornc"), "-s", path, "-c", "show stats", "-j"],
                                    capture_output=True, text=True, timeout=20)
            assert status.returncode == 0, status.stdout + status.stderr
            assert json.loads(status.stdout)["pid"] == proc.pid
            assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        for proc in procs:
            stop_group(proc, wait=20)
    for log in logs:
        assert "Control server error" not in log.read_text(), log.read_text()
