"""Several tool instances behind one balancer, sharing PostgreSQL and Redis: each instance is a
gunicorn subprocess on its own database-backed app, the balancer (tests/balancer.py) hands requests
to them in turn, the demolms platform knows the tool only by the balancer's URL, and scores go out
through a separate `flask --app elearn grades run` worker (GRADES_INLINE=0), as in the Procfile
(the Cluster lives in tests/cluster_support.py).

Needs TEST_DATABASE_URL=postgresql://… (each test creates and drops a database of its own on that
server) and Redis (TEST_REDIS_URL; a key prefix of the test's own, deleted afterwards).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import func, select

from balancer import ERROR_HEADER
from cluster_support import HTTP_TIMEOUT, Learner, cluster, make_cluster  # noqa: F401 (fixtures)
from cluster_support import result_redirect as _result_redirect
from launch_support import error_code
from quiz_support import MODULE

pytestmark = [pytest.mark.services, pytest.mark.cluster]


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
