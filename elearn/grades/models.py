"""The grade outbox: one row per finished attempt, and one per changed attendance score of an event,
delivered to the LMS by a worker."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow

PENDING, DELIVERED, PARKED = "pending", "delivered", "parked"


class GradeDelivery(db.Model):
    """A score to post through AGS. Written in the same transaction as the finished attempt, so a
    committed attempt always has its delivery; the body (with its timestamp) never changes, so a
    retry after a crash is recognised by the LMS as the same score (409: already stored).

    A row is either a post-test attempt's score (`attempt_id`) or an event attendance score
    (`event_id`, no attempt; see grades.event_scores). An attendance changed later (the organiser's
    correction) is a new row with the next `event_seq` and a later timestamp, never an edit of the
    old one: the LMS keeps the newest."""

    __tablename__ = "grade_deliveries"
    # One score per learner, event and step: two changes of the same attendance at once cannot both
    # become the learner's n-th score (the second is refused and rolled back with its change).
    __table_args__ = (Index("uq_grade_deliveries_event_seq", "event_id", "user_id", "event_seq", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), unique=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE", name="fk_grade_deliveries_event_id_events"), index=True)
    event_seq: Mapped[int | None] = mapped_column(Integer)    # 1, 2, … per learner and event
    resource_link_pk: Mapped[int] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[dict] = mapped_column(JSON)                  # the AGS score JSON, timestamp included
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lineitem_url: Mapped[str | None] = mapped_column(String(1024))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    attempt = relationship("Attempt")
    user = relationship("User")
    event = relationship("Event")
    resource_link = relationship("ResourceLink")
