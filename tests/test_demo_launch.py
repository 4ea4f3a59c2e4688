"""End to end through the running product: the demo LMS launches the tool, the tool grades back."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from demolms.browser import follow_platform_pages, new_browser
from elearn.extensions import db


def demo_launch(live_server, **args):
    """What clicking 'open in a new window' on the demo course page does, as a browser."""
    browser = new_browser()
    start = browser.get(live_server.url + "/demo/launch", params=dict(target="window", **args))
    assert start.status_code == 200, start.text
    return follow_platform_pages(browser, start, live_server.url + "/demo/auth")


def latest_launch_session(app):
    from elearn.launch.models import LaunchSession

    with app.app_context():
        found = db.session.scalars(select(LaunchSession).order_by(LaunchSession.id.desc())).first()
        return found and {"roles": found.roles, "name": found.user.name, "sub": found.user.sub,
                          "locale": found.locale, "module_id": found.module_id}


@pytest.fixture()
def catalog_loaded(app) -> bool:
    """Load courses/ into the catalog tables so module pages exist (False if the content does not load)."""
    result = app.test_cli_runner().invoke(args=["courses", "load"])
    return result.exit_code == 0 and "learning.module_page" in {r.endpoint for r in app.url_map.iter_rules()}


@pytest.mark.parametrize("role, person, name, roles, landing", [
    ("student", "learner-2", "Daan Bakker", "learner", "/modules/care-cycle"),
    ("instructor", "instructor-1", "Dr. Marieke Visser", "instructor", "/instructor/results"),   # their own view
])
def test_demo_launch_lands_on_the_module(app, live_server, catalog_loaded, role, person, name, roles, landing):
    resp = demo_launch(live_server, module="care-cycle", role=role, person=person, lang="en")
    landed = urlsplit(resp.url)
    expected = landing if catalog_loaded else "/modules/care-cycle"    # without content, no placement to show
    assert landed.path == expected and parse_qs(landed.query).get("lt"), resp.url
    assert latest_launch_session(app) == {"roles": roles, "name": name, "sub": person, "locale": "en",
                                          "module_id": "care-cycle"}
    if catalog_loaded:
        assert resp.status_code == 200 and name in resp.text


def test_tool_grades_flow_back_into_the_demo_gradebook(app, live_server):
    from lti import registry, services
    from lti.service_auth import TokenCache

    demo_launch(live_server, module="care-cycle", role="student", person="learner-3", lang="nl")
    issuer = live_server.url + "/demo"
    with app.app_context():
        from elearn.demo.setup import client_id_for

        platform = registry.find_platform(db.session, issuer, client_id_for(issuer, live_server.url))
        conn = services.connector_for(db.session, platform, TokenCache())
        item = services.create_line_item(conn, issuer + "/ags/course-1/lineitems", services.LineItem(
            id=None, label="De zorgcyclus: toets", score_maximum=10, resource_link_id="demo-care-cycle"))
        status = services.post_score(conn, item.id, services.Score(
            user_id="learner-3", score_given=7, score_maximum=10, timestamp=services.score_timestamp(),
            comment="Bijna"))
        db.session.commit()
    assert status in (200, 201, 204)
    page = new_browser().get(live_server.url + "/demo/gradebook", params={"lang": "en"}).text
    assert "De zorgcyclus: toets" in page and "Fatima El Amrani" in page and "7 / 10" in page
    relaunch = demo_launch(live_server, module="care-cycle", role="student", person="learner-3")
    assert urlsplit(relaunch.url).path == "/modules/care-cycle"
    from elearn.launch.models import ResourceLink

    with app.app_context():  # the relaunch names the link's line item in its AGS claim
        link = db.session.scalar(select(ResourceLink).where(ResourceLink.link_id == "demo-care-cycle"))
        assert link.ags_lineitem_url == item.id


def test_instructor_adds_modules_by_deep_linking_and_learners_launch_them(app, live_server):
    from elearn.launch.models import LaunchSession
    from lti import deep_link, registry

    picker = demo_launch(live_server, role="instructor", person="instructor-1", mode="deeplink", lang="nl")
    assert picker.status_code == 200
    issuer = live_server.url + "/demo"
    with app.app_context():
        from elearn.demo.setup import DEPLOYMENT_ID, client_id_for

        launch = db.session.scalars(select(LaunchSession).order_by(LaunchSession.id.desc())).first()
        assert launch.message_type == "LtiDeepLinkingRequest" and launch.deep_linking_settings
        platform = registry.find_platform(db.session, issuer, client_id_for(issuer, live_server.url))
        token = deep_link.response_jwt(db.session, platform, DEPLOYMENT_ID, launch.deep_linking_settings, [
            deep_link.ContentItem(title="De zorgcyclus", url=live_server.url + "/lti/launch",
                                  custom={"module": "care-cycle"}, score_maximum=10, resource_id="care-cycle")])
    browser = new_browser()
    back = browser.post(issuer + "/deep_links", data={"JWT": token})
    assert back.status_code == 200 and "/demo/course" in back.text
    course = browser.get(live_server.url + "/demo/course", params={"role": "instructor", "lang": "en"})
    # The item was titled in Dutch by the tool; the English course page names it in English.
    assert "The care cycle" in course.text.split("<details", 1)[0] and "link=dl-" in course.text
    link_id = course.text.split("link=dl-", 1)[1].split('"', 1)[0].split("&", 1)[0]
    landed = demo_launch(live_server, link="dl-" + link_id, role="student", person="learner-1")
    assert urlsplit(landed.url).path == "/modules/care-cycle"
    replayed = browser.post(issuer + "/deep_links", data={"JWT": token})
    assert replayed.status_code == 400 and "nonce" in replayed.text
