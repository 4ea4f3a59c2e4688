"""A learner's progress through a module: lessons opened and done, activity answers, time on lessons."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow


class LessonProgress(db.Model):
    """One lesson a user opened and (optionally) marked done; one row per user + module + lesson."""

    __tablename__ = "learning_lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id", "lesson_id", name="uq_learning_lesson_progress"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("catalog_modules.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[str] = mapped_column(String(64))
    # The version read last: lesson ids are stable across versions, the text may differ.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_module_versions.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ActivityResponse(db.Model):
    """A learner's latest answer to one case or to the reflection of a module, in one placement
    (the resource link): the placement's instructors read it there, and only there."""

    __tablename__ = "learning_activity_responses"
    __table_args__ = (UniqueConstraint("user_id", "resource_link_pk", "module_id", "activity_id",
                                       name="uq_learning_activity_responses"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_link_pk: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("catalog_modules.id", ondelete="CASCADE"))
    activity_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))            # case | reflection
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LessonTime(db.Model):
    """Seconds a learner had a lesson of a module visible, in one placement, credited beat by beat."""

    __tablename__ = "learning_lesson_time"
    __table_args__ = (UniqueConstraint("user_id", "resource_link_pk", "module_id", name="uq_learning_lesson_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_link_pk: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("catalog_modules.id", ondelete="CASCADE"))
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    # The last beat of this row; the credit of a beat is measured from the learner's last beat anywhere.
    last_beat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
