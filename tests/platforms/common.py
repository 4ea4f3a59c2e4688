"""What the interop platforms share: a Flask app on loopback, people and courses, a gradebook.

Everything LTI — signing id_tokens, login initiation, checking the tool's client assertion and
bearer tokens, validating the deep-linking response — is done by the platform library a
subclass wraps (tests/platforms/openedx.py, tests/platforms/lti1p3platform_server.py). This
module is only what any LMS keeps around that: who is enrolled, which links exist, what the
gradebook holds, and an HTTP server. The interface matches demolms.testing.PlatformServer where
the tests use it (launch, register_tool, scores, lineitems, deep_link_responses, last_launch), so
one test can run against all three platforms.
"""
from __future__ import annotations

import html
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import jwt
import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

from demolms.browser import follow_platform_pages

RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"

PEOPLE = {
    "learner-1": {"sub": "learner-1", "name": "Sanne de Vries", "email": "sanne@example.org"},
    "learner-2": {"sub": "learner-2", "name": "Daan Bakker", "email": "daan@example.org"},
    "instructor-1": {"sub": "instructor-1", "name": "Dr. Marieke Visser", "email": "marieke@example.org"},
}


class QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, code="-", size="-"):
        """Skip the per-request line."""


@dataclass
class LaunchRecord:
    """An id_token the platform issued, decoded for the tests (the tool verifies the real one)."""

    id_token: str
    claims: dict = field(init=False)
    header: dict = field(init=False)

    def __post_init__(self):
        self.claims = jwt.decode(self.id_token, options={"verify_signature": False})
        self.header = jwt.get_unverified_header(self.id_token)


@dataclass
class Launch:
    """What one launch is about, kept between the login initiation and the authorization request."""

    user: dict
    role: str
    message_type: str
    resource_link_id: str | None
    context_id: str | None
    context_title: str | None
    custom: dict | None
    target_link_uri: str


class ScoreRecord(dict):
    """A score as the tool posted it, with its line item's URL and course (like demolms')."""

    def __init__(self, body: dict, lineitem_url: str, context_id: str):
        super().__init__(body)
        self.lineitem_url, self.context_id = lineitem_url, context_id


class Gradebook:
    """Line items and scores per course, in memory: the storage behind the AGS endpoints."""

    def __init__(self, server: "GlueServer"):
        self.server = server
        self.items: dict[str, dict] = {}  # id (URL) -> line item JSON, plus _context_id
        self.scores: list[ScoreRecord] = []
        self._lock = threading.Lock()

    def add(self, context_id: str, item: dict) -> dict:
        """A new line item in a course; returns it with its id."""
        with self._lock:
            stored = {k: v for k, v in item.items() if k != "id"}
            stored["id"] = f"{self.server.lineitems_url(context_id)}/{len(self.items) + 1}"
            stored["_context_id"] = context_id
            self.items[stored["id"]] = stored
        return self.public(stored)

    def find(self, context_id: str, resource_link_id=None, resource_id=None, tag=None) -> list[dict]:
        """A course's line items, filtered as AGS allows (resource_link_id, resource_id, tag)."""
        found = [i for i in self.items.values() if i["_context_id"] == context_id]
        for key, wanted in (("resourceLinkId", resource_link_id), ("resourceId", resource_id), ("tag", tag)):
            if wanted:
                found = [i for i in found if i.get(key) == wanted]
        return [self.public(i) for i in found]

    def get(self, context_id: str, item_id: str) -> dict | None:
        """One line item of a course, by its number."""
        item = self.items.get(f"{self.server.lineitems_url(context_id)}/{item_id}")
        return self.public(item) if item else None

    def update(self, context_id: str, item_id: str, fields: dict) -> dict | None:
        """Change a line item (its id stays)."""
        url = f"{self.server.lineitems_url(context_id)}/{item_id}"
        if url not in self.items:
            return None
        self.items[url].update({k: v for k, v in fields.items() if k != "id"})
        return self.public(self.items[url])

    def delete(self, context_id: str, item_id: str) -> bool:
        """Remove a line item."""
        return self.items.pop(f"{self.server.lineitems_url(context_id)}/{item_id}", None) is not None

    def add_score(self, context_id: str, item_id: str, score: dict) -> str:
        """Record a score: 'created', 'oldtimestamp' (AGS: not newer than the last one) or 'notfound'."""
        url = f"{self.server.lineitems_url(context_id)}/{item_id}"
        with self._lock:
            if url not in self.items:
                return "notfound"
            previous = [s for s in self.scores if s.lineitem_url == url and s.get("userId") == score.get("userId")]
            stamp = datetime.fromisoformat(str(score.get("timestamp")).replace("Z", "+00:00"))
            if previous and datetime.fromisoformat(previous[-1]["timestamp"].replace("Z", "+00:00")) >= stamp:
                return "oldtimestamp"
            self.scores.append(ScoreRecord(score, url, context_id))
        return "created"

    def results(self, context_id: str, item_id: str) -> list[dict]:
        """Each user's latest score of a line item as an AGS result."""
        url = f"{self.server.lineitems_url(context_id)}/{item_id}"
        latest = {s["userId"]: s for s in self.scores if s.lineitem_url == url}
        return [{"id": f"{url}/results/{user}", "scoreOf": url, "userId": user, "resultScore": s.get("scoreGiven"),
                 "resultMaximum": s.get("scoreMaximum")} for user, s in latest.items()]

    @staticmethod
    def public(item: dict) -> dict:
        """A line item without the gradebook's own fields."""
        return {k: v for k, v in item.items() if not k.startswith("_")}


def auto_post_form(action: str, fields: dict) -> Response:
    """The OIDC form_post page every LMS sends: a form the browser submits on load."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(str(v))}">'
                     for k, v in fields.items())
    page = (f'<!doctype html><html><body><form id="f" method="post" action="{html.escape(action)}">{inputs}</form>'
            '<script>document.getElementById("f").submit()</script></body></html>')
    return Response(page, content_type="text/html; charset=utf-8")


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    parts = request.headers.get("Authorization", "").split()
    return parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else None


class GlueServer:
    """A platform library served over HTTP on 127.0.0.1; subclasses add the library's part."""

    kind = "glue"
    name = "Glue LMS"

    def __init__(self):
        self.app = Flask(f"interop-{self.kind}")
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=QuietHandler)
        self.port = self._server.server_port
        self.issuer = self.url = f"http://127.0.0.1:{self.port}"
        self.client_id = f"{self.kind}-client-{uuid.uuid4().hex[:8]}"
        self.deployment_id = f"{self.kind}-deployment-1"
        self.tool: dict | None = None
        self.gradebook = Gradebook(self)
        self.launches: list[LaunchRecord] = []
        self.deep_link_responses: list[dict] = []
        self.links: dict[str, dict] = {}       # resource links placed by deep linking
        self.members: dict[str, dict[str, dict]] = {}   # context id -> user id -> member
        self.pending: dict[str, Launch] = {}   # lti_message_hint -> launch
        self.app.add_url_rule("/jwks", "jwks", lambda: jsonify(self.jwks()))
        self.app.add_url_rule("/token", "token", self._token, methods=["POST"])
        self.app.add_url_rule("/authorize", "authorize", self._authorize, methods=["GET", "POST"])
        self.app.add_url_rule("/deep-linking/return", "dl_return", self._deep_link_return, methods=["POST"])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @classmethod
    def start(cls) -> "GlueServer":
        """Serve a fresh platform."""
        server = cls()
        server._thread.start()
        return server

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ---- where things are ----
    auth_login_url = property(lambda self: self.issuer + "/authorize")
    auth_token_url = property(lambda self: self.issuer + "/token")
    key_set_url = property(lambda self: self.issuer + "/jwks")
    deep_link_return_url = property(lambda self: self.issuer + "/deep-linking/return")

    def lineitems_url(self, context_id: str = "course-1") -> str:
        """AGS line items container of a course."""
        return f"{self.issuer}/ags/{context_id}/lineitems"

    def memberships_url(self, context_id: str = "course-1") -> str:
        """NRPS membership container of a course."""
        return f"{self.issuer}/nrps/{context_id}/memberships"

    # ---- registration (what an LMS administrator types into the platform's tool form) ----
    def register_tool(self, *, login_url: str, launch_url: str, jwks_url: str, deep_link_url: str | None = None,
                      client_id: str | None = None, deployment_id: str | None = None, **_ignored) -> dict:
        """Configure the tool (again: each test serves the tool on a new port)."""
        self.client_id = client_id or self.client_id
        self.deployment_id = deployment_id or self.deployment_id
        self.tool = {"login_url": login_url, "launch_url": launch_url, "jwks_url": jwks_url,
                     "deep_link_url": deep_link_url or launch_url}
        self.configure_tool()
        return {"client_id": self.client_id, "deployment_ids": [self.deployment_id]}

    def add_member(self, user=None, *, roles="learner", context_id: str = "course-1", **fields) -> dict:
        """Enrol someone in a course (what NRPS lists)."""
        person = self.person(user or "learner-1")
        member = {"user_id": person["sub"], "name": person.get("name"), "email": person.get("email"),
                  "roles": self.membership_roles(roles), "status": "Active", **fields}
        self.members.setdefault(context_id, {})[person["sub"]] = {k: v for k, v in member.items() if v is not None}
        return member

    def members_of(self, context_id: str) -> list[dict]:
        """A course's roster."""
        return list(self.members.get(context_id, {}).values())

    # ---- launches ----
    def launch(self, browser: requests.Session, *, role: str = "learner", user=None, locale: str | None = "nl",
               resource_link_id: str | None = "rl-1", context_id: str | None = "course-1",
               custom: dict | None = None, message_type: str = RESOURCE_LINK, context_title: str | None = None,
               **_ignored) -> requests.Response:
        """The whole launch as a browser does it: the platform's login initiation, the tool's
        redirect to /authorize, the id_token form posted to the tool; returns the tool's page.

        Neither library has a launch_presentation.locale (LTI 1.3 §6.1.2 makes it optional), so
        the learner's language travels as a browser does: in Accept-Language."""
        person = self.person(user or ("instructor-1" if role == "instructor" else "learner-1"))
        if context_id:
            self.add_member(person["sub"], roles=role, context_id=context_id)
        link = self.links.get(resource_link_id or "")
        target = (link or {}).get("url") or self.tool["launch_url"]
        if message_type == DEEP_LINKING:
            target, resource_link_id = self.tool["deep_link_url"], None
        if custom is None and link:
            custom = link.get("custom")
        pending = Launch(person, role, message_type, resource_link_id, context_id, context_title, custom, target)
        if locale:
            browser.headers["Accept-Language"] = locale
        first = browser.get(self.login_initiation_url(pending))
        return follow_platform_pages(browser, first, self.auth_login_url)

    @property
    def last_launch(self) -> LaunchRecord | None:
        """The last id_token /authorize issued."""
        return self.launches[-1] if self.launches else None

    def person(self, user) -> dict:
        """A person from an id ('learner-2') or a dict with at least sub."""
        if isinstance(user, dict):
            return dict(user)
        return dict(PEOPLE.get(user) or {"sub": user, "name": user})

    def remember(self, launch: Launch) -> str:
        """Keep a launch until the tool comes back to /authorize; returns its lti_message_hint."""
        hint = uuid.uuid4().hex
        self.pending[hint] = launch
        return hint

    def _authorize(self):
        """The OIDC authorization endpoint: the library checks the request and signs the id_token."""
        params = request.values.to_dict()
        try:
            id_token, state, redirect_uri = self.authorize(params)
        except Exception as exc:  # the library's refusal, shown as an LMS shows it
            return Response(f"launch refused: {type(exc).__name__}: {exc}", status=400, content_type="text/plain")
        self.launches.append(LaunchRecord(id_token))
        return auto_post_form(redirect_uri, {"id_token": id_token, "state": state})

    def _token(self):
        """The OAuth2 token endpoint (client credentials with a JWT assertion), by the library."""
        try:
            return jsonify(self.access_token(request.form.to_dict()))
        except Exception as exc:
            return jsonify({"error": "invalid_client", "error_description": f"{type(exc).__name__}: {exc}"}), 401

    def _deep_link_return(self):
        """The deep-linking return URL: the library validates the tool's signed response; each
        ltiResourceLink becomes a link in the course (with its gradebook column if asked)."""
        token = request.form.get("JWT", "")
        try:
            items = self.validate_deep_link(token)
        except Exception as exc:
            return Response(f"deep linking response refused: {type(exc).__name__}: {exc}", status=400,
                            content_type="text/plain")
        claims = jwt.decode(token, options={"verify_signature": False})
        links = []
        for item in items:
            if item.get("type") != "ltiResourceLink":
                continue
            link_id = f"dl-{len(self.links) + 1}"
            self.links[link_id] = {"id": link_id, "url": item.get("url"), "custom": item.get("custom"),
                                   "title": item.get("title")}
            if item.get("lineItem"):
                self.gradebook.add("course-1", dict(item["lineItem"], resourceLinkId=link_id))
            links.append(link_id)
        self.deep_link_responses.append({"content_items": items, "links": links, "claims": claims,
                                         "msg": claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/msg")})
        return Response("<!doctype html><p>Content added to the course.</p>", content_type="text/html")

    # ---- what the tool sent back ----
    @property
    def scores(self) -> list[ScoreRecord]:
        """Every accepted score, in arrival order."""
        return list(self.gradebook.scores)

    @property
    def lineitems(self) -> list[dict]:
        """Every line item as AGS JSON."""
        return [self.gradebook.public(i) for i in self.gradebook.items.values()]

    # ---- what a subclass provides, with its library ----
    def configure_tool(self) -> None:
        """(Re)build the library's objects for the registered tool."""
        raise NotImplementedError

    def membership_roles(self, role: str) -> list[str]:
        """The LIS roles the library gives a learner or instructor."""
        raise NotImplementedError

    def login_initiation_url(self, launch: Launch) -> str:
        """The library's third-party initiated login URL (GET to the tool's login URL)."""
        raise NotImplementedError

    def authorize(self, params: dict) -> tuple[str, str, str]:
        """(id_token, state, redirect_uri) for the tool's authorization request."""
        raise NotImplementedError

    def access_token(self, form: dict) -> dict:
        """The token response for a client-credentials request."""
        raise NotImplementedError

    def validate_deep_link(self, token: str) -> list[dict]:
        """The content items of a deep-linking response the library accepts."""
        raise NotImplementedError

    def jwks(self) -> dict:
        """The platform's public keys."""
        raise NotImplementedError


def json_response(body, status: int = 200, content_type: str = "application/json") -> Response:
    """JSON with a media type of the service's own."""
    return Response(json.dumps(body), status=status, content_type=content_type)
