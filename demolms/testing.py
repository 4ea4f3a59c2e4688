"""PlatformServer: a real LTI 1.3 platform on loopback, for the tool's tests (see demolms/README.md).

    platform = PlatformServer.start()
    platform.register_tool(login_url=..., launch_url=..., jwks_url=...)
    resp = platform.launch(new_browser(), role="instructor", custom={"module": "care-cycle"})
    platform.scores[-1]["scoreGiven"]; platform.fail("/token", 500); platform.stop()
    platform.fail_for("/token", 503, seconds=5)    # down for a while rather than for N requests
"""
from __future__ import annotations

import threading
from urllib.parse import urlencode

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from demolms import claims as C, registration
from demolms.ags import public_lineitem
from demolms.browser import follow_platform_pages, new_browser  # noqa: F401 (re-exported)
from demolms.platform import Platform
from demolms.server import create_platform_app


class QuietHandler(WSGIRequestHandler):
    """Request handler that keeps test output clean (errors still go to the log)."""

    def log_request(self, code="-", size="-"):
        """Skip the per-request access log line."""


class ScoreRecord(dict):
    """A score exactly as the tool posted it, with where and when it arrived as attributes."""

    def __init__(self, record: dict, platform: Platform):
        super().__init__(record["body"])
        self.lineitem_id = record["lineitem_id"]
        self.context_id = record["context_id"]
        self.lineitem_url = platform.lineitem_url(record["context_id"], record["lineitem_id"])
        self.received_at = record["received_at"]


class PlatformServer:
    """A Platform served over real HTTP by werkzeug in a daemon thread."""

    def __init__(self, platform: Platform, host: str):
        self.platform = platform
        self._server = make_server(host, 0, create_platform_app(platform), threaded=True,
                                   request_handler=QuietHandler)
        self.host, self.port = host, self._server.server_port
        platform.issuer = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self.client_id = "client-" + platform.secret[:10]
        self.deployment_id = "deployment-" + platform.secret[10:16]

    @classmethod
    def start(cls, host: str = "127.0.0.1", **options) -> "PlatformServer":
        """Serve a fresh platform; options go to demolms.Platform (page sizes, token_lifetime, …)."""
        server = cls(Platform("http://placeholder", **options), host)
        server._thread.start()
        return server

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---- where things are ----
    issuer = property(lambda self: self.platform.issuer)
    url = property(lambda self: self.platform.issuer)
    auth_login_url = property(lambda self: self.platform.auth_login_url)
    auth_token_url = property(lambda self: self.platform.auth_token_url)
    key_set_url = property(lambda self: self.platform.key_set_url)
    openid_configuration_url = property(lambda self: self.platform.openid_configuration_url)
    registration_endpoint = property(lambda self: self.platform.registration_endpoint)
    deep_link_return_url = property(lambda self: self.platform.deep_link_return_url)

    def lineitems_url(self, context_id: str = "course-1") -> str:
        """AGS line items container of a course."""
        return self.platform.lineitems_url(context_id)

    def memberships_url(self, context_id: str = "course-1") -> str:
        """NRPS membership container of a course."""
        return self.platform.memberships_url(context_id)

    # ---- registration ----
    def register_tool(self, *, login_url: str, launch_url: str, jwks_url: str, deep_link_url: str | None = None,
                      redirect_uris=None, client_id: str | None = None, deployment_id: str | None = None,
                      **extra) -> dict:
        """Register the tool by hand, with this server's client_id and deployment_id by default."""
        return self.platform.register_tool(
            login_url=login_url, launch_url=launch_url, jwks_url=jwks_url, deep_link_url=deep_link_url,
            redirect_uris=redirect_uris, client_id=client_id or self.client_id,
            deployment_id=deployment_id or self.deployment_id, **extra)

    def registration_url(self, tool_registration_url: str) -> str:
        """The URL an admin's browser opens to start dynamic registration with the tool."""
        return registration.initiation_url(self.platform, tool_registration_url)

    def start_registration(self, browser: requests.Session, tool_registration_url: str) -> requests.Response:
        """Do what an admin pasting the tool's registration URL does; returns the tool's page."""
        return browser.get(self.registration_url(tool_registration_url))

    # ---- launches ----
    def launch(self, browser: requests.Session, *, role="learner", user=None, locale: str | None = "nl",
               resource_link_id: str | None = "rl-1", context_id: str | None = "course-1",
               custom: dict | None = None, message_type: str = C.RESOURCE_LINK_REQUEST, mutate=None,
               storage_target: str | None = None, login_method: str = "POST", **options) -> requests.Response:
        """The whole OIDC launch as a browser does it; returns the tool's final response."""
        init = self.platform.prepare_launch(
            role=role, user=user, locale=locale, resource_link_id=resource_link_id, context_id=context_id,
            custom=custom, message_type=message_type, mutate=mutate, storage_target=storage_target,
            login_method=login_method, **options)
        if init.method == "GET":
            first = browser.get(init.url, params=init.params)
        else:
            first = browser.post(init.url, data=init.params)
        return follow_platform_pages(browser, first, self.platform.auth_login_url)

    def frame_url(self, **launch_options) -> str:
        """A platform page that launches the tool in an iframe with Platform Storage (for Chromium)."""
        launch_options.setdefault("storage_target", "_parent")
        init = self.platform.prepare_launch(**launch_options)
        return f"{self.issuer}/frame?{urlencode({'t': self.platform.initiation_token(init)})}"

    def base_claims(self, claims: dict | None = None, **overrides) -> dict:
        """Valid claims of a launch for hand-crafted tokens; launch options or top-level claims as kwargs."""
        launch_keys = {"role", "user", "locale", "resource_link_id", "context_id", "custom", "message_type",
                       "client_id", "deployment_id", "target_link_uri", "for_user", "resource_link_title",
                       "context_title", "deep_linking"}
        launch = {k: overrides.pop(k) for k in list(overrides) if k in launch_keys}
        init = self.platform.prepare_launch(**launch)
        pending = self.platform.read_launch_hint(init.params["lti_message_hint"])
        built = self.platform.build_claims(pending, overrides.pop("nonce", None))
        built.update(overrides)
        built.update(claims or {})
        return built

    def sign(self, claims: dict, *, kid=None, alg: str = "RS256", key=None, headers: dict | None = None) -> str:
        """Sign as the platform (kid=False leaves the kid out; key= signs with another key)."""
        return self.platform.sign(claims, kid=kid, alg=alg, key=key, headers=headers)

    @property
    def last_launch(self):
        """The last id_token the auth endpoint issued (claims, header, id_token, state)."""
        return self.platform.launches[-1] if self.platform.launches else None

    # ---- what the tool sent back ----
    @property
    def scores(self) -> list[ScoreRecord]:
        """Every accepted score, in arrival order."""
        return [ScoreRecord(r, self.platform) for r in self.platform.store.list_scores()]

    @property
    def lineitems(self) -> list[dict]:
        """Every line item as AGS JSON."""
        return [public_lineitem(self.platform, i) for i in self.platform.store.list_lineitems()]

    @property
    def deep_link_responses(self) -> list[dict]:
        """Every verified deep-linking response (content_items, msg, links, claims, …)."""
        return self.platform.store.list_deep_link_responses()

    @property
    def members(self) -> list[dict]:
        """The roster of the default course ('course-1') as NRPS lists it."""
        return self.members_of("course-1")

    def members_of(self, context_id: str) -> list[dict]:
        """The roster of a course as NRPS lists it."""
        return self.platform.store.list_members(context_id)

    def add_member(self, user=None, *, roles="learner", context_id: str = "course-1", **fields) -> dict:
        """Enrol someone (user id, person dict or None for the role's default person)."""
        return self.platform.add_member(user, roles=roles, context_id=context_id, **fields)

    token_requests = property(lambda self: self.platform.token_requests)
    requests = property(lambda self: self.platform.requests)
    auth_errors = property(lambda self: self.platform.auth_errors)

    # ---- keys and faults ----
    def rotate_keys(self):
        """New current signing key; the old one stays published."""
        return self.platform.rotate_keys()

    def revoke_tokens(self) -> None:
        """Invalidate every access token issued so far (next service call gets 401)."""
        self.platform.revoke_tokens()

    def fail(self, path_prefix: str, status: int, times: int = 1, headers: dict | None = None, body=None) -> None:
        """The next `times` requests whose path starts with path_prefix answer `status`."""
        self.platform.faults.fail(self._path(path_prefix), status, times, headers, body)

    def delay(self, path_prefix: str, seconds: float, times: int = 1) -> None:
        """The next `times` requests under path_prefix wait `seconds` first."""
        self.platform.faults.delay(self._path(path_prefix), seconds, times)

    def hold(self, path_prefix: str, at_most: float, times: int = 1):
        """The next `times` requests under path_prefix wait until the returned event is set (at
        most `at_most` seconds): the test, not a sleep, decides when the LMS answers."""
        return self.platform.faults.hold(self._path(path_prefix), at_most, times)

    def arrived(self, path_prefix: str) -> int:
        """Requests under path_prefix that have arrived, held ones included (`requests` lists a
        request only once it is answered)."""
        return self.platform.faults.arrived(self._path(path_prefix))

    def fail_for(self, path_prefix: str, status: int, seconds: float, headers: dict | None = None, body=None,
                 after: float = 0.0) -> None:
        """Every request whose path starts with path_prefix answers `status` for `seconds`, from
        `after` seconds from now: an endpoint down (503) or throttling (429) for a while."""
        self.platform.faults.fail_for(self._path(path_prefix), status, seconds, headers, body, after)

    def delay_for(self, path_prefix: str, delay: float, seconds: float, after: float = 0.0) -> None:
        """Every request under path_prefix waits `delay` seconds first, for `seconds` from `after`
        seconds from now: a slow endpoint for a while."""
        self.platform.faults.delay_for(self._path(path_prefix), delay, seconds, after)

    def _path(self, prefix: str) -> str:
        """Accept '/token' or a full URL of this server."""
        return prefix[len(self.issuer):] if prefix.startswith(self.issuer) else prefix
