"""The platform: registered tools, courses and people, its URLs and keys (launches: launches.py,
access tokens and tool keys: access.py, the HTTP endpoints: server.py)."""
from __future__ import annotations

import secrets
import threading
import time
import uuid
from urllib.parse import quote

from demolms import claims as C
from demolms.access import AccessMixin
from demolms.errors import PlatformError
from demolms.faults import Faults
from demolms.keys import KeyRing
from demolms.launches import LaunchMixin
from demolms.people import DEMO_COURSE, resolve_user
from demolms.sent import AuthAnswer, LaunchRecord, LoginInitiation  # noqa: F401 (re-exported)
from demolms.signing import sign
from demolms.store import MemoryStore

__all__ = ["Platform", "PlatformError", "LoginInitiation", "AuthAnswer", "LaunchRecord"]


class Platform(LaunchMixin, AccessMixin):
    """An LTI 1.3 platform; `issuer` is also the base URL its endpoints are mounted under."""

    def __init__(self, issuer: str, *, store=None, secret: str | None = None, name: str = "Demo LMS",
                 product_family_code: str = "vbhc-demolms", version: str = "1.0",
                 guid: str | None = None, nrps_page_size: int = 10, lineitems_page_size: int = 10,
                 token_lifetime: int = 3600, score_timestamp_resolution: str = "exact",
                 over_maximum: str = "reject", require_membership: bool = False,
                 http_get=None, keys: KeyRing | None = None):
        self.issuer = issuer.rstrip("/")
        self.store = store if store is not None else MemoryStore()
        self.secret = secret or secrets.token_hex(32)
        self.name, self.product_family_code, self.version = name, product_family_code, version
        self.guid = guid or "demolms-" + uuid.uuid5(uuid.NAMESPACE_URL, self.issuer).hex[:12]
        self.nrps_page_size, self.lineitems_page_size = nrps_page_size, lineitems_page_size
        self.token_lifetime = token_lifetime
        self.score_timestamp_resolution = score_timestamp_resolution
        self.over_maximum = over_maximum
        self.require_membership = require_membership
        self.keys = keys or KeyRing(self.store)
        self.faults = Faults()
        self._http_get = http_get
        self._mutators: dict[str, tuple[float, object]] = {}
        self._lock = threading.RLock()
        self.launches: list[LaunchRecord] = []
        self.auth_errors: list[dict] = []
        self.token_requests: list[dict] = []
        self.requests: list[dict] = []
        self.tokens_revoked_before = 0.0
        self.tool_keys_cache: dict[str, dict] = {}

    # ---- URLs (all below the issuer) ----
    def url(self, path: str) -> str:
        """Absolute URL of a platform path."""
        return self.issuer + path

    @property
    def auth_login_url(self) -> str:
        """The OIDC authorization endpoint."""
        return self.url("/auth")

    @property
    def auth_token_url(self) -> str:
        """The OAuth 2 token endpoint."""
        return self.url("/token")

    @property
    def key_set_url(self) -> str:
        """The platform's JWKS."""
        return self.url("/jwks")

    @property
    def openid_configuration_url(self) -> str:
        """Dynamic registration: the OpenID configuration."""
        return self.url("/.well-known/openid-configuration")

    @property
    def registration_endpoint(self) -> str:
        """Dynamic registration: where tools POST their registration."""
        return self.url("/register")

    @property
    def deep_link_return_url(self) -> str:
        """Where deep-linking responses are posted."""
        return self.url("/deep_links")

    def lineitems_url(self, context_id: str) -> str:
        """The AGS line items container of a course."""
        return self.url(f"/ags/{quote(context_id, safe='')}/lineitems")

    def lineitem_url(self, context_id: str, item_id: str) -> str:
        """One line item's URL (also its AGS id)."""
        return f"{self.lineitems_url(context_id)}/{item_id}"

    def memberships_url(self, context_id: str) -> str:
        """The NRPS membership container of a course."""
        return self.url(f"/nrps/{quote(context_id, safe='')}/memberships")

    def return_url(self, context_id: str | None) -> str:
        """Where the tool sends the user back to the course."""
        return self.url("/return" + (f"?context_id={quote(context_id, safe='')}" if context_id else ""))

    @property
    def platform_info(self) -> dict:
        """The tool_platform claim."""
        return {"guid": self.guid, "name": self.name, "product_family_code": self.product_family_code,
                "version": self.version, "url": self.issuer}

    # ---- tools ----
    def register_tool(self, *, login_url: str, launch_url: str, jwks_url: str,
                      deep_link_url: str | None = None, redirect_uris=None, client_id: str | None = None,
                      deployment_id: str | None = None, name: str = "Tool", scopes=None,
                      custom: dict | None = None, registration: dict | None = None) -> dict:
        """Register a tool by hand (what an LMS admin types in); idempotent on client_id."""
        client_id = client_id or f"client-{secrets.token_hex(6)}"
        existing = self.store.get_tool(client_id) or {}
        deployments = list(existing.get("deployment_ids", []))
        deployment_id = deployment_id or (deployments[0] if deployments else f"deployment-{secrets.token_hex(4)}")
        if deployment_id not in deployments:
            deployments.append(deployment_id)
        uris = list(redirect_uris or [launch_url] + ([deep_link_url] if deep_link_url and deep_link_url != launch_url else []))
        tool = {"client_id": client_id, "name": name, "deployment_ids": deployments,
                "login_url": login_url, "launch_url": launch_url, "jwks_url": jwks_url,
                "deep_link_url": deep_link_url or launch_url, "redirect_uris": uris,
                "scopes": list(C.ALL_SCOPES if scopes is None else scopes), "custom": dict(custom or {}),
                "registration": registration or existing.get("registration"),
                "created_at": existing.get("created_at", time.time())}
        self.store.save_tool(tool)
        self.tool_keys_cache.pop(jwks_url, None)
        return tool

    def tool(self, client_id: str | None = None) -> dict:
        """A registered tool (the only/first one when client_id is None)."""
        if client_id:
            tool = self.store.get_tool(client_id)
        else:
            tools = sorted(self.store.list_tools(), key=lambda t: t.get("created_at", 0))
            tool = tools[0] if tools else None
        if not tool:
            raise PlatformError(400, "invalid_client", f"no tool registered with client_id {client_id!r}"
                                " (call register_tool() first)")
        return tool

    # ---- courses and people ----
    def ensure_context(self, context_id: str, title: str | None = None, label: str | None = None) -> dict:
        """The course record, created on first use."""
        context = self.store.get_context(context_id)
        if context is None or (title and context.get("title") != title):
            base = DEMO_COURSE if context_id == DEMO_COURSE["id"] else {}
            context = {"id": context_id, "title": title or base.get("title") or context_id,
                       "label": label or base.get("label") or context_id}
            self.store.save_context(context)
        return context

    def add_member(self, user=None, *, roles="learner", context_id: str = "course-1",
                   status: str = "Active", **fields) -> dict:
        """Enrol a person in a course (what NRPS lists); `user` as for a launch, fields add PII."""
        person = resolve_user(user, roles)
        person.update(fields)
        self.ensure_context(context_id)
        member = {"user_id": person["sub"], "status": status,
                  "roles": C.context_roles(C.role_uris(roles)) or C.role_uris(roles),
                  "updated_at": time.time()}
        for key in ("name", "given_name", "family_name", "email", "picture"):
            if person.get(key):
                member[key] = person[key]
        self.store.save_member(context_id, member)
        return member

    def member(self, context_id: str, user_id: str) -> dict | None:
        """A member of a course by user id."""
        return next((m for m in self.store.list_members(context_id) if m["user_id"] == user_id), None)

    # ---- signing ----
    def sign(self, claims: dict, *, kid: str | None = None, alg: str = "RS256", key=None,
             headers: dict | None = None) -> str:
        """Sign claims as the platform (or with `key`, e.g. an attacker's, under any kid/alg)."""
        return sign(self, claims, kid=kid, alg=alg, key=key, headers=headers)

    def rotate_keys(self):
        """A new current signing key; the old one stays in the JWKS for the grace period."""
        return self.keys.rotate()

    def jwks(self) -> dict:
        """The platform's public key set."""
        return self.keys.jwks()
