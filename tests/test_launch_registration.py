"""Registering the tool: LTI Dynamic Registration end to end, manual registration by CLI, the
admin page, Canvas JSON and the JWKS endpoints."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from elearn.extensions import db
from launch_support import browser, error_code, make_browser, random_prefix  # noqa: F401 (fixtures)
from lti import claims as C
from lti.errors import LtiError
from lti.models import Platform


def _registration_url(app, runner, live_server) -> str:
    app.config["TOOL_BASE_URL"] = live_server.url
    result = runner.invoke(args=["lti", "registration-url"])
    assert result.exit_code == 0, result.output
    url = re.search(r"http://\S+/lti/register\?token=\S+", result.output).group(0)
    assert url.startswith(live_server.url)
    return url


def _platforms(app) -> list[Platform]:
    with app.app_context():
        platforms = list(db.session.scalars(select(Platform)))
        for p in platforms:
            _ = [d.deployment_id for d in p.deployments]
            db.session.expunge(p)
        return platforms


def test_dynamic_registration_end_to_end_then_launch(app, runner, live_server, platform, browser):
    url = _registration_url(app, runner, live_server)
    page = platform.start_registration(browser, url)
    assert page.status_code == 200, page.text[-800:]
    assert '{subject: "org.imsglobal.lti.close"}' in page.text

    (stored,) = _platforms(app)
    tool = platform.platform.tool(stored.client_id)
    assert stored.issuer == platform.issuer and stored.registered_via == "dynamic"
    assert [d.deployment_id for d in stored.deployments] == tool["deployment_ids"]
    assert (stored.auth_login_url, stored.auth_token_url, stored.key_set_url) == (
        platform.auth_login_url, platform.auth_token_url, platform.key_set_url)
    sent = tool["registration"]
    assert sent["initiate_login_uri"] == f"{live_server.url}/lti/login"
    assert sent["redirect_uris"] == [f"{live_server.url}/lti/launch"]
    assert sent["jwks_uri"] == f"{live_server.url}/lti/jwks"
    assert sent["client_name#nl"] and sent["client_name#en"]
    assert {"https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"} <= set(sent["scope"].split())
    config = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert config["domain"] == urlsplit(live_server.url).netloc
    assert {m["type"] for m in config["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert config["description#nl"] and config["description#en"]

    resp = platform.launch(browser, role="learner", custom={"module": "care-cycle"}, resource_link_id="dr-1")
    assert urlsplit(resp.url).path == "/modules/care-cycle"

    again = platform.start_registration(make_browser(), url)  # the URL was for one registration only
    assert again.status_code == 403 and error_code(again) == "registration_token_invalid"


def test_a_dynamically_registered_platforms_urls_are_fetched_only_from_public_addresses(app, runner, live_server,
                                                                                        platform, browser):
    """Its key set, token and service URLs came from the platform's own answer, not from an
    administrator: with LTI_REGISTRATION_ALLOW_PRIVATE off, a launch does not make the tool fetch a
    key set from a loopback (or private, link-local…) address, and no service call goes there."""
    from elearn.launch.models import LaunchSession
    from elearn.launch.stores import service_connector
    from lti.outbound import AddressRefused

    app.config["LTI_REDIS_PREFIX"] = random_prefix()   # no token another test cached in Redis for this row id
    platform.start_registration(browser, _registration_url(app, runner, live_server))   # allowed in tests
    app.config["LTI_REGISTRATION_ALLOW_PRIVATE"] = False
    with app.app_context():
        (stored,) = db.session.scalars(select(Platform))
        assert stored.registered_via == "dynamic"
        stored.jwks = None                     # not cached yet: the launch must fetch the key set
        db.session.commit()
    resp = platform.launch(make_browser(), role="learner", custom={"module": "care-cycle"}, resource_link_id="dr-ssrf")
    assert error_code(resp) == "platform_keys_unavailable" and "loopback" in resp.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LaunchSession)) == 0
        assert db.session.scalars(select(Platform)).one().jwks is None
        with pytest.raises(AddressRefused, match="loopback"):
            service_connector(db.session.scalars(select(Platform)).one()).get_access_token(
                ["https://purl.imsglobal.org/spec/lti-ags/scope/score"])

    app.config["LTI_REGISTRATION_ALLOW_PRIVATE"] = True    # the same launch where private addresses are allowed
    resp = platform.launch(make_browser(), role="learner", custom={"module": "care-cycle"}, resource_link_id="dr-ssrf")
    assert urlsplit(resp.url).path == "/modules/care-cycle"


def test_a_manually_registered_platform_on_a_private_address_still_launches(app, runner, live_server, platform,
                                                                            browser):
    """An administrator typed its URLs (`flask lti add-platform`): an LMS on the school's own network is
    theirs to register, so the public-address rule of dynamic registration does not apply."""
    app.config["LTI_REGISTRATION_ALLOW_PRIVATE"] = False
    tool = platform.register_tool(login_url=f"{live_server.url}/lti/login", launch_url=f"{live_server.url}/lti/launch",
                                  jwks_url=f"{live_server.url}/lti/jwks")
    result = runner.invoke(args=["lti", "add-platform", "--issuer", platform.issuer, "--client-id", tool["client_id"],
                                 "--deployment-id", tool["deployment_ids"][0], "--auth-login-url",
                                 platform.auth_login_url, "--auth-token-url", platform.auth_token_url,
                                 "--key-set-url", platform.key_set_url, "--name", "Demo LMS"])
    assert result.exit_code == 0, result.output
    resp = platform.launch(browser, role="learner", custom={"module": "care-cycle"}, resource_link_id="manual-private")
    assert urlsplit(resp.url).path == "/modules/care-cycle"


def test_registration_url_without_platform_parameters_explains_itself(app, runner, live_server, browser):
    url = _registration_url(app, runner, live_server)
    resp = browser.get(url, headers={"Accept-Language": "nl"})
    assert resp.status_code == 200 and 'lang="nl"' in resp.text


def test_unknown_registration_token_is_refused(app, live_server, platform, browser):
    resp = platform.start_registration(browser, f"{live_server.url}/lti/register?token=made-up")
    assert resp.status_code == 403 and error_code(resp) == "registration_token_invalid"
    assert _platforms(app) == []


def test_issuer_that_is_not_the_configuration_urls_prefix_is_refused(app, runner, live_server, platform, browser):
    url = _registration_url(app, runner, live_server)
    # The same platform reached under another host name: its issuer no longer prefixes the URL.
    config_url = platform.openid_configuration_url.replace("127.0.0.1", "localhost")
    resp = browser.get(url, params={"openid_configuration": config_url, "registration_token": "t"})
    assert resp.status_code == 502 and error_code(resp) == "registration_failed"
    assert "does not match" in resp.text
    assert _platforms(app) == []


def test_platform_refusing_the_registration_is_reported(app, runner, live_server, platform, browser, caplog):
    url = _registration_url(app, runner, live_server)
    platform.fail("/register", 422, body={"errors": [{"field": "jwks_uri", "message": "is not reachable"}]})
    resp = platform.start_registration(browser, url)
    assert resp.status_code == 502 and error_code(resp) == "registration_failed"
    # The page gives the status and a reference; the platform's own words are in the log only.
    reference = re.search(r"HTTP 422 \(reference ([0-9a-f]{8})\)", resp.text).group(1)
    assert "is not reachable" not in resp.text
    assert any(reference in r.getMessage() and "is not reachable" in r.getMessage() for r in caplog.records)
    assert _platforms(app) == []
    retry = platform.start_registration(browser, url)  # one failed attempt does not use up the URL
    assert retry.status_code == 200 and len(_platforms(app)) == 1


def test_manual_registration_by_cli_then_launch(app, runner, live_server, platform, browser):
    tool = platform.register_tool(login_url=f"{live_server.url}/lti/login", launch_url=f"{live_server.url}/lti/launch",
                                  jwks_url=f"{live_server.url}/lti/jwks")
    args = ["lti", "add-platform", "--issuer", platform.issuer, "--client-id", tool["client_id"],
            "--deployment-id", "extra-deployment", "--deployment-id", tool["deployment_ids"][0],
            "--auth-login-url", platform.auth_login_url, "--auth-token-url", platform.auth_token_url,
            "--key-set-url", platform.key_set_url, "--name", "Demo LMS"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert runner.invoke(args=args).exit_code == 0  # idempotent
    (stored,) = _platforms(app)
    assert sorted(d.deployment_id for d in stored.deployments) == sorted(["extra-deployment", tool["deployment_ids"][0]])

    listing = runner.invoke(args=["lti", "list-platforms"])
    assert platform.issuer in listing.output and tool["client_id"] in listing.output

    resp = platform.launch(browser, role="instructor", locale="en", resource_link_id="manual-1")
    assert resp.status_code == 200 and urlsplit(resp.url).path == "/catalog/"


def test_manual_registration_with_a_bad_url_stores_nothing(app, runner):
    result = runner.invoke(args=["lti", "add-platform", "--issuer", "https://lms.example", "--client-id", "c",
                                 "--auth-login-url", "not a url", "--auth-token-url", "https://lms.example/t",
                                 "--key-set-url", "https://lms.example/k"])
    assert result.exit_code != 0 and "auth_login_url" in result.output
    assert _platforms(app) == []


def test_register_info_page_in_dutch_and_english(client):
    nl = client.get("/lti/register/info", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    en = client.get("/lti/register/info?lang=en").get_data(as_text=True)
    assert 'lang="nl"' in nl and 'lang="en"' in en
    for page in (nl, en):
        assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks" in page


def test_canvas_json_configuration(client):
    config = client.get("/lti/config.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    placements = config["extensions"][0]["settings"]["placements"]
    assert {p["message_type"] for p in placements} == {"LtiDeepLinkingRequest"}


def test_jwks_served_at_both_addresses_with_current_and_next_keys(client):
    first = client.get("/lti/jwks").get_json()
    assert client.get("/.well-known/jwks.json").get_json() == first
    assert len(first["keys"]) == 2
    assert all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["use"] == "sig" and "d" not in k for k in first["keys"])


# Found by atheris (tests/fuzz/fuzz_dynreg.py): a platform's answers (or an openid_configuration
# parameter) that made GET /lti/register a 5xx — or stored text PostgreSQL refuses — instead of
# the documented registration_failed; nothing may be stored.
class _Answering(requests.Session):
    """A platform answering the configuration GET and the registration POST with these bodies."""

    def __init__(self, config: bytes, answer: bytes):
        super().__init__()
        self.bodies = {"GET": config, "POST": answer}

    def request(self, method, url, **kwargs):
        resp = requests.Response()
        resp.status_code, resp._content, resp.url, resp.encoding = 200, self.bodies[method], url, "utf-8"
        return resp


ISSUER = "https://lms.example.edu"
CONFIG = {"issuer": ISSUER, "authorization_endpoint": ISSUER + "/auth", "token_endpoint": ISSUER + "/token",
          "jwks_uri": ISSUER + "/jwks", "registration_endpoint": ISSUER + "/register"}


def _tool_description():
    """How a test tool introduces itself to the platforms of these tests."""
    from lti import dynreg

    return dynreg.ToolDescription(domain="tool", login_url="https://tool/login", launch_url="https://tool/launch",
                                  jwks_url="https://tool/jwks", names={"en": "Tool"})


@pytest.mark.parametrize("url, config, answer", [
    ("https://[lms.example.edu/.well-known/openid-configuration", CONFIG, {"client_id": "c"}),  # urlsplit ValueError
    ("https://lms.example.edu:,5000/", {**CONFIG, "issuer": "https://lms.example.edu:,5000"}, {"client_id": "c"}),
    (None, b"[" * 3000, {"client_id": "c"}),                                                  # RecursionError
    (None, CONFIG, b"[" * 3000),
    (None, {**CONFIG, "issuer": ISSUER + "/" + "i" * 300}, {"client_id": "c"}),               # issuer is String(255)
    (None, {**CONFIG, "jwks_uri": ISSUER + "/jwks\0"}, {"client_id": "c"}),                   # NUL
    (None, {**CONFIG, "authorization_server": "https://auth\ud800"}, {"client_id": "c"}),     # a lone surrogate
    (None, CONFIG, {"client_id": "  "}),                                                      # registry's ValueError
    (None, CONFIG, {"client_id": "c\0"}),
    (None, CONFIG, {"client_id": "c", C.TOOL_CONFIGURATION: {"deployment_id": "\udfff"}}),
], ids=["ipv6-url", "bad-port", "deep-config", "deep-answer", "long-issuer", "nul-url", "surrogate-server", "blank-client",
        "nul-client", "surrogate-deployment"])
def test_a_registration_the_tool_cannot_store_is_refused_and_stores_nothing(app, url, config, answer):
    from lti import dynreg

    def body(value):
        return value if isinstance(value, bytes) else json.dumps(value).encode()

    with app.app_context():
        token = dynreg.check_registration_token(db.session, dynreg.create_registration_token(db.session))
        description = _tool_description()
        with pytest.raises(LtiError) as refused:
            dynreg.register(db.session, token, url or ISSUER + "/.well-known/openid-configuration", None, description,
                            _Answering(body(config), body(answer)))
        db.session.rollback()
        assert refused.value.code == "registration_failed"
        assert db.session.scalar(select(func.count()).select_from(Platform)) == 0


@pytest.mark.parametrize("registration_token", ["\U0004b21b", "abc def", "tok\r\nX-Injected: 1", "é"])
def test_a_registration_token_that_cannot_be_a_bearer_header_is_refused_before_any_request(app, registration_token):
    # Found by hypothesis (tests/test_fuzz_endpoints.py): a non-Latin-1 token made building the
    # Authorization header raise, a 500; a CR/LF would split the header.
    from lti import dynreg

    class _Refusing:
        def get(self, *args, **kwargs):
            raise AssertionError("no request may be sent")

        post = get

        def mount(self, *args):
            pass

    with app.app_context():
        token = dynreg.check_registration_token(db.session, dynreg.create_registration_token(db.session))
        description = _tool_description()
        with pytest.raises(LtiError) as refused:
            dynreg.register(db.session, token, ISSUER + "/.well-known/openid-configuration", registration_token,
                            description, _Refusing())
        db.session.rollback()
        assert refused.value.code == "registration_failed" and "bearer token" in str(refused.value)
