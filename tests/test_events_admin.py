"""The accreditation administrator creates an event for a module or a course, with its
accreditation: an Activity that points at the event (the existing model, not a copy)."""
import re

from sqlalchemy import func, select

from elearn.accreditation.models import Activity, ActivityChange
from elearn.events.models import Event
from elearn.extensions import db
from quiz_support import MODULE, loaded  # noqa: F401
from test_accreditation_admin import _csrf, _signed_in

FORM = {"owner": f"module:{MODULE}", "mode": "masterclass", "title_nl": "Masterclass uitkomsten",
        "title_en": "Outcomes masterclass", "description_nl": "Een dag.", "description_en": "One day.",
        "starts": "2027-04-15T09:30", "ends": "2027-04-15T16:30", "timezone": "Europe/Amsterdam",
        "location": "Utrecht", "capacity": "16", "organiser": "Ada Admin",
        "register": "gaia", "accreditation_id": "GAIA-777", "points": "6", "points_kind": "accreditation hours",
        "min_percent": "75", "prorate": "on"}


def test_admin_creates_an_accredited_event(loaded, runner, live_server):
    browser, home = _signed_in(runner, live_server)
    page = browser.get(f"{live_server.url}/admin/events")
    assert page.status_code == 200 and "New event" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]     # no LMS may frame /admin
    cross_site = browser.post(f"{live_server.url}/admin/events", headers={"Sec-Fetch-Site": "cross-site"},
                              data=dict(FORM, csrf_token=_csrf(page.text)))
    assert cross_site.status_code == 403
    saved = browser.post(f"{live_server.url}/admin/events", data=dict(FORM, csrf_token=_csrf(page.text)))
    assert saved.status_code == 200 and "Outcomes masterclass" in saved.text and "GAIA-777" in saved.text
    with loaded.app_context():
        event = db.session.scalar(select(Event))
        activity = db.session.scalar(select(Activity))
        assert (event.source, event.module_id, event.created_by) == ("admin", MODULE, "admin@example.org")
        assert activity.event_id == event.id and activity.module_ids == [] and activity.points == 6
        assert activity.rule == {"attendance": {"min_percent": 75, "prorate": True}}
        assert activity.study_load_minutes == 420
        assert db.session.scalar(select(func.count()).select_from(ActivityChange)) == 1   # in the audit trail


def test_admin_event_refusals_write_nothing(loaded, runner, live_server):
    browser, _ = _signed_in(runner, live_server)
    page = browser.get(f"{live_server.url}/admin/events")
    for change, field in (({"timezone": "Europe/Atlantis"}, "timezone"), ({"points": "-1"}, "register"),
                          ({"owner": "module:"}, "module"), ({"ends": "2027-04-15T08:00"}, "ends")):
        resp = browser.post(f"{live_server.url}/admin/events", data=dict(FORM, csrf_token=_csrf(page.text), **change))
        assert resp.status_code == 422 and f'data-field="{field}"' in resp.text, (change, resp.text[:300])
        assert 'value="Outcomes masterclass"' in resp.text
    with loaded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_admin_events_need_a_signed_in_administrator(loaded, live_server):
    from launch_support import make_browser

    anonymous = make_browser()
    assert anonymous.get(f"{live_server.url}/admin/events", allow_redirects=False).status_code == 302
    assert anonymous.post(f"{live_server.url}/admin/events", data=FORM, allow_redirects=False).status_code in (302, 400)


def test_an_event_of_a_course_shows_on_the_pages_of_its_modules_only(loaded, runner, live_server):
    from demolms.testing import PlatformServer
    from launch_support import connect
    from quiz_support import launch_learner

    browser, _ = _signed_in(runner, live_server)
    page = browser.get(f"{live_server.url}/admin/events")
    saved = browser.post(f"{live_server.url}/admin/events",
                         data=dict(FORM, owner="course:course-a", register="", csrf_token=_csrf(page.text)))
    assert saved.status_code == 200
    with loaded.app_context():
        assert db.session.scalar(select(Event.course_id)) == "course-a"
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0      # no register: not accredited
    platform = PlatformServer.start()
    try:
        connect(loaded, live_server.url, platform)
        from launch_support import make_browser

        in_course = launch_learner(platform, make_browser())[0]                      # alpha-value: in course-a
        assert "Outcomes masterclass" in in_course.text
        elsewhere = launch_learner(platform, make_browser(), custom={"module": "gamma-data"},
                                   resource_link_id="rl-g")[0]                       # gamma-data: not in course-a
        assert "Outcomes masterclass" not in elsewhere.text
    finally:
        platform.stop()


def test_admin_event_form_refuses_a_bad_accreditation_field_and_keeps_what_was_typed(loaded, runner, live_server):
    browser, _ = _signed_in(runner, live_server)
    page = browser.get(f"{live_server.url}/admin/events")
    for change, field, words in (({"min_percent": "most"}, "register", "whole percentage"),
                                 ({"min_percent": "120"}, "register", "whole percentage"),
                                 ({"register": "nowhere"}, "register", "Choose a register"),
                                 ({"accreditation_id": " "}, "register", "Choose a register"),
                                 ({"points": "six"}, "register", "Points must be"),
                                 ({"owner": "teacher:x"}, "module", "module or a course"),
                                 ({"capacity": "x"}, "capacity", "whole number of places")):
        resp = browser.post(f"{live_server.url}/admin/events", data=dict(FORM, csrf_token=_csrf(page.text), **change))
        assert resp.status_code == 422 and f'data-field="{field}"' in resp.text, (change, resp.text[:300])
        assert words in resp.text and 'value="Outcomes masterclass"' in resp.text, change
    with loaded.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_admin_event_points_take_a_decimal_comma_and_the_default_minimum(loaded, runner, live_server):
    browser, _ = _signed_in(runner, live_server)
    page = browser.get(f"{live_server.url}/admin/events")
    form = {key: value for key, value in FORM.items() if key not in ("min_percent", "prorate")}
    saved = browser.post(f"{live_server.url}/admin/events", data=dict(form, points="1,5", csrf_token=_csrf(page.text)))
    assert saved.status_code == 200
    with loaded.app_context():
        activity = db.session.scalar(select(Activity))
        assert activity.points == 1.5 and activity.rule == {"attendance": {"min_percent": 80, "prorate": False}}
