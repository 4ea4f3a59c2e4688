"""Draining the grade outbox: claim due rows with a lease, try each, record the outcome.

Any number of workers (the Procfile's `worker:`, the in-process drainer of the single-machine
default) may run at once: a row is claimed by one conditional UPDATE, and a worker killed
mid-delivery only leaves a lease that expires; the next try re-posts the same body, which the
LMS answers 409 if it had stored it.

A round that fails midway (the database restarted) leaves its rows leased to the worker that
claimed them; that worker takes them back on its next round instead of waiting out the lease, and
waits longer between rounds while the database stays away.
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
from elearn.unavailable import database_unavailable, gist
from lti.models import utcnow

log = logging.getLogger(__name__)


def _lease() -> timedelta:
    """How long a claimed row stays another worker's (longer than an HTTP try takes)."""
    return timedelta(seconds=float(current_app.config.get("GRADES_LEASE_SECONDS", 120)))


def claim(owner: str, limit: int = 20) -> list[int]:
    """Lease up to `limit` due rows to `owner`; each row goes to one worker only.

    Rows still leased to `owner` itself count as free: an owner works one row at a time, so
    between rounds such a row is one its last round abandoned (the database went away after the
    lease was taken), and waiting out the lease would hold that score back for minutes."""
    now = utcnow()
    free = or_(GradeDelivery.lease_until.is_(None), GradeDelivery.lease_until < now, GradeDelivery.lease_owner == owner)
    # One statement for the batch: the due rows (on PostgreSQL skipping rows another worker's claim
    # holds at this moment, so concurrent claims neither wait nor deadlock), leased where still free.
    due = (select(GradeDelivery.id).where(GradeDelivery.status == PENDING, GradeDelivery.next_try_at <= now, free)
           .order_by(GradeDelivery.next_try_at, GradeDelivery.id).limit(limit)
           .with_for_update(skip_locked=True, key_share=True))
    rows = db.session.execute(
        update(GradeDelivery).where(GradeDelivery.id.in_(due), GradeDelivery.status == PENDING, free)
        .values(lease_until=now + _lease(), lease_owner=owner)
        .returning(GradeDelivery.id, GradeDelivery.next_try_at).execution_options(synchronize_session=False)).all()
    db.session.commit()
    return [row.id for row in sorted(rows, key=lambda row: (row.next_try_at, row.id))]


def _renew(row_id: int, owner: str) -> bool:
    """Extend the lease of a row still ours and still leased, for the try about to start.

    A batch is leased at once, but its rows are tried one after another, each try up to a few
    HTTP timeouts long: without this, the rows late in a slow batch would be tried after their
    lease ran out, while another worker may have claimed and posted them."""
    now = utcnow()
    done = db.session.execute(
        update(GradeDelivery).where(GradeDelivery.id == row_id, GradeDelivery.lease_owner == owner,
                                    GradeDelivery.lease_until > now, GradeDelivery.status == PENDING)
        .values(lease_until=now + _lease()).execution_options(synchronize_session=False))
    db.session.commit()
    return done.rowcount == 1


def process(row_id: int, owner: str) -> str | None:
    """Try one claimed row and record the outcome, unless the lease was lost meanwhile."""
    if not _renew(row_id, owner):
        return None
    delivery = db.session.get(GradeDelivery, row_id)
    if delivery is None or delivery.lease_owner != owner:
        return None
    outcome = attempt_delivery(delivery)
    # Still ours? Read without flushing, so that the line item URL just found is written in the same
    # UPDATE as the outcome (one statement, not two).
    with db.session.no_autoflush:
        lease_owner, status = db.session.execute(
            select(GradeDelivery.lease_owner, GradeDelivery.status).where(GradeDelivery.id == row_id)).one()
    if lease_owner != owner or status != PENDING:
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


ERROR_BACKOFF_CAP = 30.0  # seconds between rounds at most while rounds keep failing


def run(stop: threading.Event, poll: float = 1.0) -> None:
    """The worker loop: deliver what is due, sleep `poll` seconds, until `stop` is set.

    A failed round never ends the worker (the database restarting is routine): it is logged
    (one line when the database is away, with the traceback otherwise) and the wait before the
    next round doubles, up to ERROR_BACKOFF_CAP, until a round succeeds again."""
    owner = f"worker-{uuid.uuid4().hex[:12]}"
    failures = 0
    while not stop.is_set():
        wait = poll
        try:
            deliver_due(owner)
        except Exception as error:
            failures += 1
            wait = min(max(poll, ERROR_BACKOFF_CAP), poll * 2 ** min(failures, 16))
            _failed_round("grade worker", error, f"next round in {wait:.1f} s")
        else:
            if failures:
                log.warning("grade worker: rounds succeed again after %d failed", failures)
            failures = 0
        stop.wait(wait)


def _failed_round(who: str, error: Exception, then: str) -> None:
    """Log a failed round (one line when the database is away, with the traceback otherwise) and
    drop its session, whose connection may be dead; never raises."""
    if database_unavailable(error):
        log.warning("%s: database unavailable (%s); %s", who, gist(error), then)
    else:
        log.exception("%s: round failed; %s", who, then)
    try:
        db.session.remove()
    except Exception:
        log.debug("discarding the session failed", exc_info=True)


class InlineDrainer:
    """The single-machine default: a daemon thread per process drains the outbox right after
    a submit (and keeps retrying due rows), so no separate worker is needed."""

    def __init__(self, app):
        self.app = app
        self.owner = f"inline-{uuid.uuid4().hex[:12]}"  # one loop per process: it may reclaim its own leases
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
                    deliver_due(self.owner)
                except Exception as error:
                    _failed_round("inline grade delivery", error, "trying again later")


def kick_inline() -> None:
    """After a submit: wake this process's drainer, when the app delivers in-process."""
    if not current_app.config.get("GRADES_INLINE", True):
        return
    app = current_app._get_current_object()
    drainer = app.extensions.get("grades_drainer")
    if drainer is None:
        drainer = app.extensions.setdefault("grades_drainer", InlineDrainer(app))
    drainer.kick()
