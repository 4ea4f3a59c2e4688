"""Bad launches: every one refused with a 4xx page naming its error code, and nothing stored in elearn."""
from __future__ import annotations

import base64
import json
import time

import pytest
import requests
from demolms.browser import forms
from launch_support import EMPTY, browser, error_code, make_browser, row_counts, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)

DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
TARGET = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"


def _authentication_response(browser, platform, **launch):
    """Log in at the tool and let the platform answer; returns (tool launch URL, form fields)."""
    init = platform.platform.prepare_launch(**launch)
    page = browser.post(init.url, data=init.params)  # the tool redirects to the platform, which answers
    form = forms(page.text)[0]
    return form["action"], form["fields"]


def _refused(app, resp, status: int, code: str) -> None:
    """The launch was refused with this status and code, and elearn stored nothing."""
    assert resp.status_code == status, (resp.status_code, error_code(resp), resp.text[-600:])
    assert error_code(resp) == code
    assert row_counts(app) == EMPTY


def _set(name, value):
    def mutate(claims, header):
        claims[name] = value
        return claims, header
    return mutate


def _drop(*names):
    def mutate(claims, header):
        for name in names:
            claims.pop(name, None)
        return claims, header
    return mutate


def _header(**values):
    def mutate(claims, header):
        header.update(values)
        return claims, header
    return mutate


def _drop_link_id(claims, header):
    claims[RESOURCE_LINK] = {"title": "no id"}
    return claims, header


NOW = int(time.time())

MUTATIONS = [
    ("alg_none", _header(alg="none"), 401, "bad_algorithm"),
    ("alg_hs256", _header(alg="HS256"), 401, "bad_algorithm"),
    ("unknown_kid", _header(kid="no-such-key"), 401, "unknown_key"),
    ("expired", lambda c, h: (dict(c, exp=NOW - 3600, iat=NOW - 7200), h), 401, "token_expired"),
    ("future_iat", lambda c, h: (dict(c, iat=NOW + 3600, exp=NOW + 7200), h), 401, "token_not_yet_valid"),
    ("wrong_aud", _set("aud", "someone-else"), 401, "wrong_audience"),
    ("aud_list_without_azp", lambda c, h: ({**{k: v for k, v in c.items() if k != "azp"},
                                            "aud": [c["aud"], "other"]}, h), 401, "wrong_audience"),
    ("wrong_azp", lambda c, h: (dict(c, aud=[c["aud"], "other"], azp="other"), h), 401, "wrong_audience"),
    ("wrong_iss", _set("iss", "https://evil.example"), 401, "wrong_issuer"),
    ("unknown_deployment", _set(DEPLOYMENT, "not-a-deployment"), 403, "unknown_deployment"),
    ("wrong_message_type", _set(MESSAGE_TYPE, "LtiStartProctoring"), 400, "unsupported_message_type"),
    ("wrong_version", _set(VERSION, "1.1.0"), 400, "wrong_version"),
    ("missing_sub", _drop("sub"), 400, "missing_claim"),
    ("missing_roles", _drop(ROLES), 400, "missing_claim"),
    ("missing_resource_link_id", _drop_link_id, 400, "missing_claim"),
    ("missing_deployment_id", _drop(DEPLOYMENT), 400, "missing_claim"),
    ("missing_target_link_uri", _drop(TARGET), 400, "missing_claim"),
    ("missing_message_type", _drop(MESSAGE_TYPE), 400, "missing_claim"),
    ("missing_exp", _drop("exp"), 400, "missing_claim"),
    ("missing_nonce", _drop("nonce"), 400, "missing_claim"),
    ("other_nonce", _set("nonce", "not-the-login-nonce"), 401, "nonce_mismatch"),
    ("oversized", lambda c, h: (dict(c, padding="x" * 20000), h), 400, "token_too_large"),
]


@pytest.mark.parametrize("name, mutate, status, code", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_tampered_id_token_is_refused(app, tool, platform, browser, name, mutate, status, code):
    resp = platform.launch(browser, role="learner", custom={"module": "care-cycle"}, mutate=mutate)
    _refused(app, resp, status, code)


def test_bad_signature_is_refused(app, tool, platform, browser):
    action, fields = _authentication_response(browser, platform)
    header, _, signature = fields["id_token"].split(".")
    claims = _claims_of(fields["id_token"])
    claims["sub"] = "someone-else"  # changed after signing
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    resp = browser.post(action, data=dict(fields, id_token=f"{header}.{forged}.{signature}"))
    _refused(app, resp, 401, "bad_signature")


def test_token_signed_by_another_key_under_the_platforms_kid_is_refused(app, tool, platform, browser):
    from cryptography.hazmat.primitives.asymmetric import rsa

    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    action, fields = _authentication_response(browser, platform)
    forged = platform.sign(_claims_of(fields["id_token"]), key=attacker)  # the platform's kid, another key
    _refused(app, browser.post(action, data=dict(fields, id_token=forged)), 401, "bad_signature")


def _claims_of(id_token: str) -> dict:
    body = id_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


@pytest.mark.parametrize("token, code", [("not-a-jwt", "malformed_token"), ("a.b.c", "malformed_token"),
                                         ("", "missing_id_token")])
def test_malformed_or_missing_token_is_refused(app, tool, platform, browser, token, code):
    action, fields = _authentication_response(browser, platform)
    resp = browser.post(action, data=dict(fields, id_token=token))
    _refused(app, resp, 400, code)


def test_replayed_id_token_is_refused(app, tool, platform, browser):
    action, fields = _authentication_response(browser, platform)
    first = browser.post(action, data=fields, allow_redirects=False)
    assert first.status_code == 302
    counts = row_counts(app)
    again = browser.post(action, data=fields)
    assert again.status_code == 401 and error_code(again) == "nonce_replayed"
    assert row_counts(app) == counts  # the replay added nothing


def test_missing_state_is_refused(app, tool, platform, browser):
    action, fields = _authentication_response(browser, platform)
    fields.pop("state")
    _refused(app, browser.post(action, data=fields), 400, "missing_state")


def test_unknown_state_is_refused(app, tool, platform, browser):
    action, fields = _authentication_response(browser, platform)
    _refused(app, browser.post(action, data=dict(fields, state="state-forged")), 401, "state_mismatch")


def test_state_of_another_browser_is_refused_with_new_window_offer(app, tool, platform, browser):
    action, fields = _authentication_response(browser, platform)
    victim = make_browser()  # no state cookie: the login happened elsewhere (or cookies are blocked)
    resp = victim.post(action, data=fields)
    _refused(app, resp, 401, "state_cookie_missing")
    assert "lti_new_window=1" in resp.text and 'target="_blank"' in resp.text


def test_login_from_unknown_platform_is_refused(app, tool, platform, browser):
    resp = browser.post(f"{tool.url}/lti/login", data={
        "iss": "https://unknown.example", "login_hint": "x", "target_link_uri": f"{tool.url}/lti/launch"})
    _refused(app, resp, 400, "unknown_platform")


def test_login_without_login_hint_is_refused(app, tool, platform, browser):
    resp = browser.get(f"{tool.url}/lti/login", params={"iss": platform.issuer,
                                                          "target_link_uri": f"{tool.url}/lti/launch"})
    _refused(app, resp, 400, "missing_parameter")


def test_deep_linking_by_a_learner_is_refused(app, tool, platform, browser):
    resp = platform.launch(browser, role="learner", message_type="LtiDeepLinkingRequest")
    _refused(app, resp, 403, "role_required")


def test_a_refused_deep_linking_token_stays_spent(app, tool, platform, browser):
    """The launch POST commits the nonce's use with the launch record; a refusal after validation
    (a learner's deep-linking request) must still spend it, or the same id_token could be posted again."""
    action, fields = _authentication_response(browser, platform, role="learner",
                                              message_type="LtiDeepLinkingRequest")
    _refused(app, browser.post(action, data=fields), 403, "role_required")
    again = browser.post(action, data=fields)
    assert again.status_code == 401 and error_code(again) == "nonce_replayed"


def test_error_page_speaks_the_launch_language(app, tool, platform, browser):
    resp = platform.launch(browser, locale="en", mutate=_set(VERSION, "1.2.0"))
    assert 'lang="en"' in resp.text and error_code(resp) == "wrong_version"
    resp = make_browser().post(f"{tool.url}/lti/launch", data={"id_token": "x", "state": "y"},
                               headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="en"' in resp.text and error_code(resp) == "malformed_token"
    dutch = platform.launch(make_browser(), locale="nl", mutate=_set(VERSION, "1.2.0"))
    assert 'lang="nl"' in dutch.text and error_code(dutch) == "wrong_version"
    assert "LMS" in dutch.text and "Foutcode" in dutch.text          # the page itself in Dutch, not only its lang


# Found by atheris (tests/fuzz/fuzz_lti_launch.py): hmac.compare_digest raises TypeError for str
# holding non-ASCII characters, so after a real login a nonce claim, state cookie or
# lti_storage_value with one was a 500 (no valid signature needed: they are checked first).
@pytest.mark.parametrize("where", ["nonce", "state-cookie", "storage-value"])
def test_non_ascii_nonce_or_state_binding_is_refused_not_a_server_error(app, tool, platform, browser, where):
    action, fields = _authentication_response(browser, platform)
    state = fields["state"]
    if where == "nonce":
        header, _, signature = fields["id_token"].split(".")
        claims = dict(_claims_of(fields["id_token"]), nonce="é")
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        resp = browser.post(action, data=dict(fields, id_token=f"{header}.{body}.{signature}"))
        _refused(app, resp, 401, "nonce_mismatch")
    elif where == "state-cookie":  # a browser sends the cookie's UTF-8 bytes; werkzeug reads them as UTF-8
        # (a plain requests.post: make_browser() rewrites the Cookie header from its jar)
        cookie = f"lti1p3-{state}=" + "é".encode().decode("latin-1")
        resp = requests.post(action, data=fields, headers={"Cookie": cookie}, timeout=20)
        _refused(app, resp, 401, "state_mismatch")
    else:                           # no cookie; the platform-storage answer posted by the tool's own page
        resp = make_browser().post(action, data=dict(fields, lti_storage_value="é"), headers={"Origin": tool.url})
        assert resp.status_code < 500, resp.text[-600:]
