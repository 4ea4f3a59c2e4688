"""Draining the grade outbox: claim due rows with a lease, try each, record the outcome.

Any number of workers (the Procfile's `worker:`, the in-process drainer of the single-machine
default) may run at once: a row is claimed by one conditional UPDATE, and a worker killed
mid-delivery only leaves a lease that expires; the next try re-posts the same body, which the
LMS answers 409 if it had stored it.
"""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from elearn.extensions import db
from elearn.grades.delivery import attempt_delivery, record
from elearn.grades.models import PENDING, GradeDelivery
from lti.models import utcnow

log = logging.getLogger(__name__)


def _lease() -> timedelta:
    """How long a claimed row stays another worker's (longer than an HTTP try takes)."""
    return timedelta(seconds=float(current_app.config.get("GRADES_LEASE_SECONDS", 120)))


def claim(owner: str, limit: int = 20) -> list[int]:
    """Lease up to `limit` due rows to `owner`; each row goes to one worker only."""
    now = utcnow()
    free = or_(GradeDelivery.lease_until.is_(None), GradeDelivery.lease_until < now)
    candidates = db.session.scalars(
        select(GradeDelivery.id).where(GradeDelivery.status == PENDING, GradeDelivery.next_try_at <= now, free)
        .order_by(GradeDelivery.next_try_at, GradeDelivery.id).limit(limit)).all()
    claimed = []
    for row_id in candidates:
        done = db.session.execute(
            update(GradeDelivery).where(GradeDelivery.id == row_id, GradeDelivery.status == PENDING, free)
            .values(lease_until=now + _lease(), lease_owner=owner).execution_options(synchronize_session=False))
        if done.rowcount == 1:
            claimed.append(row_id)
    db.session.commit()
    return claimed


def process(row_id: int, owner: str) -> str | None:
    """Try one claimed row and record the outcome, unless the lease was lost meanwhile."""
    delivery = db.session.get(GradeDelivery, row_id)
    if delivery is None or delivery.lease_owner != owner:
        return None
    outcome = attempt_delivery(delivery)
    db.session.refresh(delivery, ["lease_owner", "status"])
    if delivery.lease_owner != owner or delivery.status != PENDING:
        db.session.rollback()  # another worker took over after our lease ran out; its outcome stands
        return None
    record(delivery, outcome, utcnow())
    db.session.commit()
    if outcome.kind != "delivered":
        log.warning("grade delivery %s: %s %s", row_id, outcome.kind, outcome.reason)
    return outcome.kind


def deliver_due(owner: str | None = None, limit: int = 20, rounds: int = 1000) -> dict[str, int]:
    """Deliver everything due now (batch by batch); counts of outcomes."""
    owner = owner or uuid.uuid4().hex
    counts: dict[str, int] = {}
    for _ in range(rounds):
        batch = claim(owner, limit)
        if not batch:
            break
        for row_id in batch:
            kind = process(row_id, owner)
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
    db.session.remove()
    return counts


def run(stop: threading.Event, poll: float = 1.0) -> None:
    """The worker loop: deliver what is due, sleep `poll` seconds, until `stop` is set."""
    owner = f"worker-{uuid.uuid4().hex[:12]}"
    while not stop.is_set():
        try:
            deliver_due(owner)
        except Exception:  # the database restarting must not end the worker
            log.exception("grade worker round failed; trying again")
            db.session.remove()
        stop.wait(poll)


class InlineDrainer:
    """The single-machine default: a daemon thread per process drains the outbox right after
    a submit (and keeps retrying due rows), so no separate worker is needed."""

    def __init__(self, app):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def kick(self) -> None:
        """Deliver soon; start the thread on first use."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="grade-drainer", daemon=True)
                self.thread.start()
        self.wake.set()

    def _loop(self) -> None:
        """Wait for a kick or the poll interval, then drain."""
        poll = float(self.app.config.get("GRADES_POLL_SECONDS", 5.0))
        while True:
            self.wake.wait(poll)
            self.wake.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except Exception:
                    log.exception("inline grade delivery failed; trying again later")
                    db.session.remove()


def kick_inline() -> None:
    """After a submit: wake this process's drainer, when the app delivers in-process."""
    if not current_app.config.get("GRADES_INLINE", True):
        return
    app = current_app._get_current_object()
    drainer = app.extensions.get("grades_drainer")
    if drainer is None:
        drainer = app.extensions.setdefault("grades_drainer", InlineDrainer(app))
    drainer.kick()
