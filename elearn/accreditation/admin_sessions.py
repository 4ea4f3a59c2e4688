"""Server-side sessions of accreditation administrators.

The Flask session cookie (shared with the LTI fallback) carries only a random token; the database
keeps its hash with when the session began, when it was last used and whether it was revoked. So a
session ends after ADMIN_SESSION_IDLE seconds without a request, ADMIN_SESSION_MAX seconds after
sign-in, at logout and when the administrator's password changes — also for whoever copied the cookie.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from sqlalchemy import delete, select, update

from elearn.accreditation.models import AdminSession, Administrator
from elearn.extensions import db
from lti.models import as_utc, utcnow

COOKIE_KEY = "admin_session"


def _digest(token: str) -> str:
    """What the database keeps of a token: a stolen backup cannot be replayed as a cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def begin(admin: Administrator) -> None:
    """Sign the administrator in: a fresh session (nothing of the visitor's session is kept)."""
    token = secrets.token_urlsafe(32)
    # Sessions past the absolute lifetime can never be live again: drop them, so the table stays small.
    oldest = utcnow() - timedelta(seconds=current_app.config["ADMIN_SESSION_MAX"])
    db.session.execute(delete(AdminSession).where(AdminSession.admin_id == admin.id, AdminSession.created_at < oldest))
    db.session.add(AdminSession(token_hash=_digest(token), admin_id=admin.id))
    db.session.commit()
    session.clear()
    session[COOKIE_KEY] = token


def is_live(row: AdminSession, now: datetime) -> bool:
    """Not revoked, used recently enough and not older than the absolute lifetime."""
    idle = timedelta(seconds=current_app.config["ADMIN_SESSION_IDLE"])
    most = timedelta(seconds=current_app.config["ADMIN_SESSION_MAX"])
    return row.revoked_at is None and now - as_utc(row.last_seen_at) < idle and now - as_utc(row.created_at) < most


def _row() -> AdminSession | None:
    """The session row the request's cookie names, if any."""
    token = session.get(COOKIE_KEY)
    if not isinstance(token, str) or not token:
        return None
    return db.session.scalar(select(AdminSession).filter_by(token_hash=_digest(token)))


def current_admin() -> Administrator | None:
    """The administrator of a live session (which counts as used now), or None."""
    row, now = _row(), utcnow()
    if row is None or not is_live(row, now):
        return None
    row.last_seen_at = now
    db.session.commit()
    return db.session.get(Administrator, row.admin_id)


def end() -> None:
    """Logout: revoke this session on the server, so a copy of the cookie is worth nothing."""
    row = _row()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    session.clear()


def revoke_all(admin_id: int) -> int:
    """End every live session of an administrator (after a password change); how many were live."""
    result = db.session.execute(update(AdminSession).where(AdminSession.admin_id == admin_id,
                                                           AdminSession.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
    return result.rowcount
