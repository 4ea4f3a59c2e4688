"""Events of a module or course (bundle) and who enrolled, in what order (the waiting list).

Times are stored in UTC together with the IANA time zone they were given in, so a page or an
invitation shows them as the organiser meant them (Europe/Amsterdam keeps its summer time).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow

MODES = ("workshop", "masterclass", "inspiration-visit", "webinar")
DEFAULT_TIMEZONE = "Europe/Amsterdam"
ENROLLED, WAITING, CANCELLED = "enrolled", "waiting", "cancelled"


class Event(db.Model):
    """One dated session of a module (or of a course's bundle) in one mode of teaching."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<module>/<id>" for events from a course file (events.yaml), so a load updates them in place.
    source_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    source: Mapped[str] = mapped_column(String(16))               # "file" | "instructor" | "admin"
    module_id: Mapped[str | None] = mapped_column(ForeignKey("catalog_modules.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str | None] = mapped_column(String(64), index=True)   # a bundle (catalog course id)
    mode: Mapped[str] = mapped_column(String(32))
    title: Mapped[dict] = mapped_column(JSON)                     # {nl, en}
    description: Mapped[dict] = mapped_column(JSON)               # {nl, en}, plain text
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    location: Mapped[str | None] = mapped_column(String(255))
    online_url: Mapped[str | None] = mapped_column(String(1024))
    capacity: Mapped[int] = mapped_column(Integer)
    organiser: Mapped[str] = mapped_column(String(255))
    organiser_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    context_pk: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(255))
    # Bumped by every enrolment change: the UPDATE is the row lock that serialises them (operations).
    seats_version: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Enrolment(db.Model):
    """A learner's place at an event: enrolled, on the waiting list (in `queued_at` order), or cancelled."""

    __tablename__ = "event_enrolments"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_event_enrolments_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    resource_link_pk: Mapped[int | None] = mapped_column(ForeignKey("resource_links.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    email: Mapped[str | None] = mapped_column(String(320))       # where the confirmation went, if anywhere
    uid: Mapped[str] = mapped_column(String(64), unique=True)    # the iCalendar UID of this enrolment
    note: Mapped[str | None] = mapped_column(Text)

    event = relationship("Event")
    user = relationship("User")


PRESENT, ABSENT, LATE, LEFT_EARLY = "present", "absent", "late", "left-early"
ATTENDANCE_STATES = (PRESENT, ABSENT, LATE, LEFT_EARLY)


class Attendance(db.Model):
    """Whether a learner was at an event and for how long: from their QR check-in, or as the
    organiser corrected it (every correction is an AttendanceChange)."""

    __tablename__ = "event_attendance"
    __table_args__ = (UniqueConstraint("event_id", "user_id", name="uq_event_attendance_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))                 # ATTENDANCE_STATES
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    left_early_minutes: Mapped[int] = mapped_column(Integer, default=0)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)   # by QR; None when only the organiser
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    user = relationship("User")


class AttendanceChange(db.Model):
    """The audit trail of attendance: who set what, when, from what to what."""

    __tablename__ = "event_attendance_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
