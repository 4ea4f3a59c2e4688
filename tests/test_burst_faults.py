"""A burst of learners submitting while things break: the database restarts, the LMS's token and
score endpoints go down, throttle and slow down, a grade worker is SIGKILLed with rows leased.
After recovery every learner's attempt is finished once and every score is at the LMS once.

The cluster tests (services) run real processes (tests/cluster_support.py): two gunicorn instances
behind tests/balancer.py, `flask … grades run` workers, PostgreSQL and Redis on loopback, the demolms
platform with its fault injection. Each is bounded by cluster_support.TEST_BUDGET seconds.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timezone
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select, update

from cluster_support import HTTP_TIMEOUT, Cluster, Learner, make_cluster, result_redirect  # noqa: F401 (fixture)
from launch_support import error_code
from tcpproxy import TcpProxy

pytestmark = pytest.mark.cluster

SCORES = "/ags/course-1/lineitems/"   # per-line-item requests: the worker only POSTs …/<id>/scores there
OUTAGE_CODE = "database_unavailable"


# ---------------------------------------------------------------- helpers


def _prepare(cluster: Cluster, count: int, prefix: str) -> list[Learner]:
    """`count` learners with saved answers; their browsers speak English, as their LMS does."""
    with ThreadPoolExecutor(6) as pool:
        learners = list(pool.map(cluster.prepare, [f"{prefix}-{i:03d}" for i in range(count)]))
    for learner in learners:
        learner.browser.headers["Accept-Language"] = "en-GB,en;q=0.8"
        learner.browser.close()     # fresh connections, as after minutes on the review page
    return learners


def _outage_page(resp: requests.Response) -> bool:
    """The tool's deliberate "database unavailable" page: 503, Retry-After, the learner's language."""
    return (resp.status_code == 503 and error_code(resp) == OUTAGE_CODE and resp.headers.get("Retry-After") == "5"
            and "Temporarily unavailable" in resp.text and "Traceback" not in resp.text)


def _finished(resp: requests.Response) -> bool:
    return resp.status_code == 409 and error_code(resp) == "finished"


def _deliveries(cluster: Cluster) -> Counter:
    from elearn.grades.models import GradeDelivery

    return Counter(dict(cluster.rows(select(GradeDelivery.status, func.count()).group_by(GradeDelivery.status))))


def _one_score_each(cluster: Cluster, learners: list[Learner]) -> None:
    """Every learner's attempt finished, one delivery each, delivered, and one score each at the LMS."""
    from elearn.quizzes.models import Attempt

    ids = [learner.attempt_id for learner in learners]
    assert cluster.scalar(select(func.count()).select_from(Attempt)) == len(learners)   # no retry made a new one
    assert cluster.scalar(select(func.count()).select_from(Attempt)
                          .where(Attempt.id.in_(ids), Attempt.finished_at.is_not(None))) == len(learners)
    assert _deliveries(cluster) == Counter(delivered=len(learners))                    # nothing pending or parked
    per_learner = Counter(score["userId"] for score in cluster.platform.scores)
    assert per_learner == Counter({learner.sub: 1 for learner in learners}), per_learner


def _score_posts(cluster: Cluster, status: int | None = None) -> list[dict]:
    """The score POSTs the platform answered (with `status`), from its request log."""
    log = list(cluster.platform.requests)
    assert len(log) < 2000, "the platform's request log was trimmed: counts would be wrong"
    return [r for r in log if r["method"] == "POST" and r["path"].startswith(SCORES) and r["path"].endswith("/scores")
            and (status is None or r["status"] == status)]


def _score_posts_in_progress(cluster: Cluster) -> int:
    """Score POSTs that reached the platform and are not answered yet (held by a delay)."""
    arrived = sum(n for path, n in list(cluster.platform.platform.faults.arrivals.items())
                  if path.startswith(SCORES) and path.endswith("/scores"))
    return arrived - len(_score_posts(cluster))


def _epoch(moment) -> float:
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()


# ---------------------------------------------------------------- 1. the database restarts mid-burst

WAVE = 20    # learners per wave: the first submits as the database goes, the second while it is away


@pytest.mark.services
def test_database_restart_mid_burst_every_attempt_finished_once_every_score_once(make_cluster):
    """PostgreSQL "restarts" under the cluster: every connection of the instances and the worker is cut
    and connecting is refused for 3 s (the TCP proxy), then, 1.5 s after it is back, the server kills
    every backend of the database (pg_terminate_backend). Submits in that window get the 503 page and
    the learners press again until it is recorded; the worker survives and takes back the rows its
    broken round had leased (the score of one of them may already be at the LMS: 409, not twice)."""
    from elearn.grades.models import PENDING, GradeDelivery

    cluster = make_cluster(db_proxy=True)
    cluster.platform.delay_for(SCORES, 0.1, seconds=120)  # each score takes 0.1 s: the worker is mid-batch
    worker = cluster.start_worker()                        # booting while the learners get ready
    learners = _prepare(cluster, 2 * WAVE, "restart")
    cluster.wait_running("worker")
    first, second = learners[:WAVE], learners[WAVE:]

    answers: dict[str, list[requests.Response]] = {learner.sub: [] for learner in learners}
    errors: list[tuple[str, str]] = []
    answered = [0]
    lock = threading.Lock()
    down = threading.Event()
    deadline = time.monotonic() + 25

    def learner_submits(learner: Learner) -> None:
        """Press submit; on the outage page wait a moment and press again, as a learner would."""
        while time.monotonic() < deadline:
            try:
                resp = cluster.submit(learner)
            except requests.RequestException as exc:
                errors.append((learner.sub, repr(exc)))
                return
            answers[learner.sub].append(resp)
            with lock:
                answered[0] += len(answers[learner.sub]) == 1
            if not _outage_page(resp):
                return
            time.sleep(0.5)

    leased_at_outage: list[tuple] = []
    events = {}

    def restart() -> None:
        """Once the worker holds leased rows and a few submits are answered: cut the database."""
        while time.monotonic() < deadline:
            with lock:
                enough = answered[0] >= 3
            if enough and cluster.scalar(select(func.count()).select_from(GradeDelivery)
                                         .where(GradeDelivery.lease_owner.is_not(None))):
                break
            time.sleep(0.005)
        cluster.db_proxy.go_down()
        events["down"] = time.monotonic()
        down.set()
        leased_at_outage.extend(cluster.rows(               # the test's own connection goes direct
            select(GradeDelivery.id, GradeDelivery.lease_owner).where(GradeDelivery.status == PENDING,
                                                                      GradeDelivery.lease_owner.is_not(None))))
        time.sleep(3)
        cluster.db_proxy.come_back()
        events["up"] = time.monotonic()
        time.sleep(1.5)
        events["terminated"] = cluster.terminate_backends()   # a real server-side kill, as a restart does

    def second_wave(learner: Learner) -> None:
        down.wait(timeout=20)
        learner_submits(learner)

    with ThreadPoolExecutor(2 * WAVE + 1) as pool:
        restarter = pool.submit(restart)
        futures = [pool.submit(learner_submits, learner) for learner in first]
        futures += [pool.submit(second_wave, learner) for learner in second]
        for future in futures:
            future.result()
        restarter.result()
    assert errors == [], errors

    outcome: Counter = Counter()
    problems = []
    for learner in learners:
        tries = answers[learner.sub]
        *before, last = tries
        if not all(_outage_page(resp) for resp in before):
            problems.append((learner.sub, [(r.status_code, r.text[:200]) for r in before if not _outage_page(r)]))
        if result_redirect(last):
            outcome["recorded" if not before else "recorded-after-retry"] += 1
        elif _finished(last) and before:        # the try that got the 503 had committed after all
            outcome["already-recorded"] += 1
        else:
            problems.append((learner.sub, last.status_code, last.text[:300]))
    assert problems == [], problems
    assert outcome["recorded-after-retry"] + outcome["already-recorded"] >= WAVE, outcome  # the outage was met
    assert outcome["recorded"] >= 1, outcome                                               # and some got through
    assert leased_at_outage, "the worker held no leased row when the database went away"
    assert cluster.db_proxy.cut > 0 and events["terminated"] > 0

    for learner in learners:                  # after the restart and the server-side kill: pools recovered
        page = learner.browser.get(f"{cluster.url}/post-test/{learner.attempt_id}/result",
                                   params={"lt": learner.lt}, timeout=HTTP_TIMEOUT)
        assert page.status_code == 200, (learner.sub, page.status_code, page.text[:300])
    cluster.wait_delivered(2 * WAVE, timeout=20)
    _one_score_each(cluster, learners)
    assert worker.poll() is None, "the grade worker died"
    assert cluster.log_lines("worker", "database unavailable"), cluster.log_tail("worker")
    assert cluster.log_lines("worker", "rounds succeed again"), cluster.log_tail("worker")
    assert cluster.log_errors() == []                       # no traceback anywhere: every failure handled
    for index in range(len(cluster.instances)):             # no gunicorn worker died and was replaced
        assert len(cluster.log_lines(f"instance-{index}", "Booting worker")) == 2
    print(f"\nrestart mid-burst: {dict(outcome)}; {len(leased_at_outage)} row(s) leased at the outage; "
          f"{cluster.db_proxy.cut} connection(s) cut, {events['terminated']} backend(s) terminated; "
          f"{sum(len(a) for a in answers.values())} submits in all")


# ---------------------------------------------------------------- 2. the LMS down, throttling, slow


LEARNERS = 40
TIMEOUT = 3.0    # the workers' LMS_HTTP_TIMEOUT in this test (20 s by default)


@pytest.mark.services
def test_lms_token_and_score_endpoints_down_throttling_and_slow_during_a_burst(make_cluster):
    """40 learners submit at once while the LMS misbehaves, one phase after the other (t in seconds
    from the burst): token endpoint refusing connections 0–3, answering 503 (Retry-After: 1) 3–5;
    score endpoint answering 429 (Retry-After: 2) 5–9, holding requests 4 s (past the workers' 3 s
    timeout: the LMS stores a score the worker gave up on) 9–11 and 2 s (just inside it) 11–14.
    Two workers deliver. Every score arrives once; no row parked; Retry-After was honoured (each
    row at most twice in each throttled window)."""
    cluster = make_cluster()
    # Booting while the learners get ready; idle, they ask the LMS nothing (no token is cached yet).
    workers = [cluster.start_worker(f"worker-{n}", http_timeout=TIMEOUT) for n in (1, 2)]
    learners = _prepare(cluster, LEARNERS, "lms")
    # The token endpoint behind a TCP proxy of its own, so that it can refuse connections; the
    # client assertion's audience stays the platform's token URL (as with Brightspace's audience).
    proxy = TcpProxy(("127.0.0.1", cluster.platform.port)).start()
    cluster.stack.callback(proxy.stop)
    _use_token_url(cluster, f"http://127.0.0.1:{proxy.port}/token")

    for n in (1, 2):                            # the workers running, then the faults, then the burst
        cluster.wait_running(f"worker-{n}")
    cluster.platform.fail_for("/token", 503, seconds=2, after=3, headers={"Retry-After": "1"})
    cluster.platform.fail_for(SCORES, 429, seconds=4, after=5, headers={"Retry-After": "2"})
    cluster.platform.delay_for(SCORES, 4.0, seconds=2, after=9)
    cluster.platform.delay_for(SCORES, 2.0, seconds=3, after=11)
    proxy.go_down()
    threading.Timer(3.0, proxy.come_back).start()   # no gap before the 503 window: that started first
    with ThreadPoolExecutor(LEARNERS) as pool:
        submitted = list(pool.map(cluster.submit, learners))
    assert all(result_redirect(resp) for resp in submitted), [(r.status_code, r.text[:200]) for r in submitted]

    cluster.wait_delivered(LEARNERS, timeout=30)
    _one_score_each(cluster, learners)
    assert len(_score_posts(cluster, 200)) == LEARNERS       # the LMS accepted exactly one POST per learner
    throttled = len(_score_posts(cluster, 429))
    assert LEARNERS <= throttled <= 2 * LEARNERS, throttled  # every row met the 429s, none hammered through them
    token_503 = [r for r in cluster.platform.requests if r["path"] == "/token" and r["status"] == 503]
    assert 1 <= len(token_503) <= 2 * LEARNERS, len(token_503)
    logs = "\n".join(cluster.log_tail(f"worker-{n}", 100000) for n in (1, 2))
    assert "ConnectionError" in logs          # the token endpoint refused
    assert "ReadTimeout" in logs              # a score POST outlasted the timeout
    assert all(w.poll() is None for w in workers)
    assert cluster.log_errors() == []
    late = len(_score_posts(cluster, 409))
    print(f"\nLMS faults: {throttled} score POSTs throttled (429), {len(token_503)} token 503s, "
          f"{late} duplicate POST(s) refused by the LMS (409)")


def _use_token_url(cluster: Cluster, url: str) -> None:
    from elearn.extensions import db
    from lti.models import Platform

    with cluster.app.app_context():
        db.session.execute(update(Platform).where(Platform.id == cluster.platform_pk)
                           .values(auth_token_url=url, auth_audience=cluster.platform.auth_token_url))
        db.session.commit()
        db.session.remove()


# ---------------------------------------------------------------- 3. a worker SIGKILLed with rows leased


KILLED_LEARNERS = 30
LEASE = 4.0


@pytest.mark.services
def test_worker_killed_with_many_rows_leased_a_second_worker_takes_over_after_the_lease(make_cluster):
    """A worker is SIGKILLed while it holds a batch of leased rows and one score POST is on its way
    (the LMS stores it; the dead worker never records it). A second worker leaves those rows alone
    until their lease runs out, then delivers them: the in-flight one gets 409 (already stored),
    every score is at the LMS once."""
    from elearn.grades.models import GradeDelivery
    from elearn.launch.models import User

    cluster = make_cluster()
    cluster.platform.delay_for(SCORES, 0.4, seconds=120)         # each score POST takes 0.4 s
    env = {"GRADES_LEASE_SECONDS": str(LEASE)}
    first = cluster.start_worker("worker-1", env)                # booting while the learners get ready
    learners = _prepare(cluster, KILLED_LEARNERS, "killed")
    cluster.wait_running("worker-1")
    with ThreadPoolExecutor(KILLED_LEARNERS) as pool:
        assert all(result_redirect(r) for r in pool.map(cluster.submit, learners))

    # Kill when the worker holds a batch of leases and a score POST of its is inside the LMS's delay.
    deadline = time.monotonic() + 20
    leases = select(func.count()).select_from(GradeDelivery).where(GradeDelivery.lease_owner.is_not(None))
    while time.monotonic() < deadline and not (cluster.scalar(leases) >= 10 and _score_posts_in_progress(cluster)):
        time.sleep(0.005)
    assert time.monotonic() < deadline, "the worker never held ten leases with a POST in progress"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=5)
    killed_at = time.time()

    rows = cluster.rows(select(GradeDelivery.id, User.sub, GradeDelivery.lease_until, GradeDelivery.status)
                        .join(User, User.id == GradeDelivery.user_id))
    leased = {sub: _epoch(until) for _, sub, until, status in rows if status == "pending" and until is not None}
    delivered_before = {sub for _, sub, _, status in rows if status == "delivered"}
    assert len(leased) >= 10, f"only {len(leased)} row(s) leased by the killed worker"
    while _score_posts_in_progress(cluster) and time.monotonic() < deadline:
        time.sleep(0.01)         # the POST in flight lands at the LMS
    orphans = {s["userId"] for s in cluster.platform.scores} - delivered_before
    assert len(orphans) == 1 and orphans <= set(leased), orphans   # stored, never recorded

    second = cluster.start_worker("worker-2", env)
    cluster.wait_delivered(KILLED_LEARNERS, timeout=25)
    _one_score_each(cluster, learners)
    for score in cluster.platform.scores:                         # the lease was respected
        if score["userId"] in leased and score["userId"] not in orphans:
            assert score.received_at >= leased[score["userId"]], (score["userId"], score.received_at - killed_at)
    (orphan,) = orphans
    assert cluster.scalar(select(GradeDelivery.last_status).join(User, User.id == GradeDelivery.user_id)
                          .where(User.sub == orphan)) == 409
    assert second.poll() is None
    assert cluster.log_errors() == []
    print(f"\nworker killed with {len(leased)} row(s) leased, {len(delivered_before)} delivered before; "
          f"their leases ran out up to {max(leased.values()) - killed_at:.1f} s after the kill")


# ---------------------------------------------------------------- the outage page (SQLite leg too)


def test_database_outage_page_is_a_503_with_retry_after_in_the_learners_language(app_config, caplog):
    """With the database unreachable, a learner's page and a submit answer the 503 page (not a 500
    with a traceback), in the browser's language, frameable by the LMS, with Retry-After."""
    from elearn import create_app
    from elearn.launch.operations import make_token

    app = create_app(dict(app_config, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://127.0.0.1:1/nowhere"))
    with app.app_context():
        lt = make_token(SimpleNamespace(id=1, secret="k"))     # a genuine token; its session is unreadable
    client = app.test_client()
    english = client.get(f"/post-test/1?lt={lt}", headers={"Accept-Language": "en"})
    dutch = client.post("/post-test/1/submit", data={"lt": lt, "token": "t"})
    for resp in (english, dutch):
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Security-Policy"] == "frame-ancestors *"
        assert 'data-error-code="database_unavailable"' in resp.get_data(as_text=True)
    assert "Temporarily unavailable" in english.get_data(as_text=True)
    assert "Tijdelijk niet beschikbaar" in dutch.get_data(as_text=True)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.services
def test_a_connection_lost_after_the_answer_is_ready_does_not_turn_it_into_a_500(app_config):
    """The view is done (a submit committed, say) and the database restarts before the request's
    teardown rolls its session back: the answer stands, no 500 from the failed ROLLBACK."""
    import psycopg
    from sqlalchemy import text

    from elearn import create_app
    from elearn.extensions import db

    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL=postgresql://…")
    admin = "postgresql://" + url.split("://", 1)[1]
    app = create_app(dict(app_config))

    @app.get("/_probe")
    def probe():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()   # the session's transaction is open
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
            deadline = time.monotonic() + 5
            while conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                assert time.monotonic() < deadline
                time.sleep(0.01)
        # Not HTML: no after_request touches the database (elearn.framing would, and roll back first).
        return "recorded", 200, {"Content-Type": "text/plain"}

    resp = app.test_client().get("/_probe")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "recorded"
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar() == 1                   # the pool recovers
