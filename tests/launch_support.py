"""Helpers and fixtures for the LTI launch tests (tool on live_server, demolms PlatformServer)."""
from __future__ import annotations

import os
import re
import uuid
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.cookies import get_cookie_header
from sqlalchemy import func, select

from elearn.extensions import db

LOOPBACK = ("127.0.0.1", "localhost")


class LoopbackSecurePolicy(DefaultCookiePolicy):
    """Like Chromium: http://127.0.0.1 and http://localhost are secure contexts, so Secure
    cookies go back to them (http.cookiejar would only return them over https)."""

    def return_ok_secure(self, cookie, request):
        """Secure cookies are fine over https or to loopback hosts."""
        host = urlsplit(request.get_full_url()).hostname
        return host in LOOPBACK or super().return_ok_secure(cookie, request)


class _CookiesByPolicy(HTTPAdapter):
    """Writes the Cookie header from the session's own jar and policy just before sending:
    requests merges cookies into a default-policy jar, which would drop the Secure ones."""

    def __init__(self, jar):
        super().__init__()
        self.jar = jar

    def send(self, request, **kwargs):
        """Recompute the Cookie header, then send."""
        request.headers.pop("Cookie", None)
        header = get_cookie_header(self.jar, request)
        if header:
            request.headers["Cookie"] = header
        return super().send(request, **kwargs)


def make_browser() -> requests.Session:
    """A requests.Session that keeps cookies the way a browser on loopback does."""
    browser = requests.Session()
    browser.cookies.set_policy(LoopbackSecurePolicy())
    browser.mount("http://", _CookiesByPolicy(browser.cookies))
    return browser


@pytest.fixture()
def browser() -> requests.Session:
    """The learner's browser."""
    session = make_browser()
    yield session
    session.close()


def connect(app, tool_url: str, platform, *, client_id: str | None = None, deployment_id: str | None = None,
            launch_url: str | None = None):
    """Register the tool with the platform and the platform with the tool (manual registration)."""
    from lti.registry import add_platform

    tool = platform.register_tool(login_url=f"{tool_url}/lti/login",
                                  launch_url=launch_url or f"{tool_url}/lti/launch",
                                  jwks_url=f"{tool_url}/lti/jwks", client_id=client_id, deployment_id=deployment_id)
    with app.app_context():
        stored = add_platform(db.session, issuer=platform.issuer, client_id=tool["client_id"],
                              deployment_ids=tool["deployment_ids"], auth_login_url=platform.auth_login_url,
                              auth_token_url=platform.auth_token_url, key_set_url=platform.key_set_url,
                              name="Demo LMS")
        db.session.commit()
        return stored.id


@pytest.fixture(scope="module", name="platform")
def module_platform(request):
    """One platform for a whole test module (import as `platform` to use it); each test's `tool`
    fixture registers that test's live server with it again. demolms unless a test asks for
    others with @every_platform (tests/platforms/: Open edX's consumer and lti1p3platform)."""
    from platforms import start

    server = start(getattr(request, "param", "demolms"))
    yield server
    server.stop()


# Run a test against demolms, Open edX's LTI consumer and lti1p3platform (one server per module each).
every_platform = pytest.mark.parametrize("platform", ["demolms", "openedx", "lti1p3platform"], indirect=True)


@pytest.fixture()
def tool(app, live_server, platform):
    """The tool served on loopback and registered with a live demolms platform (and vice versa)."""
    connect(app, live_server.url, platform)
    return live_server


def row_counts(app) -> dict[str, int]:
    """How many users, contexts, resource links and launch sessions elearn holds."""
    from elearn.launch.models import Context, LaunchSession, ResourceLink, User

    with app.app_context():
        return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (User, Context, ResourceLink, LaunchSession)}


EMPTY = {"users": 0, "contexts": 0, "resource_links": 0, "launch_sessions": 0}


def error_code(resp: requests.Response) -> str | None:
    """The error code an error page shows."""
    match = re.search(r'data-error-code="([^"]+)"', resp.text)
    return match.group(1) if match else None


def lt_of(url: str) -> str | None:
    """The launch token in a URL."""
    return parse_qs(urlsplit(url).query).get("lt", [None])[0]


def redis_url() -> str:
    """The Redis the tests use (TEST_REDIS_URL, else the local default, database 15)."""
    return os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def redis_or_skip():
    """A Redis client, or skip the test when no Redis answers on loopback."""
    import redis

    client = redis.Redis.from_url(redis_url(), socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") or os.environ.get("TEST_REDIS_URL"):
            raise
        pytest.skip(f"Redis not reachable at {redis_url()}: {exc}")
    return client


def random_prefix() -> str:
    """A Redis key prefix of one test's own."""
    return f"test:{uuid.uuid4().hex[:12]}:"
