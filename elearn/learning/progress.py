"""Progress of launched learners: lessons opened and done (per user + module + lesson), and the
module's cases and reflection answered (per placement, see elearn.learning.activities)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.learning.models import LessonProgress
from lti.models import utcnow


@dataclass(frozen=True)
class Completion:
    """How far a learner is in one module."""

    done: frozenset[str]
    opened: frozenset[str]
    total: int
    activities_done: int = 0      # cases and reflection answered
    activities_total: int = 0     # 0: the module's version has no activities (older content)

    @property
    def done_count(self) -> int:
        """Lessons marked done (of the current lessons)."""
        return len(self.done)

    @property
    def percent(self) -> int:
        """Whole percent of the steps done: lessons, then cases and reflection."""
        steps = self.total + self.activities_total
        return round(100 * (self.done_count + self.activities_done) / steps) if steps else 0

    @property
    def complete(self) -> bool:
        """Every lesson done and every case and the reflection answered."""
        return self.done_count >= self.total and self.activities_done >= self.activities_total


def record_lesson(user_id: int, module: Module, lesson_id: str, *, done: bool = False) -> LessonProgress:
    """Note that the user opened (and, with done=True, finished) a lesson; idempotent, commits."""
    row = _row(user_id, module.id, lesson_id)
    if row is None:
        try:
            with db.session.begin_nested():  # two tabs may open the same lesson at once
                row = LessonProgress(user_id=user_id, module_id=module.id, lesson_id=lesson_id,
                                     version_id=module.current_version_id, opened_at=utcnow())
                db.session.add(row)
        except IntegrityError:
            row = _row(user_id, module.id, lesson_id)
    row.version_id = module.current_version_id
    if done and row.completed_at is None:
        row.completed_at = utcnow()
    db.session.commit()
    return row


def completion(user_id: int, module_id: str, lesson_ids: list[str], activity_ids: list[str] = (),
               answered: set[str] | dict = frozenset()) -> Completion:
    """Done and opened lessons among the module's current lessons, and how many of its current
    activities (`activity_ids`) are among those the learner `answered`."""
    rows = db.session.scalars(select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.module_id == module_id))
    current = set(lesson_ids)
    done, opened = set(), set()
    for row in rows:
        if row.lesson_id in current:
            opened.add(row.lesson_id)
            if row.completed_at is not None:
                done.add(row.lesson_id)
    return Completion(frozenset(done), frozenset(opened), len(lesson_ids),
                      activities_done=sum(1 for a in activity_ids if a in answered), activities_total=len(activity_ids))


def _row(user_id: int, module_id: str, lesson_id: str) -> LessonProgress | None:
    return db.session.scalar(select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.module_id == module_id,
        LessonProgress.lesson_id == lesson_id))
