"""Several tool instances behind one balancer, sharing PostgreSQL and Redis: each instance is a
gunicorn subprocess on its own database-backed app, the balancer (tests/balancer.py) hands requests
to them in turn, the demolms platform knows the tool only by the balancer's URL, and scores go out
through a separate `flask --app elearn grades run` worker (GRADES_INLINE=0), as in the Procfile.

Needs TEST_DATABASE_URL=postgresql://… (each test creates and drops a database of its own on that
server) and Redis (TEST_REDIS_URL; a key prefix of the test's own, deleted afterwards).
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import func, select

from balancer import ERROR_HEADER, Balancer
from elearn.extensions import db
from launch_support import connect, error_code, lt_of, make_browser, random_prefix, redis_or_skip, redis_url
from quiz_support import MODULE, VALID, answers, attempt_id_of, form_token

pytestmark = pytest.mark.services

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


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM, wait: float = 8) -> None:
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


@dataclass
class Learner:
    """A learner with a saved attempt, ready to submit."""

    sub: str
    browser: requests.Session
    lt: str
    attempt_id: int
    token: str


class Cluster:
    """A database of its own, the platform, the balancer, `size` gunicorn instances, the worker."""

    def __init__(self, stack: ExitStack, logs: Path, size: int = 2, workers: int = 2, threads: int = 4):
        import psycopg
        from flask_migrate import upgrade

        from demolms.testing import PlatformServer
        from elearn import create_app
        from elearn.catalog.loader import load_directory

        self.stack, self.logs = stack, logs
        admin = _admin_url()
        self.redis = redis_or_skip()
        self.prefix = random_prefix()
        name = f"many_{secrets.token_hex(5)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        stack.callback(self._drop_database, admin, name)
        self.database_url = _with_database(admin, name)
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
        self.platform = PlatformServer.start()
        stack.callback(self.platform.stop)
        self.balancer = Balancer(timeout=HTTP_TIMEOUT).start()
        stack.callback(self.balancer.stop)
        self.url = self.balancer.url
        connect(self.app, self.url, self.platform)  # the platform knows only the balancer's URL
        self.instances: list[subprocess.Popen] = []
        ports = [_free_port() for _ in range(size)]
        for index, port in enumerate(ports):
            self.instances.append(self._spawn(
                [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
                 "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "3",
                 "--access-logfile", "-", self._factory()], f"instance-{index}"))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for proc, url in zip(self.instances, urls):
            self._wait_healthy(proc, url)
        self.balancer.set_backends(urls)
        self.worker: subprocess.Popen | None = None

    # ---------------------------------------------------------------- processes

    def _factory(self) -> str:
        """The app factory call (gunicorn and flask take literal arguments): the Redis prefix."""
        return f"elearn:create_app({{'LTI_REDIS_PREFIX': {self.prefix!r}}})"

    def _env(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if k not in {"VBHC_ENV", "PROXY_FIX", "TOOL_BASE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS",
                            "DEMO_LMS", "FLASK_APP"} and not k.startswith(("TEST_", "GRADES_"))}
        env.update(DATABASE_URL=self.database_url, SECRET_KEY=self.secret, REDIS_URL=redis_url(),
                   GRADES_INLINE="0", GRADES_BACKOFF_BASE="0.2", GRADES_BACKOFF_CAP="1", PYTHONUNBUFFERED="1")
        return env

    def _spawn(self, cmd: list[str], log_name: str) -> subprocess.Popen:
        out = open(self.logs / f"{log_name}.log", "ab")
        self.stack.callback(out.close)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self._env(), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.stack.callback(_stop, proc)
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

    def start_worker(self) -> None:
        """The Procfile's `worker:` process, polling every 0.2 s."""
        self.worker = self._spawn([str(BIN / "flask"), "--app", self._factory(), "grades", "run", "--poll", "0.2"],
                                  "worker")

    def kill(self, index: int) -> None:
        """SIGKILL an instance: master and workers at once, as when its machine dies."""
        proc = self.instances[index]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)

    def log_errors(self, skip: set[str] = frozenset()) -> list[str]:
        """Traceback/ERROR lines in the processes' logs (500s, crashed deliveries)."""
        return [f"{log.name}: {line}" for log in sorted(self.logs.glob("*.log")) if log.stem not in skip
                for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or "[ERROR]" in line]

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
        raise AssertionError(f"outbox not drained: {delivered} of {expected} delivered, "
                             f"{len(self.platform.scores)} scores at the platform\n{self.log_tail('worker')}")


@pytest.fixture()
def cluster(tmp_path):
    """Two instances behind the balancer; the whole test bounded by TEST_BUDGET seconds (SIGALRM)."""
    def out_of_time(*_):
        raise Budget(f"the test took more than {TEST_BUDGET} s")

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(TEST_BUDGET)
    try:
        with ExitStack() as stack:
            yield Cluster(stack, tmp_path)
            signal.alarm(0)  # clean-up runs unhurried
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _result_redirect(resp: requests.Response) -> bool:
    return resp.status_code in (302, 303) and urlsplit(resp.headers.get("Location", "")).path.endswith("/result")


def test_learner_flow_alternating_between_instances_delivers_the_score_once(cluster):
    from elearn.grades.models import GradeDelivery
    from lti.models import OidcState, UsedNonce

    learner = cluster.prepare("learner-many-a")
    log = list(cluster.balancer.log)
    (login,) = [f for f in log if f.path == "/lti/login"]
    (launch,) = [f for f in log if f.path == "/lti/launch"]
    assert login.backend != launch.backend           # OIDC state written by one instance, read by the other
    assert cluster.scalar(select(func.count()).select_from(OidcState)) == 0      # it lived in Redis
    assert cluster.scalar(select(func.count()).select_from(UsedNonce)) == 0
    assert list(cluster.redis.scan_iter(cluster.prefix + "nonce:*"))

    submitted = cluster.submit(learner)
    assert _result_redirect(submitted), (submitted.status_code, submitted.text[:500])
    result = learner.browser.get(urljoin(cluster.url, submitted.headers["Location"]), timeout=HTTP_TIMEOUT)
    assert result.status_code == 200, result.text[:500]
    again = cluster.submit(learner)                  # a double click, landing on the other instance
    assert again.status_code == 409 and error_code(again) == "finished"

    log = list(cluster.balancer.log)
    served = [f.backend for f in log]
    assert all(f.status and f.status < 500 for f in log), [(f.target, f.status, f.error) for f in log]
    assert all(a != b for a, b in zip(served, served[1:])), served   # every request on the other instance
    paths = [f.path for f in log]
    assert paths[:3] == ["/lti/login", "/lti/launch", f"/modules/{MODULE}"]
    assert paths.count(f"/post-test/{learner.attempt_id}/submit") == 2

    cluster.start_worker()                           # only now: no worker request interleaves above
    cluster.wait_delivered(1)
    (score,) = cluster.platform.scores
    attempt = cluster.attempt(learner.attempt_id)
    assert score["userId"] == "learner-many-a" and score["gradingProgress"] == "FullyGraded"
    assert score["scoreGiven"] == pytest.approx(float(attempt.percent)) and attempt.finished_at is not None
    assert cluster.scalar(select(func.count()).select_from(GradeDelivery)) == 1
    assert cluster.log_errors() == []


LEARNERS = 30


def test_an_instance_killed_mid_burst_loses_no_submit_and_doubles_no_score(cluster):
    from elearn.grades.models import DELIVERED, GradeDelivery
    from elearn.quizzes.models import Attempt

    cluster.start_worker()                           # delivering while the burst and the kill happen
    with ThreadPoolExecutor(6) as pool:
        learners = list(pool.map(cluster.prepare, [f"burst-{i:03d}" for i in range(LEARNERS)]))

    barrier = threading.Barrier(LEARNERS + 1)
    done = threading.Semaphore(0)
    completed = [0]
    lock = threading.Lock()

    def first_try(learner: Learner):
        learner.browser.close()                     # a fresh connection, as after minutes on the review page
        barrier.wait(timeout=10)
        try:
            return cluster.submit(learner)
        except requests.RequestException as exc:    # the connection itself failed
            return exc
        finally:
            with lock:
                completed[0] += 1
            done.release()

    killed = {}

    def killer():
        """Kill instance 0 once a third of the submits are answered and it is serving more of them."""
        barrier.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                answered = completed[0]
            if answered >= LEARNERS // 3 and any(t.endswith("/submit") for t in cluster.balancer.in_flight(0)):
                killed["in_flight"] = cluster.balancer.in_flight(0)
                killed["answered"] = answered
                killed["at"] = time.monotonic()
                cluster.kill(0)
                return
            if answered == LEARNERS:
                return
            time.sleep(0.0005)

    with ThreadPoolExecutor(LEARNERS + 1) as pool:
        kill = pool.submit(killer)
        firsts = list(pool.map(first_try, learners))
        kill.result()
    assert killed, "instance 0 was never caught serving a submit mid-burst (burst too fast?)"
    assert killed["answered"] < LEARNERS

    outcome: Counter = Counter()
    problems = []
    for learner, resp in zip(learners, firsts):
        if isinstance(resp, requests.Response) and _result_redirect(resp):
            outcome["ok"] += 1
            continue
        failed_at_connection = isinstance(resp, Exception) or (
            resp.status_code in (502, 503) and resp.headers.get(ERROR_HEADER))
        if not failed_at_connection:
            problems.append((learner.sub, "first", resp.status_code, resp.text[:300]))
            continue
        retry = cluster.submit(learner)             # the browser's one retry, as a learner would press again
        if _result_redirect(retry):
            outcome["retried-ok"] += 1
        elif retry.status_code == 409 and error_code(retry) == "finished":
            outcome["retried-already-submitted"] += 1
        else:
            problems.append((learner.sub, "retry", retry.status_code, retry.text[:300]))
    assert problems == [], problems

    ids = [learner.attempt_id for learner in learners]
    finished = cluster.scalar(select(func.count()).select_from(Attempt)
                              .where(Attempt.id.in_(ids), Attempt.finished_at.is_not(None)))
    assert finished == LEARNERS, outcome
    cluster.wait_delivered(LEARNERS)
    per_learner = Counter(score["userId"] for score in cluster.platform.scores)
    assert per_learner == Counter({learner.sub: 1 for learner in learners}), per_learner
    assert cluster.scalar(select(func.count()).select_from(GradeDelivery)) == LEARNERS
    assert cluster.scalar(select(func.count()).select_from(GradeDelivery)
                          .where(GradeDelivery.status == DELIVERED)) == LEARNERS
    survivors = cluster.balancer.served_by(1)
    assert any(f.started > killed["at"] for f in survivors)       # the burst went on after the kill
    assert cluster.log_errors(skip={"instance-0"}) == []
    print(f"\nburst of {LEARNERS}: {dict(outcome)}; killed with {len(killed['in_flight'])} request(s) in flight "
          f"after {killed['answered']} answers; refused connects "
          f"{sum(len(f.refused) for f in cluster.balancer.log)}")
