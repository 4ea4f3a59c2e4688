"""The demo LMS as a demolms.Platform over the product database, registered with the tool both ways."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import current_app, g, has_request_context, request

from demolms import Platform
from demolms.people import DEMO_COURSE
from elearn.demo.store import SqlStore
from elearn.extensions import db
from lti import registry

DEPLOYMENT_ID = "vbhc-demo-deployment"
COURSE_ID = DEMO_COURSE["id"]
PLATFORM_NAME = "VBHC Demo LMS"


@dataclass
class DemoSetup:
    """What `demo setup` established (and prints)."""

    issuer: str
    client_id: str
    deployment_id: str
    tool_base: str
    tool_registered: bool      # the tool was (re)registered on the demo platform just now
    platform_registered: bool  # the demo platform was (re)registered with the tool just now


def _secret() -> str:
    """A stable platform secret derived from the app's SECRET_KEY (same in every worker)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"vbhc-demo-lms", hashlib.sha256).hexdigest()


def client_id_for(issuer: str, tool_base: str) -> str:
    """One registration per host the demo is reached on (so a changed port keeps working)."""
    return "vbhc-demo-" + hashlib.sha256(f"{issuer}|{tool_base}".encode()).hexdigest()[:12]


def _fetch_json(url: str) -> dict:
    """The tool's JWKS: served by this very app, so ask it in-process (no self-HTTP deadlock)."""
    bases = {current_app.config.get("TOOL_BASE_URL") or ""}
    if has_request_context():
        bases.add(request.host_url.rstrip("/"))
    for base in filter(None, bases):
        if url.startswith(base + "/"):
            resp = current_app.test_client().get(url[len(base):])
            if resp.status_code != 200:
                raise RuntimeError(f"{url} answered {resp.status_code}")
            return resp.get_json()
    answer = requests.get(url, timeout=10)
    answer.raise_for_status()
    return answer.json()


def build_platform(issuer: str) -> Platform:
    """The demo platform at `issuer` (state in the demo_* tables)."""
    return Platform(issuer, store=SqlStore(), secret=_secret(), name=PLATFORM_NAME, guid="vbhc-demo-lms",
                    require_membership=True, http_get=_fetch_json)


def setup(issuer: str, tool_base: str, platform: Platform | None = None) -> DemoSetup:
    """Idempotently: keys, the course, the tool on the platform, the platform in the tool's registry."""
    issuer, tool_base = issuer.rstrip("/"), tool_base.rstrip("/")
    platform = platform or build_platform(issuer)  # creates the first signing key if there is none
    client_id = client_id_for(issuer, tool_base)
    wanted = {"login_url": tool_base + "/lti/login", "launch_url": tool_base + "/lti/launch",
              "jwks_url": tool_base + "/lti/jwks", "deep_link_url": tool_base + "/lti/launch"}
    existing = platform.store.get_tool(client_id)
    tool_changed = not existing or any(existing.get(k) != v for k, v in wanted.items())
    if tool_changed:
        platform.register_tool(client_id=client_id, deployment_id=DEPLOYMENT_ID,
                               name=current_app.config.get("TOOL_NAME", "VBHC Academy"), **wanted)
    if platform.store.get_context(COURSE_ID) is None:
        platform.ensure_context(COURSE_ID)
    registered = _register_with_tool(platform, client_id)
    return DemoSetup(issuer, client_id, DEPLOYMENT_ID, tool_base, tool_changed, registered)


def _register_with_tool(platform: Platform, client_id: str) -> bool:
    """lti.registry.add_platform for the demo platform; False when it was already there unchanged."""
    found = registry.find_platform(db.session, platform.issuer, client_id)
    if found is not None and found.auth_login_url == platform.auth_login_url \
            and found.key_set_url == platform.key_set_url \
            and DEPLOYMENT_ID in {d.deployment_id for d in found.deployments}:
        return False
    registry.add_platform(db.session, issuer=platform.issuer, client_id=client_id, deployment_ids=[DEPLOYMENT_ID],
                          auth_login_url=platform.auth_login_url, auth_token_url=platform.auth_token_url,
                          key_set_url=platform.key_set_url, name=PLATFORM_NAME,
                          replace=True)  # the demo's own registration, kept in step with the demo's URLs
    db.session.commit()
    return True


def request_bases() -> tuple[str, str]:
    """(issuer, tool base) for this request: the demo lives at <this host>/demo."""
    host = request.host_url.rstrip("/")
    return host + "/demo", (current_app.config.get("TOOL_BASE_URL") or host).rstrip("/")


def current_platform() -> Platform:
    """The demo platform for the host of this request, set up on first use."""
    if "demo_platform" not in g:
        issuer, tool_base = request_bases()
        platform = build_platform(issuer)
        # A few indexed reads when all is in place; writes only for a new host or a wiped database.
        g.demo_client_id = setup(issuer, tool_base, platform).client_id
        g.demo_platform = platform
    return g.demo_platform


def current_client_id() -> str:
    """The client_id of the tool registration for this host."""
    current_platform()
    return g.demo_client_id


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
