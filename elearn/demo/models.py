"""The demo LMS's own state (keys, tools, courses, people, links, line items, scores)."""
from __future__ import annotations

from sqlalchemy import JSON, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.extensions import db


class DemoKey(db.Model):
    """A signing key of the demo platform (the newest is current, older ones stay published)."""

    __tablename__ = "demo_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    retired_at: Mapped[float | None] = mapped_column(Float)


class DemoTool(db.Model):
    """A tool registered on the demo platform (the product itself, once per host)."""

    __tablename__ = "demo_tools"

    client_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)


class DemoContext(db.Model):
    """A course of the demo LMS."""

    __tablename__ = "demo_contexts"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)


class DemoMember(db.Model):
    """A person enrolled in a demo course, as NRPS reports them."""

    __tablename__ = "demo_members"
    __table_args__ = (UniqueConstraint("context_id", "user_id", name="uq_demo_members_context_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict] = mapped_column(JSON)


class DemoLink(db.Model):
    """A resource link placed in a demo course (by a launch or by deep linking)."""

    __tablename__ = "demo_links"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    context_id: Mapped[str | None] = mapped_column(String(255), index=True)
    data: Mapped[dict] = mapped_column(JSON)


class DemoLineItem(db.Model):
    """A gradebook column of a demo course."""

    __tablename__ = "demo_lineitems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_id: Mapped[str] = mapped_column(String(255), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float)


class DemoScore(db.Model):
    """A score the tool sent (AGS), exactly as received."""

    __tablename__ = "demo_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lineitem_id: Mapped[str] = mapped_column(String(64), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[float] = mapped_column(Float)
    body: Mapped[dict] = mapped_column(JSON)


class DemoDeepLink(db.Model):
    """A verified deep-linking response (the content an instructor picked)."""

    __tablename__ = "demo_deep_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_id: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[float] = mapped_column(Float)
    data: Mapped[dict] = mapped_column(JSON)


class DemoOnce(db.Model):
    """A used nonce / jti / registration token (hashed), until it expires."""

    __tablename__ = "demo_once"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
