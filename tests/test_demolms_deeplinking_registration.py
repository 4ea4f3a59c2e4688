"""demolms: deep-linking responses it verifies, and dynamic registration of a tool."""
import time

import jwt
import pytest
import requests

from demolms import claims as C
from demolms.faketool import FakeTool
from demolms.keys import generate_private_key
from demolms.registration import TOOL_CONFIGURATION


@pytest.fixture()
def tool(platform):
    fake = FakeTool()
    fake.connect(platform)
    yield fake
    fake.stop()


def deep_link_request(platform) -> dict:
    resp = platform.launch(requests.Session(), role="instructor", message_type="LtiDeepLinkingRequest")
    return resp.json()["claims"]


ITEM = {"type": "ltiResourceLink", "title": "De zorgcyclus", "url": "http://tool.invalid/launch",
        "custom": {"module": "care-cycle"}, "lineItem": {"scoreMaximum": 100, "label": "Zorgcyclus: toets",
                                                         "resourceId": "care-cycle", "tag": "post-test"}}


def test_verified_response_places_links_with_their_line_items(platform, tool):
    request = deep_link_request(platform)
    token = tool.deep_link_response(request, [ITEM], **{C.DL_MSG: "1 module added"})
    resp = requests.post(platform.deep_link_return_url, data={"JWT": token})
    assert resp.status_code == 200 and "De zorgcyclus" in resp.text
    record = platform.deep_link_responses[-1]
    assert record["content_items"] == [ITEM] and record["msg"] == "1 module added"
    link_id = record["links"][0]
    assert [i["resourceLinkId"] for i in platform.lineitems] == [link_id]
    assert platform.lineitems[0]["label"] == "Zorgcyclus: toets" and platform.lineitems[0]["resourceId"] == "care-cycle"
    claims = platform.launch(requests.Session(), resource_link_id=link_id).json()["claims"]
    assert claims[C.CUSTOM] == {"module": "care-cycle"}
    assert claims[C.RESOURCE_LINK] == {"id": link_id, "title": "De zorgcyclus"}
    assert claims[C.AGS_ENDPOINT]["lineitem"] == platform.lineitems[0]["id"]


@pytest.mark.parametrize("breakage, reason", [
    ({"sign_with_other_key": True}, "does not verify"),
    ({"aud": "http://other-platform.invalid"}, "does not verify"),
    ({C.DL_DATA: None}, "data claim"),
    ({C.DL_DATA: "forged"}, "does not match"),
    ({C.DEPLOYMENT_ID: "other-deployment"}, "deployment_id"),
    ({C.MESSAGE_TYPE: "LtiResourceLinkRequest"}, "message_type"),
    ({"exp": int(time.time()) - 120}, "expired"),
    ({C.DL_CONTENT_ITEMS: [{"type": "file", "url": "x"}]}, "not accepted"),
])
def test_bad_responses_are_refused_and_not_recorded(platform, tool, breakage, reason):
    request = deep_link_request(platform)
    if breakage.pop("sign_with_other_key", False):
        token = tool.deep_link_response(request, [ITEM])
        claims = jwt.decode(token, options={"verify_signature": False})
        token = jwt.encode(claims, generate_private_key(), algorithm="RS256", headers={"kid": tool.kid})
    else:
        token = tool.deep_link_response(request, [ITEM], **breakage)
    resp = requests.post(platform.deep_link_return_url, data={"JWT": token})
    assert resp.status_code == 400 and reason in resp.text
    assert platform.deep_link_responses == [] and platform.lineitems == []


def test_replayed_response_is_refused(platform, tool):
    token = tool.deep_link_response(deep_link_request(platform), [ITEM])
    assert requests.post(platform.deep_link_return_url, data={"JWT": token}).status_code == 200
    replay = requests.post(platform.deep_link_return_url, data={"JWT": token})
    assert replay.status_code == 400 and "nonce" in replay.text
    assert len(platform.deep_link_responses) == 1


# ---- dynamic registration ----
def test_openid_configuration_describes_the_platform(platform):
    config = requests.get(platform.openid_configuration_url).json()
    assert config["issuer"] == platform.issuer
    assert config["authorization_endpoint"] == platform.auth_login_url
    assert config["token_endpoint"] == platform.auth_token_url and config["jwks_uri"] == platform.key_set_url
    assert config["registration_endpoint"] == platform.registration_endpoint
    assert C.SCOPE_SCORE in config["scopes_supported"] and "email" in config["claims_supported"]
    lti = config["https://purl.imsglobal.org/spec/lti-platform-configuration"]
    assert lti["product_family_code"] == "vbhc-demolms" and lti["version"]
    assert {m["type"] for m in lti["messages_supported"]} >= {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def test_dynamic_registration_end_to_end_then_launch():
    from demolms.testing import PlatformServer

    server, tool = PlatformServer.start(), FakeTool()
    try:
        tool.platform = server
        resp = server.start_registration(requests.Session(), tool.url + "/register")
        assert resp.status_code == 200, resp.text
        registration = resp.json()
        client_id = registration["client_id"]
        deployment_id = registration[TOOL_CONFIGURATION]["deployment_id"]
        assert server.platform.store.get_tool(client_id)["login_url"] == tool.login_url
        server.client_id = client_id  # the fake tool checks the launch against these
        claims = server.launch(requests.Session(), client_id=client_id).json()["claims"]
        assert claims["aud"] == client_id and claims[C.DEPLOYMENT_ID] == deployment_id
    finally:
        tool.stop()
        server.stop()


def _register(platform, body, token):
    return requests.post(platform.registration_endpoint, json=body, headers={"Authorization": f"Bearer {token}"})


def test_registration_token_is_required_and_single_use(platform, tool):
    from demolms.registration import new_registration_token

    assert _register(platform, tool.client_metadata(), "made-up").status_code == 401
    token = new_registration_token(platform.platform)
    assert _register(platform, tool.client_metadata(), token).status_code == 200
    again = _register(platform, tool.client_metadata(), token)
    assert again.status_code == 401 and "already used" in again.json()["error_description"]


@pytest.mark.parametrize("change, error", [
    ({"redirect_uris": ["https://elsewhere.example/launch"]}, "invalid_redirect_uri"),
    ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "client_secret_basic"}, "invalid_client_metadata"),
    ({"jwks_uri": ""}, "invalid_client_metadata"),
    ({TOOL_CONFIGURATION: {}}, "invalid_client_metadata"),
])
def test_invalid_client_registration_is_refused(platform, tool, change, error):
    from demolms.registration import new_registration_token

    tools_before = len(platform.platform.store.list_tools())
    resp = _register(platform, tool.client_metadata(**change), new_registration_token(platform.platform))
    assert resp.status_code == 400 and resp.json()["error"] == error
    assert len(platform.platform.store.list_tools()) == tools_before
