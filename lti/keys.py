"""The tool's own RSA keys: created lazily, published as JWKS, rotated next → current → previous.

A `next` key is published before it ever signs, so platforms that cache our JWKS already know it
when it becomes `current`. A `previous` key stays published while tokens it signed may still be
alive, and is dropped on a later rotation (or after PREVIOUS_MAX_AGE, whichever comes first).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti.models import ToolKey, as_utc, utcnow

# Our longest-lived signed token is a deep-linking response (10 min) or a client assertion (5 min);
# an hour of overlap is generous.
SIGNED_TOKEN_LIFETIME = timedelta(hours=1)
PREVIOUS_MAX_AGE = timedelta(days=7)
KEY_SIZE = 2048


@dataclass(frozen=True)
class SigningKey:
    """The key the tool signs with now: kid, private PEM and public PEM."""

    kid: str
    private_pem: str
    public_pem: str


def _new_key(status: str) -> ToolKey:
    """A fresh RSA key pair whose kid is its RFC 7638 thumbprint (what pylti1p3 computes too)."""
    jwk = JWK.generate(kty="RSA", size=KEY_SIZE)
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    now = utcnow()
    return ToolKey(kid=kid, private_key_pem=jwk.export_to_pem(private_key=True, password=None).decode(),
                   public_jwk=public, status=status, created_at=now,
                   activated_at=now if status == "current" else None)


def _keys(session: Session, status: str) -> list[ToolKey]:
    """Keys in one status, newest first."""
    return list(session.scalars(select(ToolKey).where(ToolKey.status == status).order_by(ToolKey.id.desc())))


def ensure_keys(session: Session) -> ToolKey:
    """The current key, creating current and next on first need; returns current."""
    current = _keys(session, "current")
    created = False
    if not current:
        nexts = _keys(session, "next")
        if nexts:  # promote an already-published key rather than an unseen one
            key = nexts[0]
            key.status, key.activated_at = "current", utcnow()
        else:
            key = _new_key("current")
            session.add(key)
        current, created = [key], True
    if not _keys(session, "next"):
        session.add(_new_key("next"))
        created = True
    if created:
        # Commit now: a platform verifying what we sign fetches our JWKS from another request,
        # which must already see the key (and must not wait on our write lock).
        session.commit()
    return current[0]


def signing_key(session: Session) -> SigningKey:
    """The current key as PEMs, ready for pylti1p3's Registration."""
    key = ensure_keys(session)
    public_pem = JWK(**key.public_jwk).export_to_pem().decode()
    return SigningKey(kid=key.kid, private_pem=key.private_key_pem, public_pem=public_pem)


def _drop_stale_previous(session: Session, older_than: timedelta) -> int:
    """Delete previous keys retired longer ago than `older_than`; returns how many."""
    cutoff = utcnow() - older_than
    stale = [k for k in _keys(session, "previous") if (as_utc(k.retired_at) or cutoff) <= cutoff]
    for key in stale:
        session.delete(key)
    return len(stale)


def jwks(session: Session) -> dict:
    """The public JWKS: next, current and still-useful previous keys."""
    ensure_keys(session)
    _drop_stale_previous(session, PREVIOUS_MAX_AGE)
    session.flush()
    order = {"current": 0, "next": 1, "previous": 2}
    keys = sorted(session.scalars(select(ToolKey)), key=lambda k: (order.get(k.status, 3), -k.id))
    return {"keys": [dict(k.public_jwk) for k in keys]}


def rotate(session: Session, *, token_lifetime: timedelta = SIGNED_TOKEN_LIFETIME) -> dict:
    """Promote next → current, current → previous, create a new next; drop previous keys whose
    tokens can no longer be alive. Returns the kids involved."""
    ensure_keys(session)
    dropped = _drop_stale_previous(session, token_lifetime)
    now = utcnow()
    old_current = _keys(session, "current")[0]
    new_current = _keys(session, "next")[-1]  # the oldest published next key
    old_current.status, old_current.retired_at = "previous", now
    new_current.status, new_current.activated_at = "current", now
    session.flush()
    new_next = _new_key("next")
    session.add(new_next)
    session.flush()
    return {"previous": old_current.kid, "current": new_current.kid, "next": new_next.kid, "dropped": dropped}
