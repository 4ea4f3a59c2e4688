"""The latest self-assessment result of a launched user, and the rounds a team takes over time."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.extensions import db
from lti.models import utcnow


class SelfAssessmentResult(db.Model):
    """Answers and per-domain scores; one row per user, replaced by each new submission."""

    __tablename__ = "selfassessment_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    definition_hash: Mapped[str] = mapped_column(String(64))  # which self-assessment.yaml was answered
    answers: Mapped[dict] = mapped_column(JSON)                # question id → scale value
    scores: Mapped[dict] = mapped_column(JSON)                 # domain id → percent (0–100)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SelfAssessmentRound(db.Model):
    """One round of the team self-assessment in an LMS course (the team), opened by an instructor.

    While open, the course's learners answer; closing it freezes `aggregate` (per question the count
    of each scale value, per domain the points summed) so that the team result never changes after it
    is shown, and no one can tell one person's answers by watching it move (see scoring.aggregate)."""

    __tablename__ = "selfassessment_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    context_pk: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)             # the date the team gives the round
    definition_hash: Mapped[str] = mapped_column(String(64))  # which self-assessment.yaml it asks
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    aggregate: Mapped[dict | None] = mapped_column(JSON)    # frozen at closing; no person in it


class SelfAssessmentAnswer(db.Model):
    """One learner's answers in one round: private to them (instructors see only the aggregate)."""

    __tablename__ = "selfassessment_answers"
    __table_args__ = (UniqueConstraint("round_id", "user_id", name="uq_selfassessment_answers_round_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("selfassessment_rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict] = mapped_column(JSON)   # question id → scale value
    scores: Mapped[dict] = mapped_column(JSON)    # domain id → percent (0–100)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
