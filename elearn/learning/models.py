"""A learner's progress through the lessons of a module."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
