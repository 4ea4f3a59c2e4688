"""Several tool instances behind one balancer, sharing PostgreSQL and Redis, for the services tests
(tests/test_many_instances.py, tests/test_burst_faults.py).

Each instance is a gunicorn subprocess on its own database-backed app, the balancer
(tests/balancer.py) hands requests to them in turn, the demolms platform knows the tool only by the
balancer's URL, and scores go out through separate `flask --app elearn grades run` workers
(GRADES_INLINE=0), as in the Procfile. Optionally the tool's processes reach PostgreSQL through a
TCP proxy (tests/tcpproxy.py) that can play a database restart.

Needs TEST_DATABASE_URL=postgresql://… (each test creates and drops a database of its own on that
server) and Redis (TEST_REDIS_URL; a key prefix of the test's own, deleted afterwards).
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import func, select

from balancer import Balancer
from elearn.extensions import db
from launch_support import connect, lt_of, make_browser, random_prefix, redis_or_skip, redis_url
from quiz_support import MODULE, VALID, answers, attempt_id_of, form_token
from tcpproxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LINK = "rl-many"
HTTP_TIMEOUT = 20          # any single request
TEST_BUDGET = 55           # seconds: the whole test, set-up and clean-up included, or it fails
STARTUP_TIMEOUT = 20       # gunicorn answering /healthz


class Budget(Exception):
    """The test ran out of time."""


def _admin_url() -> str:
    """TEST_DATABASE_URL as psycopg wants it, or skip when it is not PostgreSQL."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url.startswith("postgresql+psycopg://"):
        url = "postgresql://" + url[len("postgresql+psycopg://"):]
    if not url.startswith("postgresql://"):
        pytest.skip("many-instance tests need TEST_DATABASE_URL=postgresql://… (and Redis)")
    return url


def _with_database(url: str, name: str, netloc: str | None = None) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, netloc or parts.netloc, "/" + name, parts.query, ""))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(proc: subprocess.Popen, sig=signal.SIGTERM, wait: float = 8) -> None:
    """Signal the process group; SIGKILL it if it is still there after `wait` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def result_redirect(resp: requests.Response) -> bool:
    """Whether a submit answered with the redirect to its result page."""
    return resp.status_code in (302, 303) and urlsplit(resp.headers.get("Location", "")).path.endswith("/result")


@dataclass
class Learner:
    """A learner with a saved attempt, ready to submit."""

    sub: str
    browser: requests.Session
    lt: str
    attempt_id: int
    token: str


class Cluster:
    """A database of its own, the platform, the balancer, `size` gunicorn instances, workers.

    db_proxy=True puts a TcpProxy between every tool process (instances and workers) and
    PostgreSQL: `cluster.db_proxy.go_down()` / `come_back()`. The test's own app (set-up, checks)
    always connects directly.
    """

    def __init__(self, stack: ExitStack, logs: Path, size: int = 2, workers: int = 2, threads: int = 4,
                 db_proxy: bool = False, platform_options: dict | None = None):
        import psycopg
        from flask_migrate import upgrade

        from demolms.testing import PlatformServer
        from elearn import create_app
        from elearn.catalog.loader import load_directory

        self.stack, self.logs = stack, logs
        admin = _admin_url()
        self.redis = redis_or_skip()
        self.prefix = random_prefix()
        self.database_name = name = f"many_{secrets.token_hex(5)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        stack.callback(self._drop_database, admin, name)
        self.admin_url = admin
        self.database_url = _with_database(admin, name)
        self.db_proxy: TcpProxy | None = None
        self.process_database_url = self.database_url    # what the tool's processes connect to
        if db_proxy:
            server = urlsplit(admin)
            self.db_proxy = TcpProxy((server.hostname or "127.0.0.1", server.port or 5432)).start()
            stack.callback(self.db_proxy.stop)
            auth = server.netloc.rsplit("@", 1)[0] + "@" if "@" in server.netloc else ""
            self.process_database_url = _with_database(admin, name, f"{auth}127.0.0.1:{self.db_proxy.port}")
        self.secret = "many-instances-" + secrets.token_hex(16)   # one secret for all: tokens and cookies
        self.app = create_app({"TESTING": True, "SECRET_KEY": self.secret, "DEMO_LMS": False,
                               "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + self.database_url[13:],
                               "REDIS_URL": redis_url(), "LTI_REDIS_PREFIX": self.prefix, "GRADES_INLINE": False})
        stack.callback(self._dispose)
        with self.app.app_context():
            upgrade()                          # the instances run on the migrated schema, as in production
            load_directory(VALID)
            db.session.remove()
        stack.callback(self._clear_redis)
        self.platform = PlatformServer.start(**(platform_options or {}))
        stack.callback(self.platform.stop)
        self.balancer = Balancer(timeout=HTTP_TIMEOUT).start()
        stack.callback(self.balancer.stop)
        self.url = self.balancer.url
        self.platform_pk = connect(self.app, self.url, self.platform)  # the platform knows only the balancer
        self.instances: list[subprocess.Popen] = []
        self.ports = ports = [free_port() for _ in range(size)]
        for index, port in enumerate(ports):
            self.instances.append(self._spawn(
                [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
                 "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "3",
                 "--access-logfile", "-", self._factory()], f"instance-{index}"))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for proc, url in zip(self.instances, urls):
            self._wait_healthy(proc, url)
        self.balancer.set_backends(urls)
        self.worker: subprocess.Popen | None = None          # the first worker started
        self.workers: list[subprocess.Popen] = []
        self.worker_names: list[str] = []                     # their log names

    # ---------------------------------------------------------------- processes

    def _factory(self) -> str:
        """The app factory call (gunicorn and flask take literal arguments): the Redis prefix."""
        return f"elearn:create_app({{'LTI_REDIS_PREFIX': {self.prefix!r}}})"

    def _env(self, extra: dict | None = None) -> dict:
        env = {k: v for k, v in os.environ.items()
               if k not in {"VBHC_ENV", "PROXY_FIX", "TOOL_BASE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS",
                            "DEMO_LMS", "FLASK_APP"} and not k.startswith(("TEST_", "GRADES_"))}
        env.update(DATABASE_URL=self.process_database_url, SECRET_KEY=self.secret, REDIS_URL=redis_url(),
                   GRADES_INLINE="0", GRADES_BACKOFF_BASE="0.2", GRADES_BACKOFF_CAP="1", PYTHONUNBUFFERED="1")
        env.update(extra or {})
        return env

    def _spawn(self, cmd: list[str], log_name: str, env: dict | None = None) -> subprocess.Popen:
        out = open(self.logs / f"{log_name}.log", "ab")
        self.stack.callback(out.close)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self._env(env), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.stack.callback(stop_group, proc)
        return proc

    @staticmethod
    def _wait_healthy(proc: subprocess.Popen, url: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"gunicorn at {url} exited with {proc.returncode}"
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn at {url} not healthy after {STARTUP_TIMEOUT} s")

    def start_worker(self, name: str = "worker", env: dict | None = None, http_timeout: float | None = None,
                     ready: bool = False) -> subprocess.Popen:
        """The Procfile's `worker:` process, polling every 0.2 s (log: `<name>.log`); `env` adds
        settings (GRADES_LEASE_SECONDS=…), `http_timeout` shortens the LMS HTTP timeout
        (LMS_HTTP_TIMEOUT, so that "slower than the timeout" fits a test's budget); `ready` waits
        until it runs (see wait_running)."""
        env = dict(env or {})
        if http_timeout is not None:
            env["LMS_HTTP_TIMEOUT"] = str(http_timeout)
        cmd = [str(BIN / "flask"), "--app", self._factory(), "grades", "run", "--poll", "0.2"]
        proc = self._spawn(cmd, name, env)
        self.workers.append(proc)
        self.worker_names.append(name)
        self.worker = self.worker or proc
        if ready:
            self.wait_running(name)
        return proc

    def wait_running(self, name: str) -> None:
        """Until the worker logged that it runs (building the app takes seconds: a fault
        timeline should start after that)."""
        proc = self.workers[self.worker_names.index(name)]
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.log_lines(name, "grade worker running"):
            assert proc.poll() is None, f"{name} exited with {proc.returncode}\n{self.log_tail(name)}"
            assert time.monotonic() < deadline, f"{name} not running after {STARTUP_TIMEOUT} s"
            time.sleep(0.05)

    def kill(self, index: int) -> None:
        """SIGKILL an instance: master and workers at once, as when its machine dies. Returns when
        its port refuses connections: the master's exit alone does not mean that (under load a
        gunicorn worker still holding the listening socket lets the kernel accept a connection,
        then resets it mid-request)."""
        proc = self.instances[index]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.ports[index]), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.005)
        raise AssertionError(f"instance {index} still accepts connections 5 s after SIGKILL")

    def log_errors(self, skip: set[str] = frozenset()) -> list[str]:
        """Traceback/ERROR lines in the processes' logs (500s, crashed deliveries)."""
        return [f"{log.name}: {line}" for log in sorted(self.logs.glob("*.log")) if log.stem not in skip
                for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or "[ERROR]" in line]

    def log_lines(self, name: str, needle: str) -> list[str]:
        """The lines of a process's log that contain `needle`."""
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return [line for line in text.splitlines() if needle in line]

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # ---------------------------------------------------------------- database

    def attempt(self, attempt_id: int):
        """An attempt with its paper and quiz, read from the shared database (detached)."""
        from elearn.quizzes.models import Attempt

        with self.app.app_context():
            attempt = db.session.get(Attempt, attempt_id)
            attempt.version.quiz  # noqa: B018 (load before detaching)
            db.session.expunge_all()
            db.session.remove()
            return attempt

    def scalar(self, query):
        with self.app.app_context():
            value = db.session.scalar(query)
            db.session.remove()
            return value

    def rows(self, query) -> list:
        """The rows of a query (tuples), read from the shared database."""
        with self.app.app_context():
            found = [tuple(row) for row in db.session.execute(query).all()]
            db.session.remove()
            return found

    def terminate_backends(self) -> int:
        """pg_terminate_backend() every server process of this test's database but the caller's:
        a real server-side kill of the connections the tool's processes hold. How many."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                                    (self.database_name,)).fetchall())

    def _dispose(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    @staticmethod
    def _drop_database(admin: str, name: str) -> None:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _clear_redis(self) -> None:
        for key in self.redis.scan_iter(self.prefix + "*"):
            self.redis.delete(key)

    # ---------------------------------------------------------------- learners

    def prepare(self, sub: str) -> Learner:
        """Launch (login and launch through the balancer), start the post-test, save perfect answers."""
        browser = make_browser()
        resp = self.platform.launch(browser, role="learner", user=sub, locale="en", resource_link_id=LINK,
                                    custom={"module": MODULE})
        assert resp.status_code == 200 and urlsplit(resp.url).path == f"/modules/{MODULE}", (resp.url, resp.text[:500])
        assert resp.url.startswith(self.url)
        lt = lt_of(resp.url)
        page = browser.post(f"{self.url}/modules/{MODULE}/post-test", data={"lt": lt}, timeout=HTTP_TIMEOUT)
        assert page.status_code == 200 and "/post-test/" in page.url, (page.status_code, page.text[:500])
        attempt_id = attempt_id_of(page)
        data = dict(answers(self.attempt(attempt_id)), lt=lt, token=form_token(page.text))
        review = browser.post(f"{self.url}/post-test/{attempt_id}", data=data, timeout=HTTP_TIMEOUT)
        assert review.status_code == 200 and "/review" in review.url, (review.status_code, review.text[:500])
        return Learner(sub, browser, lt, attempt_id, form_token(review.text))

    def submit(self, learner: Learner) -> requests.Response:
        return learner.browser.post(f"{self.url}/post-test/{learner.attempt_id}/submit",
                                    data={"lt": learner.lt, "token": learner.token}, allow_redirects=False,
                                    timeout=HTTP_TIMEOUT)

    def wait_delivered(self, expected: int, timeout: float = 20) -> None:
        """Until `expected` outbox rows are delivered and none is pending (then a moment more, so a
        duplicate on its way would have arrived)."""
        from elearn.grades.models import DELIVERED, GradeDelivery

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delivered = self.scalar(select(func.count()).select_from(GradeDelivery)
                                    .where(GradeDelivery.status == DELIVERED))
            if delivered >= expected and len(self.platform.scores) >= expected:
                time.sleep(1.0)  # five worker rounds: time for a second copy to show up
                return
            time.sleep(0.1)
        tails = "\n".join(f"--- {name}\n{self.log_tail(name)}" for name in self.worker_names)
        raise AssertionError(f"outbox not drained: {delivered} of {expected} delivered, "
                             f"{len(self.platform.scores)} scores at the platform\n{tails}")


@pytest.fixture()
def make_cluster(tmp_path):
    """make_cluster(**options) → a Cluster; the whole test bounded by TEST_BUDGET seconds (SIGALRM),
    everything it started stopped and its database dropped afterwards."""
    def out_of_time(*_):
        raise Budget(f"the test took more than {TEST_BUDGET} s")

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TEST_BUDGET)
    try:
        with ExitStack() as stack:
            yield lambda **options: Cluster(stack, tmp_path, **options)
            signal.alarm(0)  # clean-up runs unhurried
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture()
def cluster(make_cluster):
    """Two instances behind the balancer (see make_cluster)."""
    return make_cluster()
