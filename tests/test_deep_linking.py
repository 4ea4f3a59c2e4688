"""Deep linking over real HTTP: an instructor's LtiDeepLinkingRequest from the test platform opens
the picker, the chosen modules go back as a signed LtiDeepLinkingResponse (verified by demolms and
here with the tool's JWKS), and learners launch through the links it placed."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import jwt
import pytest
import requests

from demolms import claims as C
from elearn.catalog.models import Module
from elearn.extensions import db
from launch_support import browser, error_code, every_platform, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from quiz_support import loaded  # noqa: F401 (fixture: tests/fixtures/courses_valid)

DEEP_LINKING = "LtiDeepLinkingRequest"


def open_picker(platform, browser, *, locale="nl", **options):
    """An instructor's deep-linking launch; returns (picker page, lt)."""
    resp = platform.launch(browser, role="instructor", locale=locale, message_type=DEEP_LINKING,
                           resource_link_id=None, **options)
    return resp, lt_of(resp.url)


def choose(browser, tool, lt, modules, **fields):
    """Post the picker's form as the browser does."""
    return browser.post(f"{tool.url}/picker/choose", data=dict(fields, lt=lt, module=list(modules)))


def response_form(page: requests.Response) -> tuple[str, str]:
    """(action, JWT) of the page that auto-posts the deep-linking response."""
    action = re.search(r'<form id="deep-link-response" method="post" action="([^"]+)"', page.text)
    token = re.search(r'name="JWT" value="([^"]+)"', page.text)
    assert action and token, page.text[:800]
    return html.unescape(action.group(1)), token.group(1)


def verified_claims(tool, platform, token: str) -> dict:
    """The response's claims, verified with the key the tool publishes at /lti/jwks."""
    key_set = jwt.PyJWKSet.from_dict(requests.get(f"{tool.url}/lti/jwks").json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in key_set.keys if k.key_id == kid)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=platform.issuer)


@every_platform
def test_two_modules_go_back_signed_and_learners_launch_through_each_link(loaded, tool, platform, browser):
    picker, lt = open_picker(platform, browser, locale="nl")
    assert picker.status_code == 200 and picker.url.split("?")[0].endswith("/picker/"), picker.text[:500]
    assert 'type="checkbox" name="module" value="alpha-value"' in picker.text
    assert "Waarde en uitkomsten" in picker.text and "Data en IT" in picker.text    # the launch's language
    request_data = platform.last_launch.claims[C.DL_SETTINGS].get("data")   # Open edX sends none (optional)

    sent = choose(browser, tool, lt, ["alpha-value", "gamma-data"])
    assert sent.status_code == 200 and sent.headers["Cache-Control"] == "no-store"
    action, token = response_form(sent)
    assert action == platform.deep_link_return_url

    claims = verified_claims(tool, platform, token)
    assert claims["iss"] == platform.client_id and claims[C.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert claims[C.VERSION] == "1.3.0" and claims[C.DEPLOYMENT_ID] == platform.deployment_id
    assert claims.get(C.DL_DATA) == request_data                          # echoed as given, or left out
    items = claims[C.DL_CONTENT_ITEMS]
    assert [i["type"] for i in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert [i["title"] for i in items] == ["Waarde en uitkomsten", "Data en IT"]
    assert items[0]["text"] == "Korte samenvatting van waarde en uitkomsten."
    assert all(i["url"] == f"{tool.url}/lti/launch" for i in items)
    assert [i["custom"] for i in items] == [{"module": "alpha-value"}, {"module": "gamma-data"}]
    assert items[0]["lineItem"] == {"scoreMaximum": 100, "label": "Eindtoets: Waarde en uitkomsten",
                                    "resourceId": "alpha-value", "tag": "vbhc-post-test"}
    assert items[1]["lineItem"]["resourceId"] == "gamma-data" and items[1]["lineItem"]["label"] == "Eindtoets: Data en IT"
    assert "2 modules" in claims[C.DL_MSG]

    placed = browser.post(action, data={"JWT": token})                  # what the page's script does
    assert placed.status_code == 200, placed.text[-500:]
    (record,) = platform.deep_link_responses                           # demolms verified it with our JWKS
    assert record["content_items"] == items and len(record["links"]) == 2
    columns = {i["resourceLinkId"]: i for i in platform.lineitems}
    assert {columns[link]["resourceId"] for link in record["links"]} == {"alpha-value", "gamma-data"}
    assert all(columns[link]["tag"] == "vbhc-post-test" for link in record["links"])

    for link_id, module_id, title in zip(record["links"], ["alpha-value", "gamma-data"], ["Waarde en uitkomsten", "Data en IT"]):
        learner = make_browser()
        landed = platform.launch(learner, role="learner", user="learner-2", resource_link_id=link_id)
        assert landed.status_code == 200 and landed.url.split("?")[0].endswith(f"/modules/{module_id}")
        assert title in landed.text
        assert platform.last_launch.claims[C.AGS_ENDPOINT]["lineitem"] == columns[link_id]["id"]


@every_platform
def test_titles_and_columns_follow_the_chosen_course_language(loaded, tool, platform, browser):
    picker, lt = open_picker(platform, browser, locale="nl")
    english = browser.get(f"{tool.url}/picker/", params={"lt": lt, "course_lang": "en"})
    assert "Value and outcomes" in english.text and "Loopbaanfase" in english.text   # items in English, page in Dutch
    _, token = response_form(choose(browser, tool, lt, ["alpha-value"], course_lang="en"))
    (item,) = verified_claims(tool, platform, token)[C.DL_CONTENT_ITEMS]
    assert item["title"] == "Value and outcomes" and item["lineItem"]["label"] == "Post-test: Value and outcomes"


def test_cancel_sends_an_empty_response(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser)
    sent = browser.post(f"{tool.url}/picker/cancel", data={"lt": lt})
    action, token = response_form(sent)
    claims = verified_claims(tool, platform, token)
    assert claims[C.DL_CONTENT_ITEMS] == [] and claims[C.DL_DATA]
    assert browser.post(action, data={"JWT": token}).status_code == 200
    (record,) = platform.deep_link_responses
    assert record["links"] == [] and platform.lineitems == []


def test_one_item_only_gives_radio_buttons_and_refuses_two(loaded, tool, platform, browser):
    picker, lt = open_picker(platform, browser, locale="en", deep_linking={"accept_multiple": False})
    assert 'type="radio" name="module"' in picker.text and 'type="checkbox" name="module"' not in picker.text
    refused = choose(browser, tool, lt, ["alpha-value", "gamma-data"])
    assert refused.status_code == 400 and "accepts only one item" in refused.text
    assert 'name="JWT"' not in refused.text and platform.deep_link_responses == []
    action, token = response_form(choose(browser, tool, lt, ["gamma-data"]))
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert [i["custom"]["module"] for i in platform.deep_link_responses[0]["content_items"]] == ["gamma-data"]


def test_string_false_accept_multiple_counts_as_false(loaded, tool, platform, browser):
    picker, lt = open_picker(platform, browser, locale="en", deep_linking={"accept_multiple": "false"})
    assert 'type="radio" name="module"' in picker.text
    assert choose(browser, tool, lt, ["alpha-value", "beta-teams"]).status_code == 400


def test_a_platform_without_resource_links_gets_a_clear_page_and_no_response(loaded, tool, platform, browser):
    picker, lt = open_picker(platform, browser, locale="en", deep_linking={"accept_types": ["link", "file"]})
    assert picker.status_code == 409 and 'data-refusal="no_link_type"' in picker.text
    assert "accepts no link type VBHC Academy offers" in picker.text
    assert "<code>link</code>" in picker.text and "<code>file</code>" in picker.text and "Web link" in picker.text
    assert "lti_errormsg=" in picker.text                                 # back to the course, with the reason
    refused = choose(browser, tool, lt, ["alpha-value"])
    assert refused.status_code == 409 and 'name="JWT"' not in refused.text
    cancelled = browser.post(f"{tool.url}/picker/cancel", data={"lt": lt})
    assert cancelled.status_code == 409, cancelled.text[-1500:]
    assert platform.deep_link_responses == []


@pytest.mark.parametrize("choice, status, message", [
    (["no-such-module"], 400, "There is no module “no-such-module”"),
    (["alpha-value", "no-such-module"], 400, "There is no module “no-such-module”"),
    ([], 400, "Choose at least one module"),
])
def test_a_choice_of_nothing_or_of_unknown_modules_is_refused(loaded, tool, platform, browser, choice, status, message):
    _, lt = open_picker(platform, browser, locale="en")
    refused = choose(browser, tool, lt, choice)
    assert refused.status_code == status and message in refused.text and 'role="alert"' in refused.text
    assert 'name="JWT"' not in refused.text and platform.deep_link_responses == []


def test_a_refused_choice_shows_the_picker_again_with_its_filters_and_ticks(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser, locale="en")
    refused = choose(browser, tool, lt, ["beta-teams", "no-such-module"], q="  teams \n ", role="nonsense")
    assert refused.status_code == 400 and "There is no module “no-such-module”" in refused.text
    assert 'name="q" value="teams"' in refused.text                      # the search kept, as one line
    assert re.search(r'value="beta-teams"\s+id="pick-beta-teams"[^>]*checked', refused.text)   # the tick kept
    assert platform.deep_link_responses == []


def _retire(app, module_id: str) -> None:
    with app.app_context():
        db.session.get(Module, module_id).retired_at = datetime.now(timezone.utc)
        db.session.commit()


def test_a_retired_module_can_no_longer_be_chosen(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser, locale="en")
    _retire(loaded, "gamma-data")
    page = browser.get(f"{tool.url}/picker/", params={"lt": lt})
    assert "Data and IT" not in page.text                                # no longer offered
    refused = choose(browser, tool, lt, ["gamma-data"])
    assert refused.status_code == 400 and "has been retired" in refused.text
    assert platform.deep_link_responses == []


def test_a_returned_link_to_a_since_retired_or_unknown_module_says_so(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser, locale="en")
    action, token = response_form(choose(browser, tool, lt, ["beta-teams"]))
    browser.post(action, data={"JWT": token})
    (link_id,) = platform.deep_link_responses[0]["links"]
    _retire(loaded, "beta-teams")
    retired = platform.launch(make_browser(), role="learner", locale="en", resource_link_id=link_id)
    assert retired.status_code == 404 and "This module has been retired" in retired.text
    link = platform.platform.store.get_link(link_id)                   # the LMS still holds a link to a module
    platform.platform.store.save_link(dict(link, id="dl-stale", custom={"module": "never-existed"}))
    unknown = platform.launch(make_browser(), role="learner", locale="en", resource_link_id="dl-stale")
    assert unknown.status_code == 404 and "There is no module “never-existed”" in unknown.text


def test_platform_settings_shape_the_items(loaded, tool, platform, browser):
    picker, lt = open_picker(platform, browser, locale="en", deep_linking={
        "auto_create": False, "accept_lineitem": False, "accept_presentation_document_targets": ["window"]})
    assert "for you to confirm before it is added" in picker.text
    assert "takes no gradebook columns" in picker.text
    _, token = response_form(choose(browser, tool, lt, ["alpha-value"]))
    (item,) = verified_claims(tool, platform, token)[C.DL_CONTENT_ITEMS]
    assert "lineItem" not in item and item["window"] == {"targetName": "vbhc-academy"}
    straight, _ = open_picker(platform, make_browser(), locale="en")
    assert "adds your choice to the course straight away" in straight.text


def test_filters_search_and_the_matrix(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser, locale="en")

    def shown(**args):
        page = browser.get(f"{tool.url}/picker/", params=dict(args, lt=lt))
        assert page.status_code == 200, page.text[:300]
        return re.findall(r'<li class="pick-item[^"]*">\s*<div class="pick-head">\s*<input[^>]*value="([^"]+)"[^>]*id="pick-', page.text), page

    assert shown()[0] == ["alpha-value", "beta-teams", "gamma-data"]
    assert shown(q="teams")[0] == ["beta-teams"]
    assert shown(q="patient")[0] == ["beta-teams"]                      # Dutch 'patiëntgroepen', accents folded
    assert shown(q="summary value")[0] == ["alpha-value"]               # every word must match
    assert shown(phase="C")[0] == ["alpha-value", "beta-teams", "gamma-data"]
    assert shown(phase="A")[0] == ["alpha-value"]
    assert shown(pillar="implementation")[0] == ["beta-teams"]
    assert shown(mode="masterclass")[0] == ["beta-teams"]
    assert shown(cell="preconditions:C", phase="A")[0] == ["gamma-data"]  # a matrix cell wins over the selects
    ids, page = shown(cell="principles:B")
    assert ids == ["alpha-value"] and 'value="principles:B"' in page.text and 'aria-current="true"' in page.text
    assert shown(phase="Z", pillar="nonsense", mode="x")[0] == ["alpha-value", "beta-teams", "gamma-data"]
    ids, page = shown(q="teams", module=["alpha-value", "beta-teams"])  # ticked earlier, kept while filtering
    assert ids == ["beta-teams"] and "Also chosen" in page.text
    assert re.search(r'value="alpha-value"\s+id="kept-alpha-value"[^>]*checked', page.text)
    assert shown(clear="1", q="teams")[0] == ["alpha-value", "beta-teams", "gamma-data"]


def test_the_canmeds_role_filter_shows_the_modules_serving_that_role(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser, locale="nl")

    def shown(**args):
        page = browser.get(f"{tool.url}/picker/", params=dict(args, lt=lt))
        assert page.status_code == 200, page.text[:300]
        return re.findall(r'<li class="pick-item[^"]*">\s*<div class="pick-head">\s*<input[^>]*value="([^"]+)"[^>]*id="pick-', page.text), page

    ids, page = shown()
    assert ids == ["alpha-value", "beta-teams", "gamma-data"]
    assert '<option value="health-advocate" >Gezondheidsbevorderaar</option>' in page.text   # every role, in Dutch
    assert shown(role="scholar")[0] == ["alpha-value", "gamma-data"]
    assert shown(role="leader")[0] == ["beta-teams"]
    assert shown(role="communicator", phase="A")[0] == ["alpha-value"]
    ids, page = shown(role="health-advocate")
    assert ids == [] and "Geen enkele module past bij deze filters." in page.text
    assert shown(role="nonsense")[0] == ["alpha-value", "beta-teams", "gamma-data"]   # unknown: all roles
    matrix = shown(role="leader")[1].text                                          # the matrix counts follow the role
    assert 'value="implementation:C"' in matrix and 'value="principles:A"' not in matrix
    assert "Samenwerker, Leider" in shown(role="leader")[1].text                    # the module's roles in its details


def test_module_details_are_there_before_choosing(loaded, tool, platform, browser):
    page, _ = open_picker(platform, browser, locale="en")
    alpha = page.text.split('id="pick-alpha-value"', 1)[1].split('<li class="pick-item', 1)[0]
    assert "<details" in alpha and "Learning objectives" in alpha
    assert "60 minutes, including the post-test" in alpha and "Online course" in alpha and "Workshop" in alpha
    assert "Part of the accredited course “Course C”: 3 accreditation points" in alpha
    beta = page.text.split('id="pick-beta-teams"', 1)[1].split('<li class="pick-item', 1)[0]
    # every phase C module is in course C now (issue #12: courses follow the phases)
    assert "Part of the accredited course “Course C”: 3 accreditation points" in beta and "Masterclass" in beta


def test_learners_cannot_open_the_picker(loaded, tool, platform, browser):
    resp = platform.launch(browser, role="learner", custom={"module": "alpha-value"}, resource_link_id="rl-l")
    lt = lt_of(resp.url)
    page = browser.get(f"{tool.url}/picker/", params={"lt": lt})
    assert page.status_code == 403 and error_code(page) == "role_required"
    posted = choose(browser, tool, lt, ["alpha-value"])
    assert posted.status_code == 403 and platform.deep_link_responses == []


def test_an_instructor_outside_deep_linking_gets_no_picker(loaded, tool, platform, browser):
    resp = platform.launch(browser, role="instructor", custom={"module": "alpha-value"}, resource_link_id="rl-i")
    page = browser.get(f"{tool.url}/picker/", params={"lt": lt_of(resp.url)})
    assert page.status_code == 400 and 'data-refusal="not_deep_linking"' in page.text
    assert choose(browser, tool, lt_of(resp.url), ["alpha-value"]).status_code == 400


def test_forged_or_missing_launch_tokens_are_refused(loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser, locale="en")
    stranger = make_browser()                                            # no cookies of the launch
    assert stranger.get(f"{tool.url}/picker/").status_code == 401
    forged = lt[:-4] + ("AAAA" if not lt.endswith("AAAA") else "BBBB")
    assert stranger.get(f"{tool.url}/picker/", params={"lt": forged}).status_code == 401
    assert choose(stranger, tool, forged, ["alpha-value"]).status_code == 401
    assert stranger.post(f"{tool.url}/picker/choose", data={"module": "alpha-value"}).status_code == 401
    # The launch's own browser still has the fallback session cookie: a form without lt is a forgery.
    no_lt = browser.post(f"{tool.url}/picker/choose", data={"module": "alpha-value"})
    assert no_lt.status_code == 400 and 'data-refusal="forged_form"' in no_lt.text
    assert browser.post(f"{tool.url}/picker/cancel", data={}).status_code == 400
    assert platform.deep_link_responses == []


def test_an_accredited_activity_of_the_module_is_shown_before_choosing(loaded, tool, platform, browser):
    from datetime import date, timedelta

    from elearn.accreditation.models import Activity

    with loaded.app_context():
        db.session.add(Activity(title={"nl": "Teams", "en": "Teams"}, module_ids=["beta-teams"], register="vvn",
                                accreditation_id="VVN-77", points=2.0, points_kind="points", study_load_minutes=120,
                                valid_from=date.today() - timedelta(days=1),
                                valid_until=date.today() + timedelta(days=30), rule={"post_test": True}))
        db.session.commit()
    page, _ = open_picker(platform, browser, locale="en")
    beta = page.text.split('id="pick-beta-teams"', 1)[1].split('<li class="pick-item', 1)[0]
    assert "Accredited on its own: 2 points with V&amp;VN Kwaliteitsregister." in beta


def test_the_picker_answers_once_so_modules_are_placed_once(app, loaded, tool, platform, browser):
    _, lt = open_picker(platform, browser)
    first = choose(browser, tool, lt, ["alpha-value"])
    action, token = response_form(first)
    # A double click or a reload sends the same choice again: the same signed response, not a second one.
    again = choose(browser, tool, lt, ["alpha-value"])
    assert response_form(again) == (action, token)
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert browser.post(action, data={"JWT": token}).status_code >= 400     # the platform refuses its nonce again
    assert len(platform.deep_link_responses) == 1 and len(platform.lineitems) == 1
    # Another choice, or a cancel, after the answer: refused, nothing signed or sent.
    other = choose(browser, tool, lt, ["gamma-data"])
    assert other.status_code == 409 and 'data-refusal="already_answered"' in other.text
    assert 'name="JWT"' not in other.text and "lti_errormsg=" in other.text       # back to the course
    cancelled = browser.post(f"{tool.url}/picker/cancel", data={"lt": lt})
    assert cancelled.status_code == 409 and 'name="JWT"' not in cancelled.text
    # A new deep-linking launch answers anew.
    _, fresh = open_picker(platform, browser)
    action, token = response_form(choose(browser, tool, fresh, ["gamma-data"]))
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert len(platform.deep_link_responses) == 2


def test_parallel_sends_of_one_picker_sign_one_answer(app, loaded, tool, platform, browser):
    from concurrent.futures import ThreadPoolExecutor

    _, lt = open_picker(platform, browser)
    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda ids: choose(make_browser(), tool, lt, ids),
                              [["alpha-value"], ["alpha-value"], ["gamma-data"], ["alpha-value"]]))
    sent = [response_form(p)[1] for p in pages if p.status_code == 200]
    refused = [p for p in pages if p.status_code == 409]
    assert len(set(sent)) == 1 and len(sent) + len(refused) == 4   # one token, however the race went
