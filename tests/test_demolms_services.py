"""demolms services: the token endpoint, AGS line items/scores/results, NRPS, fault injection."""
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from demolms import claims as C
from demolms.faketool import FakeTool
from demolms.keys import generate_private_key
from demolms.testing import PlatformServer

SCORE = "application/vnd.ims.lis.v1.score+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"


@pytest.fixture()
def tool(platform):
    fake = FakeTool()
    fake.connect(platform)
    platform.launch(requests.Session())  # creates course-1, rl-1 and enrols learner-1
    yield fake
    fake.stop()


def bearer(tool, scopes=None) -> dict:
    return {"Authorization": "Bearer " + tool.access_token(scopes)}


def stamp(offset_seconds: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=offset_seconds)).isoformat(timespec="microseconds")


def new_lineitem(platform, tool, **fields) -> dict:
    body = {"label": "Post-test", "scoreMaximum": 100, "resourceLinkId": "rl-1", **fields}
    resp = requests.post(platform.lineitems_url(), json=body, headers={**bearer(tool), "Content-Type": LINEITEM})
    assert resp.status_code == 201, resp.text
    return resp.json()


def post_score(platform, tool, item, headers=None, **fields):
    body = {"userId": "learner-1", "scoreGiven": 80, "scoreMaximum": 100, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": stamp(), **fields}
    body = {k: v for k, v in body.items() if v is not None}
    return requests.post(item["id"] + "/scores", json=body,
                         headers=headers or {**bearer(tool, [C.SCOPE_SCORE]), "Content-Type": SCORE})


# ---- token endpoint ----
def test_token_endpoint_grants_requested_scopes(platform, tool):
    resp = tool.token_request([C.SCOPE_SCORE, C.SCOPE_NRPS])
    body = resp.json()
    assert resp.status_code == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == {C.SCOPE_SCORE, C.SCOPE_NRPS}
    assert platform.token_requests[-1]["client_id"] == platform.client_id


@pytest.mark.parametrize("change, reason", [
    ({"key": generate_private_key()}, "does not verify"),
    ({"aud": "TOKEN_URL/"}, "aud must be exactly"),
    ({"exp": int(time.time()) - 60}, "does not verify"),
    ({"kid": "unknown-kid"}, "no key with kid"),
    ({"sub": "someone-else"}, "sub must equal iss"),
])
def test_token_endpoint_rejects_a_bad_assertion(platform, tool, change, reason):
    if change.get("aud") == "TOKEN_URL/":
        change = {"aud": platform.auth_token_url + "/"}  # Canvas refuses the trailing slash too
    resp = tool.token_request([C.SCOPE_SCORE], **change)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    assert reason in resp.json()["error_description"]


def test_token_endpoint_rejects_replayed_assertion_and_bad_grant(platform, tool):
    assertion = tool.assertion()
    form = {"grant_type": "client_credentials", "scope": C.SCOPE_SCORE, "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    assert requests.post(platform.auth_token_url, data=form).status_code == 200
    replay = requests.post(platform.auth_token_url, data=form)
    assert replay.status_code == 401 and "jti" in replay.json()["error_description"]
    bad = requests.post(platform.auth_token_url, data=dict(form, grant_type="password"))
    assert bad.status_code == 400 and bad.json()["error"] == "unsupported_grant_type"


def test_token_endpoint_refuses_scopes_the_tool_was_not_granted(platform, tool):
    platform.register_tool(login_url=tool.login_url, launch_url=tool.launch_url, jwks_url=tool.jwks_url,
                           scopes=[C.SCOPE_SCORE])
    resp = tool.token_request([C.SCOPE_SCORE, C.SCOPE_NRPS])
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_scope"


def test_services_need_a_valid_token_with_the_right_scope(platform, tool):
    assert requests.get(platform.lineitems_url()).status_code == 401
    assert requests.get(platform.lineitems_url(), headers={"Authorization": "Bearer junk"}).status_code == 401
    nrps_only = bearer(tool, [C.SCOPE_NRPS])
    assert requests.get(platform.lineitems_url(), headers=nrps_only).status_code == 403
    headers = bearer(tool)
    assert requests.get(platform.lineitems_url(), headers=headers).status_code == 200
    platform.revoke_tokens()
    assert requests.get(platform.lineitems_url(), headers=headers).status_code == 401


def test_expired_token_is_refused():
    server = PlatformServer.start(token_lifetime=1)
    tool = FakeTool()
    try:
        tool.connect(server)
        server.launch(requests.Session())
        headers = bearer(tool)
        time.sleep(2.1)
        resp = requests.get(server.lineitems_url(), headers=headers)
        assert resp.status_code == 401 and "expired" in resp.json()["error_description"]
    finally:
        tool.stop()
        server.stop()


# ---- line items ----
def test_lineitem_lifecycle_and_filters(platform, tool):
    item = new_lineitem(platform, tool, resourceId="quiz-care-cycle", tag="post-test")
    assert item["id"].startswith(platform.lineitems_url() + "/") and item["resourceLinkId"] == "rl-1"
    new_lineitem(platform, tool, resourceId="other", resourceLinkId=None)
    headers = bearer(tool)
    found = requests.get(platform.lineitems_url(), params={"resource_id": "quiz-care-cycle"}, headers=headers)
    assert found.headers["Content-Type"].startswith("application/vnd.ims.lis.v2.lineitemcontainer+json")
    assert [i["id"] for i in found.json()] == [item["id"]]
    assert len(requests.get(platform.lineitems_url(), params={"tag": "post-test"}, headers=headers).json()) == 1
    assert len(requests.get(platform.lineitems_url(), params={"resource_link_id": "rl-1"}, headers=headers).json()) == 1
    put = requests.put(item["id"], json=dict(item, label="Renamed"), headers={**headers, "Content-Type": LINEITEM})
    assert put.status_code == 200 and put.json()["label"] == "Renamed" and put.json()["id"] == item["id"]
    assert requests.delete(item["id"], headers=headers).status_code == 204
    assert requests.get(item["id"], headers=headers).status_code == 404


def test_lineitems_are_paged_with_link_headers():
    server = PlatformServer.start(lineitems_page_size=2)
    tool = FakeTool()
    try:
        tool.connect(server)
        server.launch(requests.Session())
        for n in range(5):
            new_lineitem(server, tool, label=f"Item {n}", resourceLinkId=None)
        url, labels, headers = server.lineitems_url(), [], bearer(tool)
        while url:
            resp = requests.get(url, headers=headers)
            labels += [i["label"] for i in resp.json()]
            url = resp.links.get("next", {}).get("url")
            assert url is None or url == url.lower()  # pylti1p3 lowercases the Link header
        assert labels == [f"Item {n}" for n in range(5)]
    finally:
        tool.stop()
        server.stop()


@pytest.mark.parametrize("body, problem", [
    ({"scoreMaximum": 10}, "label"),
    ({"label": "x", "scoreMaximum": 0}, "scoreMaximum"),
    ({"label": "x", "scoreMaximum": 10, "resourceLinkId": "not-here"}, "resourceLinkId"),
])
def test_invalid_lineitem_is_refused(platform, tool, body, problem):
    resp = requests.post(platform.lineitems_url(), json=body, headers={**bearer(tool), "Content-Type": LINEITEM})
    assert resp.status_code == 400 and problem in resp.json()["error_description"]
    assert platform.lineitems == []


def test_lineitem_post_needs_its_media_type(platform, tool):
    resp = requests.post(platform.lineitems_url(), json={"label": "x", "scoreMaximum": 1}, headers=bearer(tool))
    assert resp.status_code == 415


# ---- scores and results ----
def test_score_is_recorded_and_becomes_a_result(platform, tool):
    item = new_lineitem(platform, tool, scoreMaximum=10)
    resp = post_score(platform, tool, item, scoreGiven=40, scoreMaximum=50, comment="Goed gedaan")
    assert resp.status_code == 200, resp.text
    score = platform.scores[-1]
    assert score["scoreGiven"] == 40 and score["comment"] == "Goed gedaan" and score.lineitem_url == item["id"]
    results = requests.get(item["id"] + "/results", headers=bearer(tool, [C.SCOPE_RESULT_READONLY])).json()
    assert results == [{"id": item["id"] + "/results/learner-1", "scoreOf": item["id"], "userId": "learner-1",
                        "resultMaximum": 10, "resultScore": 8.0, "comment": "Goed gedaan"}]


def test_score_needs_the_score_media_type(platform, tool):
    item = new_lineitem(platform, tool)
    resp = post_score(platform, tool, item, headers={**bearer(tool), "Content-Type": "application/json"})
    assert resp.status_code == 415 and platform.scores == []


@pytest.mark.parametrize("change, problem", [
    ({"activityProgress": None}, "activityProgress"),
    ({"gradingProgress": None}, "gradingProgress"),
    ({"gradingProgress": "Done"}, "gradingProgress"),
    ({"userId": None}, "userId"),
    ({"timestamp": "yesterday"}, "ISO 8601"),
    ({"timestamp": "2026-11-22T10:00:00"}, "time zone"),
    ({"scoreGiven": 120}, "above scoreMaximum"),
    ({"scoreGiven": -1}, "at least 0"),
    ({"scoreMaximum": None}, "scoreMaximum"),
])
def test_invalid_score_is_refused_and_nothing_recorded(platform, tool, change, problem):
    item = new_lineitem(platform, tool)
    resp = post_score(platform, tool, item, **change)
    assert resp.status_code == 400 and problem in resp.json()["error_description"]
    assert platform.scores == []


def test_score_timestamps_must_increase_per_user_like_moodle(platform, tool):
    item = new_lineitem(platform, tool)
    first = stamp()
    assert post_score(platform, tool, item, timestamp=first).status_code == 200
    same = post_score(platform, tool, item, timestamp=first)
    older = post_score(platform, tool, item, timestamp=stamp(-60))
    assert same.status_code == 409 and older.status_code == 409
    platform.add_member("learner-2")
    assert post_score(platform, tool, item, userId="learner-2", timestamp=first).status_code == 200
    assert post_score(platform, tool, item, timestamp=stamp(1)).status_code == 200
    assert len(platform.scores) == 3


def test_second_resolution_refuses_two_scores_in_one_second():
    server = PlatformServer.start(score_timestamp_resolution="second")
    tool = FakeTool()
    try:
        tool.connect(server)
        server.launch(requests.Session())
        item = new_lineitem(server, tool)
        base = datetime.now(timezone.utc).replace(microsecond=100000)
        assert post_score(server, tool, item, timestamp=base.isoformat()).status_code == 200
        later = (base + timedelta(milliseconds=500)).isoformat()
        assert post_score(server, tool, item, timestamp=later).status_code == 409
    finally:
        tool.stop()
        server.stop()


def test_scores_for_strangers_refused_when_membership_is_required():
    server = PlatformServer.start(require_membership=True)
    tool = FakeTool()
    try:
        tool.connect(server)
        server.launch(requests.Session())
        item = new_lineitem(server, tool)
        assert post_score(server, tool, item, userId="stranger").status_code == 422
        assert post_score(server, tool, item).status_code == 200
    finally:
        tool.stop()
        server.stop()


# ---- NRPS ----
def test_memberships_are_paged_with_next_and_differences_links():
    server = PlatformServer.start(nrps_page_size=2)
    tool = FakeTool()
    try:
        tool.connect(server)
        server.launch(requests.Session(), role="instructor")
        for user in ("learner-1", "learner-2", "learner-3"):
            server.add_member(user)
        url, seen = server.memberships_url(), []
        headers = {**bearer(tool, [C.SCOPE_NRPS]), "Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"}
        first = requests.get(url, headers=headers)
        assert first.headers["Content-Type"].startswith("application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        assert first.json()["context"]["id"] == "course-1"
        differences = first.links["differences"]["url"]
        while url:
            resp = requests.get(url, headers=headers)
            assert len(resp.json()["members"]) <= 2
            seen += resp.json()["members"]
            url = resp.links.get("next", {}).get("url")
        assert [m["user_id"] for m in seen] == ["instructor-1", "learner-1", "learner-2", "learner-3"]
        assert seen[1]["roles"] == [C.MEMBERSHIP + "Learner"] and seen[1]["name"] == "Sanne de Vries"
        time.sleep(0.01)
        server.add_member("learner-2", status="Inactive")
        changed = requests.get(differences, headers=headers).json()["members"]
        assert [(m["user_id"], m["status"]) for m in changed] == [("learner-2", "Inactive")]
        learners = requests.get(server.memberships_url(), params={"role": "Learner", "limit": 10}, headers=headers)
        assert len(learners.json()["members"]) == 3
    finally:
        tool.stop()
        server.stop()


def test_memberships_refuse_unacceptable_accept_header(platform, tool):
    resp = requests.get(platform.memberships_url(), headers={**bearer(tool), "Accept": "text/html"})
    assert resp.status_code == 406


# ---- fault injection ----
def test_fail_answers_the_injected_status_then_recovers(platform, tool):
    platform.fail("/token", 429, times=2, headers={"Retry-After": "1"})
    first, second = tool.token_request([C.SCOPE_SCORE]), tool.token_request([C.SCOPE_SCORE])
    assert first.status_code == second.status_code == 429 and first.headers["Retry-After"] == "1"
    assert tool.token_request([C.SCOPE_SCORE]).status_code == 200
    item = new_lineitem(platform, tool)
    platform.fail(item["id"] + "/scores", 503)
    assert post_score(platform, tool, item).status_code == 503
    assert post_score(platform, tool, item, timestamp=stamp(1)).status_code == 200


def test_delay_slows_the_next_request(platform, tool):
    platform.delay("/jwks", 0.5)
    started = time.monotonic()
    requests.get(platform.key_set_url)
    assert time.monotonic() - started >= 0.5
    started = time.monotonic()
    requests.get(platform.key_set_url)
    assert time.monotonic() - started < 0.5
