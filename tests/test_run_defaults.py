"""The README's run command is safe by default: `bash bin/run` listens on loopback only, and the
demo administrator's password is new at every start (no well-known demo/demo to sign in with from
the network). Production (no VBHC_ENV=development) never mounts the demo LMS or seeds demo accounts."""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import requests

from cluster_support import free_port, stop_group
from launch_support import make_browser

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _listeners(port: int) -> set[str]:
    """The local addresses (hex, as the kernel writes them) with a TCP socket listening on port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def _start(tmp_path, port: int, **env) -> tuple[subprocess.Popen, Path]:
    """bash bin/run on its own SQLite file and port; its output goes to a file."""
    log = tmp_path / "run.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE_URL", "HOST", "REDIS"))}
    clean.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", PORT=str(port), WEB_CONCURRENCY="1",
                 GRADES_INLINE="0", **env)
    proc = subprocess.Popen(["bash", "bin/run"], cwd=ROOT, env=clean, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def _wait_until_serving(proc, log: Path, port: int) -> None:
    """Until the demo LMS answers on 127.0.0.1 (migrations, courses and pip run first)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}/demo/", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or busy starting
            pass
        time.sleep(0.5)
    raise AssertionError("bin/run did not answer in 240 s:\n" + log.read_text()[-3000:])


def _sign_in(port: int, email: str, password: str) -> requests.Response:
    browser = make_browser()
    page = browser.get(f"http://127.0.0.1:{port}/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return browser.post(f"http://127.0.0.1:{port}/admin/login",
                        data={"csrf_token": token, "email": email, "password": password})


def test_bin_run_listens_on_loopback_with_a_fresh_demo_admin_password(tmp_path):
    port = free_port()
    proc, log = _start(tmp_path, port)
    try:
        _wait_until_serving(proc, log, port)
        assert _listeners(port) == {"0100007F"}, "bin/run must listen on 127.0.0.1 only"
        output = log.read_text()
        password = re.search(r"admin@demo\.local with the password (\S+)", output).group(1)
        assert password != "demo" and len(password) >= 12
        assert _sign_in(port, "admin@demo.local", "demo").status_code == 401
        assert _sign_in(port, "admin@demo.local", password).status_code == 200
    finally:
        stop_group(proc)
    # A second start gives another password; the first no longer signs in.
    proc, log = _start(tmp_path, port)
    try:
        _wait_until_serving(proc, log, port)
        second = re.search(r"admin@demo\.local with the password (\S+)", log.read_text()).group(1)
        assert second != password
        assert _sign_in(port, "admin@demo.local", password).status_code == 401
    finally:
        stop_group(proc)


def test_production_mounts_no_demo_and_seeds_no_demo_accounts(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DEMO_LMS", "VBHC_ENV"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}", SECRET_KEY="x" * 32, FLASK_APP="elearn")
    flask = str(ROOT / ".venv" / "bin" / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = subprocess.run([flask, "accreditation", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert seeded.returncode != 0 and "DEMO_LMS" in seeded.stderr + seeded.stdout
    demo = subprocess.run([flask, "demo", "setup"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert demo.returncode != 0 and "No such command" in demo.stderr
    from elearn import create_app

    app = create_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
    assert not app.config["DEMO_LMS"]
    assert app.test_client().get("/demo/").status_code == 404
