"""The latest team self-assessment result of a launched user."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
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
