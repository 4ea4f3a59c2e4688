"""Helpers shared by the benchmarks (bench/run.py, bench/launch.py): a throw-away database, the
tool's app in-process, registration with the demolms platform, gunicorn in a process group,
percentiles, the overall time budget."""
from __future__ import annotations

import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

PG_ADMIN = "postgresql://127.0.0.1:5432/test"
REQUEST_TIMEOUT = 60


class Timeout(Exception):
    """The overall time budget ran out."""


def alarm(*_):
    """SIGALRM handler: the hard stop of the overall budget."""
    raise Timeout("overall time budget exhausted")


# ---------------------------------------------------------------- database

def create_database(kind: str, stack: ExitStack) -> tuple[str, str]:
    """A fresh database; returns (SQLAlchemy URL, DATABASE_URL for the tool). Dropped on exit."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-")
        stack.callback(shutil.rmtree, folder, ignore_errors=True)  # the SQLite file goes with it
        url = f"sqlite:///{folder}/bench.sqlite3"
        return url, url
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    stack.callback(drop_database, name)
    return f"postgresql+psycopg://127.0.0.1:5432/{name}", f"postgresql://127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    """Drop a bench database, closing whatever still holds it."""
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped database {name}")


def make_app(db_url: str, **config):
    """The tool's app in this process (schema, courses, registration, answers, worker)."""
    from elearn import create_app

    settings = {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": db_url,
                "DEMO_LMS": True, "GRADES_INLINE": False, "REDIS_URL": None}
    settings.update(config)
    return create_app(settings)


def dispose(app) -> None:
    """Close this process's database connections (before the database is dropped)."""
    from elearn.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def prepare_schema(app, courses: Path) -> None:
    """Run the migrations and load the curriculum."""
    from flask_migrate import upgrade

    from elearn.catalog.loader import load_directory

    with app.app_context():
        upgrade()
        load_directory(courses)


def register(app, tool_url: str, platform) -> None:
    """Register the tool with the platform and the platform with the tool (as launch_support.connect)."""
    from elearn.extensions import db
    from lti.registry import add_platform

    tool = platform.register_tool(login_url=f"{tool_url}/lti/login", launch_url=f"{tool_url}/lti/launch",
                                  jwks_url=f"{tool_url}/lti/jwks")
    with app.app_context():
        add_platform(db.session, issuer=platform.issuer, client_id=tool["client_id"],
                     deployment_ids=tool["deployment_ids"], auth_login_url=platform.auth_login_url,
                     auth_token_url=platform.auth_token_url, key_set_url=platform.key_set_url, name="Demo LMS")
        db.session.commit()


# ---------------------------------------------------------------- processes

def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tool_env(database_url: str, **extra: str) -> dict:
    """Environment of the tool's processes: the bench database, outbox left to a worker."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"VBHC_ENV", "REDIS_URL", "PROXY_FIX", "TOOL_BASE_URL", "WEB_CONCURRENCY"}}
    env.update(DATABASE_URL=database_url, SECRET_KEY="bench-secret-" + secrets.token_hex(8), GRADES_INLINE="0",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def spawn(cmd: list[str], env: dict, log: Path, stack: ExitStack) -> subprocess.Popen:
    """Start a subprocess in its own process group, output to `log`; stopped on exit."""
    out = open(log, "ab")
    stack.callback(out.close)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    stack.callback(stop_process, proc)
    return proc


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it after 10 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def gunicorn_command(args, port: int, extra: tuple[str, ...] = ()) -> list[str]:
    """The gunicorn command line (the project's gunicorn.conf.py, bound to loopback)."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn, "--config", str(ROOT / "gunicorn.conf.py"), "-w", str(args.web_workers),
            "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "--access-logfile", "-", *extra,
            "elearn:create_app()"]


def start_gunicorn(args, port: int, database_url: str, log: Path, stack: ExitStack, *,
                   extra: tuple[str, ...] = (), env: dict | None = None) -> str:
    """Serve the tool with gunicorn on `port`; returns its URL once /healthz answers."""
    env = dict(env or tool_env(database_url))
    # The tool sizes its connection pool from GUNICORN_THREADS (elearn.config), not from --threads.
    env.setdefault("GUNICORN_THREADS", str(args.threads))
    proc = spawn(gunicorn_command(args, port, extra), env, log, stack)
    if hasattr(args, "__dict__"):
        args.gunicorn_pid = proc.pid  # the master, whose children are the workers
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {log}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return url
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not healthy after 30 s; see {log}")


def children_of(pid: int) -> list[int]:
    """Processes whose parent is `pid` (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may contain spaces and parentheses
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def proc_status(pid: int) -> dict[str, str]:
    """The fields of /proc/<pid>/status."""
    status = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.strip()
    return status


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB."""
    status = proc_status(pid)

    def kb(name: str) -> int:
        match = re.match(r"(\d+)", status.get(name, "0"))
        return int(match.group(1)) if match else 0

    return kb("VmRSS"), kb("VmHWM")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (/proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over cores (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, sum(values[:8]) / tick


# ---------------------------------------------------------------- figures

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]
