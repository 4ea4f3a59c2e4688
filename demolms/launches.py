"""Pending launches: what the platform's page sends to the tool, and the signed hints behind it."""
from __future__ import annotations

import time
import uuid

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from demolms import claims as C
from demolms.authorization import authorize, build_claims
from demolms.errors import PlatformError
from demolms.people import resolve_user
from demolms.sent import AuthAnswer, LoginInitiation

LAUNCH_HINT_MAX_AGE = 600


class LaunchMixin:
    """Platform methods that prepare launches (see demolms.platform.Platform)."""

    def _serializer(self, salt: str) -> URLSafeTimedSerializer:
        """Signs and checks the platform's opaque tokens (hints, data, start links)."""
        return URLSafeTimedSerializer(self.secret, salt=salt)

    def prepare_launch(self, *, role="learner", user=None, locale: str | None = "nl",
                       resource_link_id: str | None = "rl-1", context_id: str | None = "course-1",
                       custom: dict | None = None, message_type: str = C.RESOURCE_LINK_REQUEST,
                       mutate=None, storage_target: str | None = None, client_id: str | None = None,
                       deployment_id: str | None = None, target_link_uri: str | None = None,
                       resource_link_title: str | None = None, context_title: str | None = None,
                       for_user=None, document_target: str = "iframe", login_method: str = "POST",
                       enrol: bool = True, deep_linking: dict | None = None) -> LoginInitiation:
        """Record a pending launch and return the login initiation the browser sends to the tool.

        `deep_linking` changes the deep_linking_settings claim of an LtiDeepLinkingRequest, as
        platforms differ: {"accept_types": ["link"], "accept_multiple": False, "auto_create": False,
        "accept_lineitem": False, "title": …}; a value None leaves that field out of the claim."""
        if message_type not in C.MESSAGE_TYPES:
            raise ValueError(f"unknown message_type {message_type!r}")
        tool = self.tool(client_id)
        deployment_id = deployment_id or tool["deployment_ids"][0]
        person = resolve_user(user, role)
        roles = C.role_uris(role)
        if context_id:
            self.ensure_context(context_id, context_title)
            if enrol and person:
                self.add_member(person, roles=roles or "learner", context_id=context_id)
        if message_type == C.DEEP_LINKING_REQUEST:
            target = target_link_uri or tool["deep_link_url"]
        else:
            link = self._touch_link(resource_link_id, context_id, resource_link_title, custom, tool)
            custom = dict(link.get("custom") or {}, **(custom or {})) if link else custom
            target = target_link_uri or (link or {}).get("url") or tool["launch_url"]
        hint_id = uuid.uuid4().hex
        launch = {"id": hint_id, "client_id": tool["client_id"], "deployment_id": deployment_id,
                  "message_type": message_type, "roles": roles, "user": person, "locale": locale,
                  "resource_link_id": resource_link_id, "context_id": context_id,
                  "custom": dict(tool.get("custom") or {}, **(custom or {})),
                  "target_link_uri": target, "for_user": resolve_user(for_user, "learner") if for_user else None,
                  "document_target": document_target, "storage_target": storage_target,
                  "deep_linking": dict(deep_linking or {})}
        if mutate is not None:
            with self._lock:
                now = time.time()
                self._mutators = {k: v for k, v in self._mutators.items() if v[0] > now}
                self._mutators[hint_id] = (now + LAUNCH_HINT_MAX_AGE, mutate)
        params = {"iss": self.issuer, "login_hint": person["sub"], "target_link_uri": target,
                  "lti_message_hint": self._serializer("demolms-launch").dumps(launch),
                  "client_id": tool["client_id"], "lti_deployment_id": deployment_id}
        if storage_target:
            params["lti_storage_target"] = storage_target
        return LoginInitiation(tool["login_url"], params, hint_id, login_method.upper())

    def _touch_link(self, link_id, context_id, title, custom, tool) -> dict | None:
        """The resource link being launched, created on first launch (as placing it in a course)."""
        if not link_id:
            return None
        link = self.store.get_link(link_id)
        if link is None:
            link = {"id": link_id, "context_id": context_id, "client_id": tool["client_id"],
                    "title": title, "custom": dict(custom or {}), "url": None}
            self.store.save_link(link)
        elif title and link.get("title") != title:
            link = dict(link, title=title)
            self.store.save_link(link)
        return link

    def initiation_token(self, init: LoginInitiation) -> str:
        """A signed token that lets a browser page replay this login initiation (see /start)."""
        return self._serializer("demolms-start").dumps(
            {"url": init.url, "params": init.params, "method": init.method})

    def read_initiation_token(self, token: str) -> LoginInitiation:
        """The login initiation behind a /start token."""
        try:
            data = self._serializer("demolms-start").loads(token, max_age=LAUNCH_HINT_MAX_AGE)
        except BadSignature:
            raise PlatformError(400, "invalid_request", "this launch link is not valid or has expired")
        return LoginInitiation(data["url"], data["params"], "", data["method"])

    def read_launch_hint(self, hint: str) -> dict:
        """The pending launch behind an lti_message_hint (signed by us, at most 10 minutes old)."""
        try:
            return self._serializer("demolms-launch").loads(hint, max_age=LAUNCH_HINT_MAX_AGE)
        except SignatureExpired:
            raise PlatformError(400, "login_required", "lti_message_hint has expired; start the launch again")
        except BadSignature:
            raise PlatformError(400, "invalid_request", "lti_message_hint is not a launch of this platform")

    def authorize(self, params) -> AuthAnswer:
        """The OIDC authorization endpoint (Security Framework 5.1.1.2 / 5.1.1.3)."""
        return authorize(self, params)

    def build_claims(self, launch: dict, nonce: str | None) -> dict:
        """The id_token claims of a pending launch."""
        return build_claims(self, launch, nonce)

    def mutator(self, hint_id: str):
        """The test's mutate(claims, header) for a pending launch, if any."""
        with self._lock:
            entry = self._mutators.get(hint_id)
        return entry[1] if entry else None

