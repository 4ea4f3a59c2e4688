"""What a launch establishes in elearn: the user, the LMS course, the link, and the in-frame session."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from elearn.extensions import db
from lti.models import utcnow


class User(db.Model):
    """A person as one platform knows them (platform + sub)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform_id", "sub", name="uq_users_platform_sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    given_name: Mapped[str | None] = mapped_column(String(255))
    family_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Context(db.Model):
    """An LMS course (platform + context id), with its roster service for later features."""

    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id", name="uq_contexts_platform_context"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    label: Mapped[str | None] = mapped_column(String(255))
    nrps_memberships_url: Mapped[str | None] = mapped_column(String(1024))
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1024))
    # The course's language (nl/en) for gradebook column names and score comments: the first launch's
    # locale, then whatever an instructor chooses (placement settings, or the picker's course language).
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class ResourceLink(db.Model):
    """A placement of the tool in a course; `module_id` comes from the custom parameter `module`."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("platform_id", "link_id", name="uq_resource_links_platform_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    context_pk: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    module_id: Mapped[str | None] = mapped_column(String(64), index=True)
    custom: Mapped[dict] = mapped_column(JSON, default=dict)
    # AGS endpoint claim as last launched: scopes granted, the context's line items, this link's line item.
    ags_scope: Mapped[list] = mapped_column(JSON, default=list)
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1024))
    ags_lineitem_url: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    context: Mapped[Context | None] = relationship()


class LaunchSession(db.Model):
    """The server side of an in-frame session: one row per good launch, named by the lt token."""

    __tablename__ = "launch_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))  # must match the token's, so ids cannot be guessed
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_pk: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    resource_link_pk: Mapped[int | None] = mapped_column(ForeignKey("resource_links.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(64))  # "admin,instructor,learner" subset, sorted
    lti_roles: Mapped[list] = mapped_column(JSON, default=list)  # the roles claim as sent
    locale: Mapped[str | None] = mapped_column(String(16))
    module_id: Mapped[str | None] = mapped_column(String(64))
    deep_linking_settings: Mapped[dict | None] = mapped_column(JSON)
    for_user: Mapped[dict | None] = mapped_column(JSON)  # submission review: whose attempt to show
    return_url: Mapped[str | None] = mapped_column(Text)
    # Deep linking answers once: the choice sent and its signed response, so that sending the same
    # choice again (a double click, a reload) repeats that response and another choice is refused.
    deep_link_choice: Mapped[str | None] = mapped_column(Text)
    deep_link_response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
    context: Mapped[Context | None] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()
