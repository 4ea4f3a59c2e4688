"""Interoperability with LTI platforms we did not write (docs/interop.md).

Each scenario runs against demolms (ours), Open edX's own LTI 1.3 consumer (lti_consumer.lti_1p3
from lti-consumer-xblock, tests/platforms/openedx.py) and the lti1p3platform library
(tests/platforms/lti1p3platform_server.py): the platform is registered with `flask lti
add-platform` as an administrator does, launches learners and instructors in Dutch and English,
takes back a deep-linking response through its own validator, and accepts a post-test score only
after its own check of the tool's bearer token. Neither library implements LTI Dynamic
Registration, so only demolms registers dynamically (tests/test_launch_registration.py).
"""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from demolms import claims as C
from elearn.extensions import db
from elearn.grades.worker import deliver_due
from launch_support import every_platform, lt_of, make_browser, module_platform, random_prefix  # noqa: F401
from quiz_support import MODULE, launch_learner, loaded, take  # noqa: F401

LANDING = {"learner": f"/modules/{MODULE}", "instructor": "/instructor/results"}


@pytest.fixture()
def tool(app, runner, live_server, platform):
    """The tool on loopback, registered in the platform by its admin and in the tool by
    `flask --app elearn lti add-platform` with what the platform's tool page shows."""
    # Tokens cached in Redis are keyed by the registration's row id, which every test reuses: a token
    # from another test's platform would be sent. demolms and Open edX answer it 401 (and the tool
    # fetches a new one); lti1p3platform answers 500 (docs/interop.md). Each test keeps its own keys.
    app.config["LTI_REDIS_PREFIX"] = random_prefix()
    registered = platform.register_tool(login_url=f"{live_server.url}/lti/login",
                                        launch_url=f"{live_server.url}/lti/launch",
                                        jwks_url=f"{live_server.url}/lti/jwks")
    result = runner.invoke(args=[
        "lti", "add-platform", "--issuer", platform.issuer, "--client-id", registered["client_id"],
        "--deployment-id", registered["deployment_ids"][0], "--auth-login-url", platform.auth_login_url,
        "--auth-token-url", platform.auth_token_url, "--key-set-url", platform.key_set_url,
        "--name", getattr(platform, "name", "Demo LMS"), "--replace"])
    assert result.exit_code == 0, result.output
    return live_server


def _session(app, lt):
    from elearn.launch.models import LaunchSession
    from elearn.launch.operations import read_token

    with app.app_context():
        row = db.session.get(LaunchSession, read_token(lt)[0])
        db.session.expunge(row)
        return row


@every_platform
@pytest.mark.parametrize("role", ["learner", "instructor"])
@pytest.mark.parametrize("locale", ["nl", "en"])
def test_learners_and_instructors_launch_in_dutch_and_english(loaded, tool, platform, role, locale):
    browser = make_browser()
    resp = platform.launch(browser, role=role, locale=locale, custom={"module": MODULE},
                           resource_link_id=f"rl-lang-{role}")
    assert resp.status_code == 200, resp.text[:800]
    assert urlsplit(resp.url).path == LANDING[role]
    assert f'lang="{locale}"' in resp.text                              # the page in the learner's language
    claims = platform.last_launch.claims
    assert claims["iss"] == platform.issuer and claims[C.DEPLOYMENT_ID] == platform.deployment_id
    row = _session(loaded, lt_of(resp.url))
    assert role in row.roles.split(",") and row.module_id == MODULE
    if not platform.sends_locale:
        # LTI 1.3 §5.4.4 (launch_presentation.locale) is optional, and neither library sends it:
        # the tool falls back to the browser's Accept-Language, as it must for Open edX.
        assert "locale" not in claims.get(C.LAUNCH_PRESENTATION, {})
    later = browser.get(f"{tool.url}/catalog/", params={"lt": lt_of(resp.url)})
    assert f'lang="{locale}"' in later.text                             # and it stays so for the launch


def _response_form(page) -> tuple[str, str]:
    action = re.search(r'<form id="deep-link-response" method="post" action="([^"]+)"', page.text)
    token = re.search(r'name="JWT" value="([^"]+)"', page.text)
    assert action and token, page.text[:800]
    return action.group(1).replace("&amp;", "&"), token.group(1)


@every_platform
def test_deep_linking_round_trip_is_accepted_by_the_platforms_own_validator(loaded, tool, platform):
    teacher = make_browser()
    picker = platform.launch(teacher, role="instructor", locale="en", message_type="LtiDeepLinkingRequest",
                             resource_link_id=None)
    assert picker.status_code == 200 and urlsplit(picker.url).path == "/picker/", picker.text[:800]
    settings = platform.last_launch.claims[C.DL_SETTINGS]
    sent = teacher.post(f"{tool.url}/picker/choose", data={"lt": lt_of(picker.url), "module": [MODULE]})
    action, token = _response_form(sent)
    assert action == platform.deep_link_return_url == settings["deep_link_return_url"]
    header, body, signature = token.split(".")
    tampered = ".".join([header, body, signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]])
    refused = teacher.post(action, data={"JWT": tampered})
    assert refused.status_code == 400 and platform.deep_link_responses == []   # its validator is real
    placed = teacher.post(action, data={"JWT": token})                 # what the page's script does
    assert placed.status_code == 200, placed.text[:500]                # the library accepted it
    (record,) = platform.deep_link_responses
    (item,) = record["content_items"]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"module": MODULE}
    assert item["url"] == f"{tool.url}/lti/launch" and item["title"] == "Value and outcomes"
    if "data" not in settings:
        # Open edX sends no `data` (optional, LTI-DL 2.0 §4.4.1): the response must then carry none.
        assert C.DL_DATA not in record["claims"]

    (link_id,) = record["links"]
    learner = make_browser()
    landed = platform.launch(learner, role="learner", user="learner-2", locale="en", resource_link_id=link_id)
    assert landed.status_code == 200 and urlsplit(landed.url).path == f"/modules/{MODULE}", landed.text[:500]
    assert platform.last_launch.claims[C.CUSTOM] == {"module": MODULE}


@every_platform
def test_post_test_score_passes_the_platforms_own_token_check(loaded, tool, platform):
    learner = make_browser()
    _, lt = launch_learner(platform, learner, locale="nl", resource_link_id="rl-graded")
    sub = platform.last_launch.claims["sub"]
    given_lineitem = platform.last_launch.claims[C.AGS_ENDPOINT].get("lineitem")
    result, _ = take(learner, tool, lt)                                 # to the end: submit and result page
    assert "100%" in result.text
    assert platform.scores == []                                        # never on the learner's request
    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}                        # the outbox worker posts it
    (score,) = [s for s in platform.scores if s["userId"] == sub]
    assert score["scoreGiven"] == 100 and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    if given_lineitem:                                                  # Open edX: the block's own column
        assert score.lineitem_url == given_lineitem
    else:                                                               # the tool made the link's column
        (column,) = [i for i in platform.lineitems if i["id"] == score.lineitem_url]
        assert column["resourceLinkId"] == "rl-graded" and column["resourceId"] == MODULE
    forged = requests.post(score.lineitem_url + "/scores", json=dict(score), timeout=10,
                           headers={"Authorization": "Bearer forged.token.here",
                                    "Content-Type": "application/vnd.ims.lis.v1.score+json"})
    # The check is real. lti1p3platform raises on a token it cannot decode (Registration.decode_and_verify
    # outside its LtiServiceException handling), so it answers 500 where RFC 6750 §3.1 says 401; a
    # tool then backs off and retries instead of fetching a new token (docs/interop.md).
    assert forged.status_code == (500 if platform.kind == "lti1p3platform" else 401)
    assert len(platform.scores) == 1


@every_platform
def test_instructor_reads_the_course_roster_where_the_platform_serves_nrps(loaded, tool, platform):
    for user in ("learner-1", "learner-2"):
        launch_learner(platform, make_browser(), user=user, resource_link_id="rl-roster")
    teacher = make_browser()
    _, lt = launch_learner(platform, teacher, role="instructor", resource_link_id="rl-roster")
    page = teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    assert page.status_code == 200
    from elearn.instructor.models import RosterMember

    with loaded.app_context():
        synced = {m.sub: m.name for m in db.session.scalars(select(RosterMember))}
    if platform.serves_nrps:
        assert C.NRPS in platform.last_launch.claims
        assert synced == {"learner-1": "Sanne de Vries", "learner-2": "Daan Bakker",
                          "instructor-1": "Dr. Marieke Visser"}
        assert "Sanne de Vries" in page.text and "Daan Bakker" in page.text
    else:
        # Open edX: lti_consumer.lti_1p3 has the NRPS claim class but no memberships service, and
        # launches carry no claim unless the course enables it. The dashboard says it has no roster;
        # the placement's results still list whoever launched.
        assert C.NRPS not in platform.last_launch.claims and synced == {}
        assert "NRPS" in page.text and "could not be read" not in page.text   # not a failure to retry
        assert "Sanne de Vries" in page.text and "Daan Bakker" in page.text      # who launched, as learners
        results = teacher.get(f"{tool.url}/instructor/results", params={"lt": lt})
        assert "Sanne de Vries" in results.text and "Daan Bakker" in results.text


@every_platform
def test_a_token_the_platform_no_longer_accepts_is_replaced_whatever_the_platform_answers(loaded, tool, platform):
    """A cached token another deployment of the platform stopped accepting (key rotation, a restart
    that forgot its tokens): demolms and Open edX answer 401 and the tool fetches a new one at once;
    lti1p3platform answers 500 (docs/interop.md), so the try fails, and the next try must use a new
    token instead of the refused one until it expires an hour later."""
    from elearn.grades.models import GradeDelivery
    from elearn.launch.stores import token_cache

    loaded.config["GRADES_BACKOFF_BASE"] = 0.05
    first = make_browser()
    _, lt = launch_learner(platform, first, user="learner-1", resource_link_id="rl-stale")
    take(first, tool, lt)
    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}                     # a token is now cached
        cache = token_cache()
        keys = list(cache._local)                                    # noqa: SLF001 - the fault is a stale entry
        assert keys
        for key in keys:
            cache.put(key, "a-token-this-platform-does-not-accept", 3600)
    second = make_browser()
    _, lt = launch_learner(platform, second, user="learner-2", resource_link_id="rl-stale")
    take(second, tool, lt)
    sub = platform.last_launch.claims["sub"]
    with loaded.app_context():
        outcome = deliver_due()
    if platform.kind == "lti1p3platform":
        assert outcome == {"retry": 1}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with loaded.app_context():
                if deliver_due() == {"delivered": 1}:
                    break
    else:
        assert outcome == {"delivered": 1}                           # RFC 6750 §3.1: 401, one retry
    with loaded.app_context():
        row = db.session.scalars(select(GradeDelivery).order_by(GradeDelivery.id.desc())).first()
        assert row.status == "delivered", (row.status, row.last_status, row.last_error)
    assert [s for s in platform.scores if s["userId"] == sub]
