"""The launch feature's shared resources: state store, token cache, HTTP session and service
connector, Redis client."""
from __future__ import annotations

from datetime import timedelta

import redis
import requests
from flask import current_app

from elearn.extensions import db
from lti import outbound
from lti.models import Platform
from lti.platform_keys import REFETCH_INTERVAL
from lti.service_auth import TokenCache, ToolServiceConnector
from lti.services import connector_for
from lti.state_store import DbStateStore, RedisStateStore, StateStore


def redis_client():
    """The Redis client when REDIS_URL is configured (one per app), else None."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    ext = current_app.extensions.setdefault("vbhc_launch", {})
    if ext.get("redis_url") != url:
        ext["redis"] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        ext["redis_url"] = url
    return ext["redis"]


def redis_prefix() -> str:
    """Key prefix in Redis (tests give each test its own)."""
    return current_app.config.get("LTI_REDIS_PREFIX") or "vbhc:lti:"


def state_store() -> StateStore:
    """Redis when configured (several instances), else the database."""
    client = redis_client()
    if client is not None:
        return RedisStateStore(client, redis_prefix())
    return DbStateStore(db.session)


def token_cache() -> TokenCache:
    """The access-token cache of this app (process-wide, backed by Redis when configured)."""
    ext = current_app.extensions.setdefault("vbhc_launch", {})
    if "token_cache" not in ext:
        ext["token_cache"] = TokenCache(redis_client(), redis_prefix())
    return ext["token_cache"]


def http_session() -> requests.Session:
    """A requests session for talking to platforms, identified as the tool."""
    session = requests.Session()
    session.headers["User-Agent"] = f"{current_app.config.get('TOOL_NAME', 'VBHC Academy')} (LTI 1.3 tool)"
    return session


def service_connector(platform: Platform) -> ToolServiceConnector:
    """A connector to a platform's LTI services (AGS, NRPS): the shared token cache, the tool's
    HTTP identity, and LMS_HTTP_TIMEOUT per call."""
    http = http_session()
    if platform.registered_via == "dynamic":   # its token and service URLs came from the platform itself
        http = outbound.guard(http, bool(current_app.config["LTI_REGISTRATION_ALLOW_PRIVATE"]))
    return connector_for(db.session, platform, token_cache(), http, float(current_app.config["LMS_HTTP_TIMEOUT"]))


def jwks_refetch_interval() -> timedelta:
    """Minimum time between refetches of a platform's keys on an unknown kid."""
    seconds = current_app.config.get("LTI_JWKS_REFETCH_SECONDS")
    return REFETCH_INTERVAL if seconds is None else timedelta(seconds=float(seconds))
