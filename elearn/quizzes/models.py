"""Post-test attempts, per-placement quiz settings and per-learner extra time."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow


class Attempt(db.Model):
    """One learner's attempt at a module's post-test, taken through one LMS placement.

    The paper (drawn items and option orders) and the settings are stored with the attempt, so
    marking never trusts the page; `version_id` ties it to the content it was taken on.
    `submit_token` changes on every save and is cleared on submit: a stale or replayed form
    cannot match it.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("user_id", "resource_link_pk", "module_id", "number",
                                       name="uq_quiz_attempts_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_link_pk: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("catalog_modules.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_module_versions.id"))
    number: Mapped[int] = mapped_column(Integer)              # 1, 2, 3 … per learner and placement
    settings: Mapped[dict] = mapped_column(JSON)              # QuizSettings.to_dict() at the start
    paper: Mapped[dict] = mapped_column(JSON)                 # Paper.to_dict()
    responses: Mapped[dict] = mapped_column(JSON, default=dict)  # saved answers, by item id
    submit_token: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(16))   # "learner" | "time_limit"
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[dict | None] = mapped_column(JSON)         # PaperResult.to_dict()

    version = relationship("ModuleVersion")
    user = relationship("User")
    resource_link = relationship("ResourceLink")


class PlacementSettings(db.Model):
    """An instructor's quiz settings for one placement (resource link); quiz.yaml gives the rest."""

    __tablename__ = "quiz_placement_settings"

    resource_link_pk: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"),
                                                  primary_key=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ExtraTime(db.Model):
    """A learner's time-limit multiplier (an accommodation) within one placement."""

    __tablename__ = "quiz_extra_time"
    __table_args__ = (UniqueConstraint("resource_link_pk", "user_id", name="uq_quiz_extra_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_link_pk: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    multiplier: Mapped[float] = mapped_column(Float, default=1.0)
