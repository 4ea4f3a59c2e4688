"""demolms as an LTI 1.3 platform: the OIDC launch, its claims, and what the auth endpoint refuses."""
import time

import jwt
import pytest
import requests

from demolms import claims as C
from demolms.faketool import FakeTool


@pytest.fixture()
def tool(platform):
    """A tiny real tool (PyJWT, its own RSA key) registered on the platform."""
    fake = FakeTool()
    fake.connect(platform)
    yield fake
    fake.stop()


def launched_claims(platform, **options) -> dict:
    resp = platform.launch(requests.Session(), **options)
    assert resp.status_code == 200, resp.text
    return resp.json()["claims"]


def test_resource_link_launch_carries_every_required_claim(platform, tool):
    claims = launched_claims(platform, role="instructor", custom={"module": "care-cycle"}, locale="en")
    assert claims["iss"] == platform.issuer
    assert claims["aud"] == claims["azp"] == platform.client_id
    assert claims["sub"] == "instructor-1" and claims["name"] == "Dr. Marieke Visser"
    assert claims["exp"] > time.time() > claims["iat"] - 5
    assert claims[C.MESSAGE_TYPE] == "LtiResourceLinkRequest" and claims[C.VERSION] == "1.3.0"
    assert claims[C.DEPLOYMENT_ID] == platform.deployment_id
    assert claims[C.ROLES] == [C.MEMBERSHIP + "Instructor", C.INSTITUTION + "Faculty"]
    assert claims[C.TARGET_LINK_URI] == tool.launch_url
    assert claims[C.RESOURCE_LINK]["id"] == "rl-1"
    assert claims[C.CONTEXT]["id"] == "course-1" and claims[C.CONTEXT]["type"] == [C.COURSE_OFFERING]
    presentation = claims[C.LAUNCH_PRESENTATION]
    assert presentation["locale"] == "en" and presentation["document_target"] == "iframe"
    assert presentation["return_url"].startswith(platform.issuer)
    assert claims[C.CUSTOM] == {"module": "care-cycle"}
    assert claims[C.TOOL_PLATFORM]["product_family_code"] == "vbhc-demolms"
    ags = claims[C.AGS_ENDPOINT]
    assert set(ags["scope"]) == set(C.AGS_SCOPES) and ags["lineitems"] == platform.lineitems_url()
    assert "lineitem" not in ags
    assert claims[C.NRPS] == {"context_memberships_url": platform.memberships_url(), "service_versions": ["2.0"]}


def test_learner_gets_lis_learner_role_and_is_enrolled(platform, tool):
    claims = launched_claims(platform, user="learner-2")
    assert C.MEMBERSHIP + "Learner" in claims[C.ROLES]
    assert claims["sub"] == "learner-2"
    assert [m["user_id"] for m in platform.members] == ["learner-2"]


def test_user_without_pii_sends_only_sub(platform, tool):
    claims = launched_claims(platform, user={"sub": "anon-7"})
    assert claims["sub"] == "anon-7"
    assert not {"name", "email", "given_name", "family_name"} & set(claims)


def test_get_login_initiation_and_storage_target_are_passed_on(platform, tool):
    resp = platform.launch(requests.Session(), login_method="GET", storage_target="_parent")
    assert resp.status_code == 200
    assert resp.json()["form"]["lti_storage_target"] == "_parent"


def test_mutate_edits_the_token_before_signing(platform, tool):
    def wrong_audience(claims, header):
        claims["aud"] = "someone-else"

    resp = platform.launch(requests.Session(), mutate=wrong_audience)
    assert resp.status_code == 401 and "Audience" in resp.json()["description"]
    assert platform.last_launch.claims["aud"] == "someone-else"


def test_mutate_can_change_the_header(platform, tool):
    def unknown_kid(claims, header):
        header["kid"] = "no-such-key"

    resp = platform.launch(requests.Session(), mutate=unknown_kid)
    assert resp.status_code == 401 and "no-such-key" in resp.json()["description"]
    assert jwt.get_unverified_header(platform.last_launch.id_token)["kid"] == "no-such-key"


def test_deep_linking_request_has_settings_and_no_resource_link(platform, tool):
    claims = launched_claims(platform, role="instructor", message_type="LtiDeepLinkingRequest")
    settings = claims[C.DL_SETTINGS]
    assert settings["deep_link_return_url"] == platform.deep_link_return_url
    assert "ltiResourceLink" in settings["accept_types"] and settings["accept_multiple"] is True
    assert set(settings["accept_presentation_document_targets"]) == {"iframe", "window"}
    assert settings["data"] and settings["auto_create"] is True
    assert C.RESOURCE_LINK not in claims


def test_submission_review_names_the_learner(platform, tool):
    claims = launched_claims(platform, role="instructor", message_type="LtiSubmissionReviewRequest",
                             for_user="learner-3")
    assert claims[C.FOR_USER]["user_id"] == "learner-3"
    assert claims[C.FOR_USER]["name"] == "Fatima El Amrani"


def test_key_rotation_keeps_the_old_key_published(platform, tool):
    old = launched_claims(platform) and platform.last_launch.header["kid"]
    platform.rotate_keys()
    kids = [k["kid"] for k in requests.get(platform.key_set_url).json()["keys"]]
    new = launched_claims(platform) and platform.last_launch.header["kid"]
    assert new != old and kids[0] == new and old in kids


def test_sign_helpers_build_broken_tokens(platform, tool):
    claims = {"iss": platform.issuer, "sub": "x"}
    assert "kid" not in jwt.get_unverified_header(platform.sign(claims, kid=False))
    assert jwt.get_unverified_header(platform.sign(claims, alg="none"))["alg"] == "none"
    assert platform.sign(claims, alg="none").endswith(".")
    base = platform.base_claims(role="learner", nonce="n-1")
    assert base["nonce"] == "n-1" and base[C.RESOURCE_LINK]["id"] == "rl-1"


def _auth_params(platform, tool, **changes):
    init = platform.platform.prepare_launch()
    params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
              "client_id": platform.client_id, "redirect_uri": tool.launch_url, "login_hint": "learner-1",
              "lti_message_hint": init.params["lti_message_hint"], "state": "s-1", "nonce": "n-1"}
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def test_auth_refuses_unknown_client_and_unregistered_redirect(platform, tool):
    resp = requests.get(platform.auth_login_url, params=_auth_params(platform, tool, client_id="nope"))
    assert resp.status_code == 400 and "unknown client_id" in resp.text
    resp = requests.get(platform.auth_login_url, params=_auth_params(platform, tool, redirect_uri="http://evil.test/"))
    assert resp.status_code == 400 and "redirect_uri" in resp.text


@pytest.mark.parametrize("change, error", [
    ({"response_type": "code"}, "invalid_request"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"prompt": "login"}, "invalid_request"),
    ({"response_mode": "query"}, "invalid_request"),
    ({"nonce": None}, "invalid_request"),
    ({"login_hint": "learner-2"}, "login_required"),
    ({"lti_message_hint": "forged"}, "invalid_request"),
])
def test_auth_answers_errors_to_the_tool(platform, tool, change, error):
    resp = requests.post(platform.auth_login_url, data=_auth_params(platform, tool, **change))
    assert resp.status_code == 200 and 'name="error"' in resp.text and f'value="{error}"' in resp.text
    assert 'name="id_token"' not in resp.text and 'value="s-1"' in resp.text
    assert platform.auth_errors[-1]["error"] == error


def test_launch_of_a_link_with_a_line_item_names_it(platform, tool):
    launched_claims(platform, resource_link_id="rl-graded")
    headers = {"Authorization": "Bearer " + tool.access_token(), "Content-Type": "application/vnd.ims.lis.v2.lineitem+json"}
    item = requests.post(platform.lineitems_url(), json={"label": "Quiz", "scoreMaximum": 10,
                                                          "resourceLinkId": "rl-graded"}, headers=headers).json()
    claims = launched_claims(platform, resource_link_id="rl-graded")
    assert claims[C.AGS_ENDPOINT]["lineitem"] == item["id"]
