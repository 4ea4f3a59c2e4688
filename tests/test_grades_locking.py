"""While a grade worker finds or creates a placement's gradebook column (calls to the LMS that can
take seconds), learners of that placement keep launching, starting and submitting: the worker's
lock must not be one their inserts wait for (PostgreSQL; SQLite has one writer anyway)."""
from __future__ import annotations

import threading

import pytest

from elearn.extensions import db
from elearn.grades.worker import deliver_due
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import begin, launch_learner, loaded, take  # noqa: F401

HOLD_AT_MOST = 60   # seconds the LMS holds the worker's line item listing unless the test lets it go


def test_learners_of_a_placement_are_not_held_up_while_its_column_is_made(app, loaded, tool, platform, browser):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row and advisory locks are PostgreSQL's (TEST_DATABASE_URL)")
    _, lt = launch_learner(platform, browser, resource_link_id="rl-column-lock")
    take(browser, tool, lt)                                    # a score waiting for a column to be made
    lineitems = platform.lineitems_url("course-1")
    answer = platform.hold(lineitems, HOLD_AT_MOST)               # the LMS answers when the test says so
    def deliver():
        with app.app_context():
            deliver_due()

    worker = threading.Thread(target=deliver, daemon=True)
    worker.start()
    try:
        for _ in range(1000):                                  # until the worker is inside the LMS call
            if platform.arrived(lineitems) or not worker.is_alive():
                break
            worker.join(0.02)
        assert platform.arrived(lineitems) and worker.is_alive(), "the worker never reached the LMS call"
        other = make_browser()
        _, lt2 = launch_learner(platform, other, resource_link_id="rl-column-lock", user={"sub": "second"})
        started = begin(other, tool, lt2)
        assert started.status_code == 200
        # Ordering, not speed: both finished while the worker was still inside the LMS call (with its
        # advisory lock held); had they waited for that lock, they would not have finished by now.
        assert worker.is_alive() and not answer.is_set(), "the launch and the start waited for the grade worker's lock"
    finally:
        answer.set()
        worker.join(30)
    assert len([s for s in platform.scores]) == 1 and len(platform.lineitems) == 1
