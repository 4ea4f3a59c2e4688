"""The tool's credential signing keys: its own, apart from the LTI keys (which rotate and are dropped).

A credential must stay checkable for as long as the record is kept, so keys are never deleted: the
newest signs, every key stays in the published key set.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow


class CredentialKey(db.Model):
    """An Ed25519 key pair that signs Open Badges credentials; `kid` is the JWK thumbprint."""

    __tablename__ = "certificate_credential_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
