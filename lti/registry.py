"""Platform registrations and their deployments, kept in the database."""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti.errors import LtiError
from lti.models import Deployment, Platform

# The URLs a launch is trusted by: changing them on an existing registration must be asked for.
TRUSTED_URLS = ("auth_login_url", "auth_token_url", "key_set_url")


class RegistrationClash(ValueError):
    """The registration exists with other URLs, and replacing them was not asked for."""


def add_platform(session: Session, *, issuer: str, client_id: str, deployment_ids: Iterable[str],
                 auth_login_url: str, auth_token_url: str, key_set_url: str, name: str | None = None,
                 auth_audience: str | None = None, product_family_code: str | None = None,
                 registered_via: str = "manual", replace: bool = False) -> Platform:
    """Register the platform issuer+client_id, or add missing deployments to it; its login, token
    and key set URLs change only with replace=True (RegistrationClash otherwise)."""
    issuer, client_id = issuer.strip(), str(client_id).strip()
    for label, url in (("issuer", issuer), ("auth_login_url", auth_login_url),
                       ("auth_token_url", auth_token_url), ("key_set_url", key_set_url)):
        _require_url(label, url)
    if not client_id:
        raise ValueError("client_id must not be empty")
    platform = find_platform(session, issuer, client_id)
    wanted = {"auth_login_url": auth_login_url.strip(), "auth_token_url": auth_token_url.strip(),
              "key_set_url": key_set_url.strip()}
    changed = [label for label in TRUSTED_URLS if platform is not None and getattr(platform, label) != wanted[label]]
    if changed and not replace:
        raise RegistrationClash(f"issuer {issuer!r} with client_id {client_id!r} is registered already with another "
                                f"{', '.join(changed)}; replacing them must be asked for explicitly")
    if platform is None:
        platform = Platform(issuer=issuer, client_id=client_id)
        session.add(platform)
    elif platform.key_set_url != key_set_url.strip():
        platform.jwks, platform.jwks_fetched_at = None, None  # keys of another URL are worthless
    platform.auth_login_url = auth_login_url.strip()
    platform.auth_token_url = auth_token_url.strip()
    platform.key_set_url = key_set_url.strip()
    platform.auth_audience = (auth_audience or "").strip() or None
    platform.name = name or platform.name or urlsplit(issuer).hostname
    platform.product_family_code = product_family_code or platform.product_family_code
    platform.registered_via = registered_via if platform.id is None else platform.registered_via
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in deployment_ids:
        deployment_id = str(deployment_id).strip()
        if deployment_id and deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
            known.add(deployment_id)
    session.flush()
    return platform


def _require_url(label: str, url: str) -> None:
    """Registration URLs must be absolute http(s) URLs; say which one is not."""
    parts = urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{label} must be an absolute http(s) URL, got {url!r}")


def find_platform(session: Session, issuer: str, client_id: str) -> Platform | None:
    """The registration for exactly this issuer and client_id."""
    return session.scalar(select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id))


def platforms_of_issuer(session: Session, issuer: str) -> list[Platform]:
    """Every registration sharing an issuer (Canvas: one issuer, many developer keys)."""
    return list(session.scalars(select(Platform).where(Platform.issuer == issuer).order_by(Platform.id)))


def resolve_platform(session: Session, issuer: str | None, client_id: str | None = None,
                     deployment_id: str | None = None) -> Platform:
    """The registration a login initiation means: by client_id, else the issuer's only one,
    else the one holding the named deployment."""
    if not issuer:
        raise LtiError("missing_parameter", "iss is required", parameter="iss")
    if client_id:
        platform = find_platform(session, issuer, client_id)
        if platform is None:
            raise LtiError("unknown_platform", f"no registration for issuer {issuer!r} and client_id {client_id!r}")
        return platform
    candidates = platforms_of_issuer(session, issuer)
    if not candidates:
        raise LtiError("unknown_platform", f"no registration for issuer {issuer!r}")
    if len(candidates) > 1 and deployment_id:
        candidates = [p for p in candidates if any(d.deployment_id == deployment_id for d in p.deployments)]
    if len(candidates) != 1:
        raise LtiError("ambiguous_platform",
                       f"{issuer!r} has several registrations; the login must name its client_id")
    return candidates[0]


def list_platforms(session: Session) -> list[Platform]:
    """Every registration, oldest first."""
    return list(session.scalars(select(Platform).order_by(Platform.id)))
