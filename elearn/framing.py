"""Who may put our pages in a frame: CSP `frame-ancestors` built from the registered platforms.

We never send X-Frame-Options (DENY/SAMEORIGIN would break every LMS). Instead:

- A page of a launch may be framed by that launch's platform only: the origins of its issuer and
  authorisation endpoint, the origin of the page that launched us (the signed
  `launch_presentation.return_url`), known hosting domains of its product family, and
  FRAME_ANCESTORS_EXTRA. The return_url matters: Canvas's issuer is canvas.instructure.com while
  its pages are served from the school's own domain (school.instructure.com or canvas.school.nl).
- Other pages may be framed by any registered platform (an expired launch's error page, the
  catalog reached from a course page).
- The accreditation administrator's pages (/admin) may be framed by no one, not even ourselves:
  they are never shown inside an LMS, and their session cookie is SameSite=None (clickjacking).
- The LTI protocol pages (login, launch, registration) may be framed by anyone: they come before
  we know who the platform is — on a school's first launch or its dynamic registration the
  framing origin is not known yet — and they carry nothing to click that could be hijacked.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from elearn.extensions import db
from lti.models import Platform

# Where LMS vendors host schools' sites, by the product_family_code the platform reports.
FAMILY_ORIGINS = {
    "canvas": ("https://*.instructure.com",),
    "blackboardlearn": ("https://*.blackboard.com",),
    "desire2learn": ("https://*.brightspace.com", "https://*.d2l.com"),
}
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
PROTOCOL_BLUEPRINTS = {"launch"}
UNFRAMED_BLUEPRINTS = {"accreditation_admin"}


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of an http(s) URL, or None when it is not one we can put in a CSP
    (anything else in a header value — spaces, quotes, semicolons — could change the policy)."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def platform_origins(issuer: str | None, auth_login_url: str | None, family: str | None) -> set[str]:
    """The origins a platform's pages are served from, as far as its registration tells."""
    found = {origin_of(issuer), origin_of(auth_login_url)}
    found.update(FAMILY_ORIGINS.get((family or "").lower(), ()))
    return {o for o in found if o}


def _extra() -> set[str]:
    """FRAME_ANCESTORS_EXTRA: origins an operator adds (a school's own domain), space-separated."""
    configured = current_app.config.get("FRAME_ANCESTORS_EXTRA") or ""
    return {o for o in (_extra_origin(v) for v in configured.split()) if o}


def _extra_origin(value: str) -> str | None:
    """An operator's origin, wildcard subdomain allowed (https://*.school.nl)."""
    if "://*." in value:
        scheme, rest = value.split("://*.", 1)
        inner = origin_of(f"{scheme}://{rest}")
        return inner.replace("://", "://*.", 1) if inner else None
    return origin_of(value)


def policy(origins: Iterable[str]) -> str:
    """The header value: ourselves plus the given origins, in a stable order."""
    return "frame-ancestors " + " ".join(["'self'", *sorted(set(origins))])


def _all_platform_origins() -> set[str]:
    """Every registered platform's origins (pages outside a launch)."""
    try:
        rows = db.session.execute(select(Platform.issuer, Platform.auth_login_url, Platform.product_family_code)).all()
    except SQLAlchemyError:  # the request's transaction failed (its error page is on its way): only ourselves
        db.session.rollback()
        return set()
    found: set[str] = set()
    for issuer, auth_login_url, family in rows:
        found |= platform_origins(issuer, auth_login_url, family)
    return found


def frame_ancestors(current_launch: Callable[[], Any]) -> str:
    """The frame-ancestors policy for the current request.

    `current_launch` finds the request's launch (elearn.launch.session's, passed in by
    elearn.security: the launch session reads origins from here, so this module cannot import it).
    """
    if request.blueprint in PROTOCOL_BLUEPRINTS:
        return "frame-ancestors *"
    if request.blueprint in UNFRAMED_BLUEPRINTS:
        return "frame-ancestors 'none'"
    try:
        launch = current_launch()
    except HTTPException:  # the request itself was refused (a form over the size limit): no launch
        launch = None
    origins = set(launch.frame_origins) if launch is not None else _all_platform_origins()
    return policy(origins | _extra())
