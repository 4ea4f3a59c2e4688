"""The platform's public keys: cached in the database with a lifetime, refetched once on an unknown kid.

pylti1p3 caches a JWKS but never refetches when a platform rotates (Brightspace rotates often);
here an unknown `kid` triggers one refetch, at most every REFETCH_INTERVAL seconds per platform
so that tokens with made-up kids cannot make us hammer the platform.
"""
from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy.orm import Session

from lti.errors import LtiError
from lti.models import Platform, as_utc, utcnow

JWKS_LIFETIME = timedelta(hours=1)
REFETCH_INTERVAL = timedelta(seconds=10)
HTTP_TIMEOUT = 10


def _fetch(platform: Platform, http: requests.Session) -> dict:
    """GET the platform's JWKS and check it is one."""
    try:
        resp = http.get(platform.key_set_url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        resp.raise_for_status()
        data = resp.json()
    except (requests.RequestException, ValueError) as exc:
        raise LtiError("platform_keys_unavailable", f"could not fetch {platform.key_set_url}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise LtiError("platform_keys_unavailable", f"{platform.key_set_url} did not return a JWKS")
    return data


def _find(jwks: dict | None, kid: str) -> dict | None:
    """The JWK with this kid, if the set has it."""
    for key in (jwks or {}).get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    return None


def refresh(session: Session, platform: Platform, http: requests.Session) -> dict:
    """Fetch and store the platform's JWKS now."""
    platform.jwks = _fetch(platform, http)
    platform.jwks_fetched_at = utcnow()
    session.commit()  # the cache is worth keeping even when this launch is refused later
    return platform.jwks


def platform_key(session: Session, platform: Platform, kid: str, http: requests.Session, *,
                 lifetime: timedelta = JWKS_LIFETIME, refetch_interval: timedelta = REFETCH_INTERVAL) -> dict:
    """The platform's public JWK for `kid`: from the cache while fresh, else fetched; an unknown
    kid in a cached set causes one refetch (a rotation we have not seen yet)."""
    fetched_at = as_utc(platform.jwks_fetched_at)
    now = utcnow()
    fresh = platform.jwks is not None and fetched_at is not None and now - fetched_at < lifetime
    jwks = platform.jwks if fresh else refresh(session, platform, http)
    key = _find(jwks, kid)
    if key is None and fresh and now - fetched_at >= refetch_interval:
        key = _find(refresh(session, platform, http), kid)
    if key is None:
        raise LtiError("unknown_key", f"the platform's key set has no key with kid {kid!r}")
    return key
