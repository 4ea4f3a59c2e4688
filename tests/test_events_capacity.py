"""An event over capacity never admits one more: many learners enrol at the same moment (threads,
each its own session; on PostgreSQL with TEST_DATABASE_URL the real row lock is what is tested)."""
import threading

from sqlalchemy import func, select

from elearn.events import operations as ops
from elearn.events.models import ENROLLED, WAITING, Enrolment
from elearn.extensions import db
from elearn.launch.models import User
from events_support import event_id, with_events  # noqa: F401
from lti.models import Platform

LEARNERS = 12


def _users(app) -> list[int]:
    with app.app_context():
        platform = Platform(issuer="https://lms.example", client_id="c", auth_login_url="https://lms.example/a",
                            auth_token_url="https://lms.example/t", key_set_url="https://lms.example/k")
        db.session.add(platform)
        db.session.flush()
        users = [User(platform_id=platform.id, sub=f"u{n}", name=f"Learner {n}") for n in range(LEARNERS)]
        db.session.add_all(users)
        db.session.commit()
        return [u.id for u in users]


def _all_at_once(app, work) -> list[str]:
    """Run work(i) in LEARNERS threads released together; the errors they raised."""
    barrier, errors = threading.Barrier(LEARNERS), []

    def one(i):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                work(i)
            except Exception as exc:  # noqa: BLE001 (reported by the test)
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(LEARNERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_enrolments_never_exceed_capacity(with_events):
    event, users = event_id(with_events), _users(with_events)          # 2 places
    errors = _all_at_once(with_events, lambda i: ops.enrol(event, users[i], None))
    assert errors == []
    with with_events.app_context():
        counts = ops.counts(event)
        assert counts == {ENROLLED: 2, WAITING: LEARNERS - 2}
        positions = sorted(ops.waiting_position(r) for r in db.session.scalars(
            select(Enrolment).filter_by(status=WAITING)))
        assert positions == list(range(1, LEARNERS - 1))                  # one queue, no two at the same place


def test_concurrent_cancellations_promote_each_waiting_learner_once(with_events):
    event, users = event_id(with_events), _users(with_events)
    with with_events.app_context():
        for user in users:
            ops.enrol(event, user, None)
    # Everyone enrolled or waiting cancels at once except the last two in the queue.
    errors = _all_at_once(with_events, lambda i: ops.cancel(event, users[i]) if i < LEARNERS - 2 else None)
    assert errors == []
    with with_events.app_context():
        assert ops.counts(event) == {ENROLLED: 2, WAITING: 0}
        kept = set(db.session.scalars(select(Enrolment.user_id).filter_by(status=ENROLLED)))
        assert kept == set(users[-2:])
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == LEARNERS
