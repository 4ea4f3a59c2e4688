"""Time a learner spends on a module's lessons, credited by the server from the page's heartbeats.

The lesson page sends a beat every BEAT_SECONDS while it is visible. A beat credits the time since
the learner's previous beat (on any module, so two tabs do not count twice), and only when that gap
is at most BEAT_CAP_SECONDS: a longer gap means the page was hidden or closed, and restarts the
clock without credit. Credit moves the clock forward by exactly what it credits, so a burst of beats
can never add up to more than the wall-clock time between them, whatever the client sends.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from elearn.extensions import db
from elearn.learning.models import LessonTime
from lti.models import utcnow

BEAT_SECONDS = 30        # how often a visible lesson page beats
BEAT_CAP_SECONDS = 40    # the longest gap one beat may credit: one interval and some network slack


def beat(user_id: int, resource_link_pk: int, module_id: str, *, start: bool = False) -> int:
    """Credit one heartbeat (start=True: the page just became visible, so only restart the clock);
    returns the whole seconds credited. Commits."""
    row = _row_for(user_id, resource_link_pk, module_id)
    now = utcnow()
    clock = db.session.scalar(select(func.max(LessonTime.last_beat_at)).where(LessonTime.user_id == user_id))
    gap = (now - clock).total_seconds() if clock is not None else None
    credit = int(gap) if not start and gap is not None and 0 <= gap <= BEAT_CAP_SECONDS else 0
    # Credit advances the clock by what it credits (the fraction of a second carries over);
    # no credit restarts it at now.
    new_clock = clock + timedelta(seconds=credit) if credit else now
    seen = row.last_beat_at
    other = aliased(LessonTime)
    # Compare-and-set: if another beat of this learner landed since we read the clock, this one
    # credits nothing (the other took the interval).
    changed = db.session.execute(
        update(LessonTime)
        .where(LessonTime.id == row.id,
               LessonTime.last_beat_at.is_(None) if seen is None else LessonTime.last_beat_at == seen,
               ~exists().where(other.user_id == user_id, other.last_beat_at > (clock or now)))
        .values(seconds=LessonTime.seconds + credit, last_beat_at=new_clock)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return credit if changed else 0


def seconds_of(user_id: int, module_id: str, resource_link_pks: list[int] | None = None) -> int:
    """Seconds the learner spent on the module's lessons (in these placements, or in all)."""
    query = select(func.coalesce(func.sum(LessonTime.seconds), 0)).where(
        LessonTime.user_id == user_id, LessonTime.module_id == module_id)
    if resource_link_pks is not None:
        query = query.where(LessonTime.resource_link_pk.in_(resource_link_pks))
    return int(db.session.scalar(query))


def seconds_by_user(resource_link_pks: list[int], module_id: str) -> dict[int, int]:
    """Seconds on the module's lessons per learner, over these placements."""
    rows = db.session.execute(select(LessonTime.user_id, func.sum(LessonTime.seconds)).where(
        LessonTime.resource_link_pk.in_(resource_link_pks), LessonTime.module_id == module_id)
        .group_by(LessonTime.user_id))
    return {user_id: int(seconds or 0) for user_id, seconds in rows}


def _row_for(user_id: int, resource_link_pk: int, module_id: str) -> LessonTime:
    """The learner's time row of this placement and module, made on the first beat."""
    row = _row(user_id, resource_link_pk, module_id)
    if row is None:
        try:
            with db.session.begin_nested():  # two tabs may beat first at once
                row = LessonTime(user_id=user_id, resource_link_pk=resource_link_pk, module_id=module_id, seconds=0)
                db.session.add(row)
        except IntegrityError:
            row = _row(user_id, resource_link_pk, module_id)
    return row


def _row(user_id: int, resource_link_pk: int, module_id: str) -> LessonTime | None:
    return db.session.scalar(select(LessonTime).where(
        LessonTime.user_id == user_id, LessonTime.resource_link_pk == resource_link_pk,
        LessonTime.module_id == module_id))


def minutes(seconds: int) -> int:
    """Whole minutes, rounded (what pages show)."""
    return round(seconds / 60)

