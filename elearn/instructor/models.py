"""The course roster as the LMS last told it (NRPS), kept so that later syncs ask only for changes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow

ACTIVE, DELETED = "Active", "Deleted"   # NRPS membership status values the roster acts on


class RosterMember(db.Model):
    """One person in an LMS course (context), by the platform's user id (`sub`)."""

    __tablename__ = "roster_members"
    __table_args__ = (UniqueConstraint("context_pk", "sub", name="uq_roster_members_context_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_pk: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class RosterSync(db.Model):
    """When a course's roster was last read, and the NRPS differences URL for the next read."""

    __tablename__ = "roster_syncs"

    context_pk: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), primary_key=True)
    differences_url: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
