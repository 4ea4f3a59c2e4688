"""The declarative base shared by lti/ and elearn/, and lti's own tables."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    """Base of every table in the product (one metadata, one migration history)."""


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what every lti timestamp stores)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC, so say so."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class Platform(Base):
    """An LMS registration: one issuer + client_id pair, with its endpoints and cached keys."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    # Brightspace wants its own value as the client-assertion audience; None means the token URL.
    auth_audience: Mapped[str | None] = mapped_column(String(1024))
    key_set_url: Mapped[str] = mapped_column(String(1024))
    # The platform's JWKS as last fetched, refreshed after a lifetime or on an unknown kid.
    jwks: Mapped[dict | None] = mapped_column(JSON)
    jwks_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    product_family_code: Mapped[str | None] = mapped_column(String(64))
    registered_via: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    deployments: Mapped[list["Deployment"]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id")


class Deployment(Base):
    """A deployment of the tool inside a platform (per institution, account or course)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployments_platform_dep"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """One of the tool's RSA key pairs: `next` (published, unused), `current` (signs), `previous`."""

    __tablename__ = "lti_tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegistrationToken(Base):
    """A one-time dynamic-registration URL token (only its SHA-256 is stored)."""

    __tablename__ = "lti_registration_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lti_platforms.id", ondelete="SET NULL"))
    # Failed registrations with this token; at the limit (LTI_REGISTRATION_MAX_FAILURES) it is spent.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OidcState(Base):
    """A login in flight: the OIDC state and nonce the tool sent, until the launch comes back."""

    __tablename__ = "lti_oidc_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    platform_id: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    expires_at: Mapped[int] = mapped_column(Integer, index=True)  # unix seconds


class UsedNonce(Base):
    """A nonce that has already carried a launch: a second use is a replay."""

    __tablename__ = "lti_used_nonces"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(issuer + nonce)
    expires_at: Mapped[int] = mapped_column(Integer, index=True)  # unix seconds
