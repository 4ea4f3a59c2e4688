"""Attacks on LTI Dynamic Registration (red-team issue #11), each performed over HTTP against the
tool on loopback with a loopback "platform" that answers what the attacker wants and records
what reaches it: the Canvas registration takeover, configurations from another origin, SSRF to
internal addresses, redirects, echoed error bodies, an unspent token and a foreign registration
endpoint. Every one must be refused with nothing stored or changed."""
from __future__ import annotations

import json
import re
import socket
import threading

import pytest
import requests
import urllib3.util.connection
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from conftest import LiveServer
from elearn.extensions import db
from launch_support import connect, error_code, make_browser
from lti import claims as C
from lti import dynreg
from lti.models import Platform, RegistrationToken
from lti.registry import add_platform, find_platform

CANVAS = "https://canvas.instructure.com"
CANVAS_CLIENT_ID = "10000000000042"
SCHOOL = {"auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
          "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
          "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks"}
CONFIG_PATH = "/.well-known/openid-configuration"


class LoopbackPlatform:
    """An attacker's (or an internal) HTTP server on 127.0.0.1: answers per path what the test
    sets and records every request that reaches it."""

    def __init__(self):
        self.answers: dict[str, tuple[int, object, dict]] = {}
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = LiveServer(self._wsgi).start()
        self.url = self._server.url
        self.port = self._server.port

    def answer(self, path: str, status: int = 200, body: object = None, headers: dict | None = None) -> None:
        """What a request for path gets (JSON for a dict body)."""
        self.answers[path] = (status, body, headers or {})

    def serve_configuration(self, issuer: str, product: str = "moodle", **overrides) -> str:
        """An OpenID configuration naming issuer and pointing every endpoint here; its URL."""
        self.answer(CONFIG_PATH, body={
            "issuer": issuer, "authorization_endpoint": self.url + "/auth", "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks", "registration_endpoint": self.url + "/register",
            C.PLATFORM_CONFIGURATION: {"product_family_code": product}, **overrides})
        return self.url + CONFIG_PATH

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.seen.append((request.method, request.path))
        status, body, headers = self.answers.get(request.path, (404, {"error": "not_found"}, {}))
        if isinstance(body, (dict, list)):
            return Response(json.dumps(body), status, headers, content_type="application/json")(
                environ, start_response)
        return Response(body or "", status, headers)(environ, start_response)

    def stop(self) -> None:
        """Shut the server down."""
        self._server.stop()


@pytest.fixture()
def attacker():
    """A loopback platform the attacker controls."""
    server = LoopbackPlatform()
    yield server
    server.stop()


@pytest.fixture()
def internal():
    """A loopback server standing for an internal service nobody outside may reach."""
    server = LoopbackPlatform()
    server.answer("/secret", body={"secret": "internal-only"})
    yield server
    server.stop()


def _token(app) -> str:
    """A fresh one-time registration token."""
    with app.app_context():
        token = dynreg.create_registration_token(db.session)
        db.session.commit()
        return token


def _register(live_server, token: str, config_url: str) -> requests.Response:
    """What the admin's browser does when the platform opens the tool's registration URL."""
    return make_browser().get(f"{live_server.url}/lti/register", timeout=30, params={
        "token": token, "openid_configuration": config_url, "registration_token": "platform-token"})


def _snapshot(app, issuer: str, client_id: str) -> dict | None:
    """The stored registration's trusted values and deployments."""
    with app.app_context():
        platform = find_platform(db.session, issuer, client_id)
        if platform is None:
            return None
        return {"auth_login_url": platform.auth_login_url, "auth_token_url": platform.auth_token_url,
                "key_set_url": platform.key_set_url, "registered_via": platform.registered_via,
                "deployments": sorted(d.deployment_id for d in platform.deployments)}


def _platform_count(app) -> int:
    """How many registrations the tool holds."""
    with app.app_context():
        return len(list(db.session.scalars(select(Platform))))


# ---- (1) registration takeover ----

def test_canvas_takeover_by_a_configuration_claiming_the_canvas_issuer_is_refused(app, live_server, attacker):
    with app.app_context():
        add_platform(db.session, issuer=CANVAS, client_id=CANVAS_CLIENT_ID, deployment_ids=["school-deployment"],
                     product_family_code="canvas", **SCHOOL)
        db.session.commit()
    before = _snapshot(app, CANVAS, CANVAS_CLIENT_ID)
    config_url = attacker.serve_configuration(CANVAS, product="canvas")
    # Canvas client ids are not secret: the attacker answers with the school's and its own keys.
    attacker.answer("/register", body={"client_id": CANVAS_CLIENT_ID,
                                       C.TOOL_CONFIGURATION: {"deployment_id": "attacker-deployment"}})

    resp = _register(live_server, _token(app), config_url)

    assert resp.status_code == 502 and error_code(resp) == "registration_failed", resp.text[-1500:]
    assert "canvas.instructure.com" in resp.text and "sso.canvaslms.com" in resp.text
    assert _snapshot(app, CANVAS, CANVAS_CLIENT_ID) == before
    assert ("POST", "/register") not in attacker.seen


def test_dynamic_registration_never_changes_an_existing_registration(app, live_server, platform):
    from demolms.registration import openid_configuration

    connect(app, live_server.url, platform)  # the school's registration, made by hand
    before = _snapshot(app, platform.issuer, platform.client_id)
    # The same issuer answers a new registration with the existing client_id, other keys and a new deployment.
    platform.fail(CONFIG_PATH, 200, body={**openid_configuration(platform.platform),
                                          "jwks_uri": platform.url + "/other-keys"})
    platform.fail("/register", 200, body={"client_id": platform.client_id,
                                          C.TOOL_CONFIGURATION: {"deployment_id": "new-deployment"}})

    resp = platform.start_registration(make_browser(), f"{live_server.url}/lti/register?token={_token(app)}")

    assert resp.status_code == 409 and error_code(resp) == "registration_exists", resp.text[-1500:]
    assert platform.issuer in resp.text and platform.client_id in resp.text and "--replace" in resp.text
    assert _snapshot(app, platform.issuer, platform.client_id) == before


# ---- (2) and (7): origins ----

def test_configuration_not_served_by_its_issuer_is_refused(app, live_server, attacker):
    config_url = attacker.serve_configuration("https://moodle.school.example")
    attacker.answer("/register", body={"client_id": "c-1"})

    resp = _register(live_server, _token(app), config_url)

    assert resp.status_code == 502 and error_code(resp) == "registration_failed"
    assert "does not match the configuration URL" in resp.text
    assert ("POST", "/register") not in attacker.seen and _platform_count(app) == 0


def test_registration_endpoint_on_another_origin_is_refused(app, live_server, attacker, internal):
    internal.answer("/register", body={"client_id": "c-1"})
    config_url = attacker.serve_configuration(attacker.url, registration_endpoint=internal.url + "/register")

    resp = _register(live_server, _token(app), config_url)

    assert resp.status_code == 502 and error_code(resp) == "registration_failed"
    assert "another origin" in resp.text
    assert internal.seen == [] and _platform_count(app) == 0


@pytest.mark.parametrize("config_url, issuer, accepted", [
    (CANVAS + "/api/lti/security/openid-configuration", CANVAS, True),
    ("https://sso.canvaslms.com/api/lti/security/openid-configuration", CANVAS, True),
    ("https://canvas.beta.instructure.com/api/lti/security/openid-configuration", "https://canvas.beta.instructure.com",
     True),
    ("https://school.instructure.com/api/lti/security/openid-configuration", CANVAS, False),  # any Canvas customer
    ("https://canvas.instructure.com.evil.example/openid-configuration", CANVAS, False),
    ("https://canvas.instructure.com:8443/api/lti/security/openid-configuration", CANVAS, False),
    ("https://sso.canvaslms.com/api/lti/security/openid-configuration", "https://canvas.test.instructure.com", False),
    ("https://lms.example.edu/mod/lti/openid-configuration.php", "https://lms.example.edu", True),
    ("https://lms.example.edu.evil.example/openid-configuration", "https://lms.example.edu", False),
    ("https://lms.example.edu:8443/openid-configuration", "https://lms.example.edu", False),
    ("https://lms.example.edu/other/openid-configuration", "https://lms.example.edu/moodle", False),
])
def test_which_configuration_urls_an_issuer_may_come_from(config_url, issuer, accepted):
    """The origin rule on its own (no network: the session answers the configuration itself)."""
    from lti.errors import LtiError

    class Answering(requests.Session):
        def request(self, method, url, **kwargs):
            resp = requests.Response()
            resp.status_code, resp.url, resp.encoding = 200, url, "utf-8"
            resp._content = json.dumps({
                "issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token",
                "jwks_uri": issuer + "/jwks", "registration_endpoint": issuer + "/api/lti/registrations",
                C.PLATFORM_CONFIGURATION: {"product_family_code": "canvas"}}).encode()
            return resp

    if accepted:
        assert dynreg.fetch_platform_configuration(config_url, "t", Answering())["issuer"] == issuer
    else:
        with pytest.raises(LtiError):
            dynreg.fetch_platform_configuration(config_url, "t", Answering())


# ---- (3) SSRF to internal addresses ----

@pytest.fixture()
def connections(monkeypatch):
    """Every TCP connection urllib3 opens in this process, as (host, port); those to other than
    loopback are refused here, so that a test never sends traffic to 10.x or 169.254.169.254."""
    made: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def recording(address, *args, **kwargs):
        made.append(tuple(address[:2]))
        if address[0] not in ("127.0.0.1", "localhost", "::1"):
            raise OSError(f"test refuses to connect to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", recording)
    return made


@pytest.mark.parametrize("template", [
    "http://127.0.0.1:{port}/.well-known/openid-configuration",
    "http://localhost:{port}/.well-known/openid-configuration",          # a name resolving to loopback
    "http://[::1]:{port}/.well-known/openid-configuration",
    "https://[::ffff:127.0.0.1]:{port}/.well-known/openid-configuration",
    "https://10.1.2.3/.well-known/openid-configuration",
    "https://169.254.169.254/latest/meta-data/",
    "https://192.168.1.1/.well-known/openid-configuration",
], ids=["127.0.0.1", "localhost", "ipv6-loopback", "ipv4-mapped", "10.x", "metadata", "192.168"])
def test_configuration_url_on_an_internal_address_is_refused_before_connecting(
        app, live_server, internal, connections, template):
    app.config["LTI_REGISTRATION_ALLOW_PRIVATE"] = False
    internal.serve_configuration(internal.url)
    config_url = template.format(port=internal.port)

    resp = _register(live_server, _token(app), config_url)

    assert resp.status_code == 502 and error_code(resp) == "registration_failed", resp.text[-1500:]
    assert "public addresses" in resp.text
    assert internal.seen == [] and _platform_count(app) == 0
    # The only connections made were the browser's to the tool: none to the internal server, none off loopback.
    assert connections and all(address == ("127.0.0.1", live_server.port) for address in connections), connections


def test_connection_goes_to_the_address_that_was_checked(internal, monkeypatch):
    """DNS rebinding: the name resolves once, to the checked address, and is not asked again."""
    from lti import outbound

    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example":
            asked.append(host)
            if len(asked) > 1:  # a second lookup would get another answer (here: none)
                raise socket.gaierror(socket.EAI_NONAME, "rebound")
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    session = outbound.guard(requests.Session(), allow_private=True)
    resp = session.get(f"http://rebind.example:{internal.port}/secret", timeout=10)
    assert resp.json() == {"secret": "internal-only"} and asked == ["rebind.example"]

    asked.clear()
    with pytest.raises(outbound.AddressRefused, match="loopback"):
        outbound.guard(requests.Session()).get(f"http://rebind.example:{internal.port}/secret", timeout=10)
    assert len(internal.seen) == 1


# ---- (4) redirects ----

@pytest.mark.parametrize("hop", ["configuration", "registration"])
def test_redirect_to_an_internal_url_is_not_followed(app, live_server, attacker, internal, hop):
    config_url = attacker.serve_configuration(attacker.url)
    if hop == "configuration":
        attacker.answer(CONFIG_PATH, 302, headers={"Location": internal.url + "/secret"})
    else:
        attacker.answer("/register", 307, headers={"Location": internal.url + "/secret"})

    resp = _register(live_server, _token(app), config_url)

    assert resp.status_code == 502 and error_code(resp) == "registration_failed"
    assert "redirect" in resp.text
    assert internal.seen == [] and _platform_count(app) == 0


# ---- (5) the platform's error body ----

def test_error_body_is_logged_under_a_reference_and_never_shown(app, live_server, attacker, caplog):
    secret = "root:x:0:0 internal-secret-7f3a"
    config_url = attacker.serve_configuration(attacker.url)
    attacker.answer("/register", 400, body={"error": "invalid_client_metadata", "error_description": secret})

    resp = _register(live_server, _token(app), config_url)

    assert resp.status_code == 502 and error_code(resp) == "registration_failed"
    assert secret not in resp.text and "internal-secret" not in resp.text
    reference = re.search(r"HTTP 400 \(reference ([0-9a-f]{8})\)", resp.text).group(1)
    assert any(reference in r.getMessage() and secret in r.getMessage() for r in caplog.records)


# ---- (6) the one-time token ----

def test_token_is_spent_after_the_allowed_failures(app, live_server, platform):
    app.config["LTI_REGISTRATION_MAX_FAILURES"] = 3
    url = f"{live_server.url}/lti/register?token={_token(app)}"
    platform.fail("/register", 400, times=3, body={"error": "invalid_client_metadata"})
    for _ in range(3):
        failed = platform.start_registration(make_browser(), url)
        assert failed.status_code == 502 and error_code(failed) == "registration_failed"

    spent = platform.start_registration(make_browser(), url)  # the platform would now accept it

    assert spent.status_code == 403 and error_code(spent) == "registration_token_spent"
    assert _platform_count(app) == 0
    with app.app_context():
        (row,) = db.session.scalars(select(RegistrationToken))
        assert row.failed_attempts == 3 and row.used_at is None
