"""Scores reach the gradebook exactly once while the LMS fails, throttles, refuses or the worker dies."""
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.grades.worker import deliver_due
from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import launch_learner, loaded, take  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def _column(platform, link_id: str) -> str:
    """A line item the LMS made for the placement (as deep linking would), so its URL is known."""
    platform.platform.ensure_context("course-1")
    item_id = platform.platform.store.add_lineitem({"label": "Eindtoets", "scoreMaximum": 100,
                                                     "resourceLinkId": link_id, "_context_id": "course-1"})
    return platform.lineitems_url("course-1") + "/" + str(item_id)


def _scores_at(platform, url: str) -> list:
    return [s for s in platform.scores if s.lineitem_url == url]


def _delivery(app) -> GradeDelivery:
    with app.app_context():
        row = db.session.scalars(select(GradeDelivery).order_by(GradeDelivery.id.desc())).first()
        db.session.expunge_all()
        return row


def _drain_until_done(app, seconds: float = 15.0) -> GradeDelivery:
    """Run the worker's rounds until the newest delivery is no longer pending (bounded in time)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with app.app_context():
            deliver_due()
        row = _delivery(app)
        if row.status != "pending":
            return row
        time.sleep(0.1)
    return _delivery(app)


def test_500s_then_429_with_retry_after_then_the_score_arrives_once(loaded, tool, platform, browser):
    loaded.config["GRADES_BACKOFF_BASE"] = 0.5      # the retry is not due again within the same round
    url = _column(platform, "rl-fault-1")
    _, lt = launch_learner(platform, browser, resource_link_id="rl-fault-1")
    take(browser, tool, lt)
    path = url[len(platform.issuer):] + "/scores"
    platform.fail(path, 500, times=2)
    platform.fail(path, 429, times=1, headers={"Retry-After": "1"})

    with loaded.app_context():
        assert deliver_due() == {"retry": 1}
    first = _delivery(loaded)
    assert first.status == "pending" and first.last_status == 500
    started = time.monotonic()
    row = _drain_until_done(loaded)
    assert row.status == "delivered" and row.tries == 4
    assert time.monotonic() - started >= 0.9                         # Retry-After: 1 was honoured
    [score] = _scores_at(platform, url)
    assert score["timestamp"] == first.body["timestamp"]              # the same body on every try

    # The worker dies after the LMS stored the score but before it recorded that: the row is
    # pending again; the next try gets 409 (not newer) and counts as delivered — no double score.
    with loaded.app_context():
        db.session.execute(update(GradeDelivery).where(GradeDelivery.id == row.id)
                           .values(status="pending", delivered_at=None))
        db.session.commit()
        assert deliver_due() == {"delivered": 1}
    assert _delivery(loaded).last_status == 409
    assert len(_scores_at(platform, url)) == 1


def test_a_score_endpoint_slower_than_lms_http_timeout_is_a_failed_try_then_arrives_once(loaded, tool, platform,
                                                                                          browser):
    loaded.config["LMS_HTTP_TIMEOUT"] = 0.5
    loaded.config["GRADES_BACKOFF_BASE"] = 0.2
    url = _column(platform, "rl-fault-slow")
    _, lt = launch_learner(platform, browser, resource_link_id="rl-fault-slow")
    take(browser, tool, lt)
    platform.delay(url[len(platform.issuer):] + "/scores", 2.0, times=1)
    with loaded.app_context():
        assert deliver_due() == {"retry": 1}
    first = _delivery(loaded)
    # The try ended by the client's read timeout (0.5 s), not by the LMS's answer after 2 s: no timing
    # assertion needed (it would flake on a loaded machine), the recorded error says which it was.
    assert first.status == "pending" and "Timeout" in first.last_error
    row = _drain_until_done(loaded)
    assert row.status == "delivered"
    time.sleep(2.0)                                                   # the slow first POST lands late, too
    scores = _scores_at(platform, url)
    assert len(scores) == 1 and scores[0]["timestamp"] == first.body["timestamp"]   # the late one: 409, not newer


def test_token_endpoint_down_and_revoked_tokens_still_deliver(loaded, tool, platform, browser):
    url = _column(platform, "rl-fault-2")
    _, lt = launch_learner(platform, browser, resource_link_id="rl-fault-2")
    take(browser, tool, lt)
    with loaded.app_context():
        deliver_due()                                                 # a token is now cached
    take(browser, tool, lt, right=1)
    platform.revoke_tokens()                                          # next call: 401, then a new token
    platform.fail("/token", 503, times=1)
    row = _drain_until_done(loaded)
    assert row.status == "delivered"
    assert [s["scoreGiven"] for s in _scores_at(platform, url)] == [100, 100]


def test_refused_score_is_parked_with_its_reason_and_can_be_retried(loaded, tool, platform, browser, runner):
    url = _column(platform, "rl-fault-3")
    _, lt = launch_learner(platform, browser, resource_link_id="rl-fault-3")
    result, _ = take(browser, tool, lt)
    platform.fail(url[len(platform.issuer):] + "/scores", 400, body={"error": "invalid_request",
                                                                       "error_description": "userId unknown"})
    with loaded.app_context():
        assert deliver_due() == {"parked": 1}
    row = _delivery(loaded)
    assert row.status == "parked" and row.last_status == 400 and "userId unknown" in row.last_error
    assert 'data-status="parked"' in browser.get(result.url).text
    status = runner.invoke(args=["grades", "status", "--parked"])
    assert "parked     1" in status.output and "userId unknown" in status.output
    assert "queued 1" in runner.invoke(args=["grades", "retry", "--all-parked"]).output
    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}
    assert len(_scores_at(platform, url)) == 1


def test_unreachable_lms_keeps_the_score_queued(loaded, tool, browser, app):
    from demolms.testing import PlatformServer
    from launch_support import connect

    lms = PlatformServer.start()
    connect(app, tool.url, lms)
    _, lt = launch_learner(lms, browser, resource_link_id="rl-fault-4")
    take(browser, tool, lt)
    lms.stop()                                                        # the LMS goes down
    app.config["GRADES_BACKOFF_BASE"] = 5.0     # the retry is not due again within the same round
    with app.app_context():
        assert deliver_due() == {"retry": 1}
    row = _delivery(app)
    assert row.status == "pending" and "ConnectionError" in row.last_error and row.next_try_at is not None


@pytest.mark.slow  # a `flask grades run` worker in a subprocess, SIGKILLed mid-delivery
def test_worker_killed_mid_delivery_loses_nothing_and_doubles_nothing(loaded, tool, platform, browser, database_url,
                                                                      app_config):
    url = _column(platform, "rl-fault-5")
    _, lt = launch_learner(platform, browser, resource_link_id="rl-fault-5")
    take(browser, tool, lt)
    platform.delay(url[len(platform.issuer):] + "/scores", 2.0)      # the score POST hangs for 2 s
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=app_config["SECRET_KEY"],
               GRADES_LEASE_SECONDS="1", FLASK_APP="elearn")
    if app_config.get("REDIS_URL"):   # the worker shares this test's Redis keys (its token cache)
        env.update(REDIS_URL=app_config["REDIS_URL"], LTI_REDIS_PREFIX=app_config["LTI_REDIS_PREFIX"])
    worker = subprocess.Popen([sys.executable, "-m", "flask", "grades", "run", "--poll", "0.2"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 20
        while platform.platform.faults.delays and time.monotonic() < end:   # wait until the POST is in flight
            time.sleep(0.05)
        assert not platform.platform.faults.delays, "the worker never posted the score"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    end = time.monotonic() + 10
    while not _scores_at(platform, url) and time.monotonic() < end:        # the LMS finishes the request
        time.sleep(0.05)
    assert len(_scores_at(platform, url)) == 1
    assert _delivery(loaded).status == "pending"                            # the dead worker never recorded it
    time.sleep(1.1)                                                         # its lease runs out
    row = _drain_until_done(loaded)
    assert row.status == "delivered" and row.last_status == 409
    assert len(_scores_at(platform, url)) == 1


def test_a_row_whose_lease_ran_out_during_a_slow_batch_is_not_posted_by_its_old_owner(loaded, tool, platform,
                                                                                        browser, app):
    from elearn.grades.worker import claim, process

    _, lt = launch_learner(platform, browser, resource_link_id="rl-fault-lease", user={"sub": "lease-learner"})
    take(browser, tool, lt)
    with app.app_context():
        (row_id,) = claim("worker-a")
        # The rows before it in worker-a's batch took longer than the lease: it ran out, though
        # nobody has claimed the row yet. Posting it now could race a worker that just did.
        db.session.execute(update(GradeDelivery).where(GradeDelivery.id == row_id)
                           .values(lease_until=datetime.now(timezone.utc) - timedelta(seconds=1)))
        db.session.commit()
        assert process(row_id, "worker-a") is None
    mine = lambda: [s for s in platform.scores if s["userId"] == "lease-learner"]  # noqa: E731
    assert mine() == [] and _delivery(app).status == "pending"
    with app.app_context():
        assert deliver_due("worker-b") == {"delivered": 1}               # free for the next claim
    assert len(mine()) == 1
