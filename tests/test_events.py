"""Events: events.yaml checked with file and line and loaded; a launched learner sees the module's
upcoming events, enrols, lands on the waiting list when it is full and moves up when someone
cancels; the .ics invitation; instructors create events from their launch; bad input refused."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from elearn.catalog.loader import LoadRefused, load_directory
from elearn.catalog.validate import check_directory
from elearn.events.models import Enrolment, Event
from elearn.extensions import db
from events_support import courses_with_events, event_id, learner, status_of, with_events  # noqa: F401
from launch_support import tool  # noqa: F401 (fixture)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE

BAD_EVENT = """\
events:
  - id: bad-one
    mode: workshop
    title: {nl: "Werkatelier", en: "Workshop"}
    description: {nl: "Oefenen.", en: "Practice."}
    starts: "%(starts)s"
    ends: "%(ends)s"
    timezone: %(tz)s
    location: "Utrecht"
    capacity: 10
    organiser: "Dr. O. Organiser"
"""


def _problems(tmp_path, **values):
    fields = dict(starts="2027-03-11 13:30", ends="2027-03-11 17:00", tz="Europe/Amsterdam")
    fields.update(values)
    root = courses_with_events(tmp_path, BAD_EVENT % fields)
    result = check_directory(root)
    return [(p.path.split("courses/")[-1], p.line, p.rule, p.message) for p in result.problems.errors
            if p.path.endswith("events.yaml")]


@pytest.mark.parametrize("values, line, rule, words", [
    ({"tz": "Europe/Amsterdm"}, 8, "events.timezone", "unknown time zone 'Europe/Amsterdm'"),
    ({"starts": "2027-02-30 13:30"}, 6, "events.starts", "'2027-02-30 13:30' is not a date and time"),
    ({"starts": "2027-03-28 02:30", "ends": "2027-03-28 05:00"}, 6, "events.starts", "does not exist in Europe/Amsterdam"),
    ({"ends": "2027-03-11 12:00"}, 7, "events.ends", "must end after it starts"),
])
def test_courses_check_names_file_and_line_of_an_impossible_time(app, tmp_path, values, line, rule, words):
    found = _problems(tmp_path, **values)
    assert [(path, ln, r) for path, ln, r, _ in found] == [(f"modules/{MODULE}/events.yaml", line, rule)], found
    assert words in found[0][3]


def test_courses_check_refuses_a_mode_the_module_does_not_offer_and_unquoted_times(app, tmp_path):
    text = (BAD_EVENT % dict(starts="x", ends="y", tz="Europe/Amsterdam")).replace("mode: workshop", "mode: masterclass")
    root = courses_with_events(tmp_path, text)
    found = [(p.line, p.rule) for p in check_directory(root).problems.errors if p.path.endswith("events.yaml")]
    assert found == [(3, "events.mode")]
    text = BAD_EVENT.replace('"%(starts)s"', "2027-03-11 13:30:00") % dict(ends="2027-03-11 17:00", tz="UTC")
    root = courses_with_events(tmp_path / "two", text)
    found = {(p.line, p.rule) for p in check_directory(root).problems.errors if p.path.endswith("events.yaml")}
    assert found == {(6, "yaml.value")}                                   # "quote it if it is text", at its line


def test_a_broken_events_file_loads_nothing(app, tmp_path):
    root = courses_with_events(tmp_path, BAD_EVENT % dict(starts="2027-02-30 10:00", ends="2027-03-01 10:00",
                                                          tz="Europe/Amsterdam"))
    with app.app_context():
        with pytest.raises(LoadRefused):
            load_directory(root)
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_load_stores_utc_with_the_zone_and_updates_in_place(app, tmp_path):
    root = courses_with_events(tmp_path)
    with app.app_context():
        load_directory(root)
        event = db.session.scalar(select(Event))
        # 13:30 in Amsterdam in March (winter time, UTC+1) is 12:30 UTC.
        assert event.starts_at == datetime(2027, 3, 11, 12, 30, tzinfo=timezone.utc)
        assert event.timezone == "Europe/Amsterdam" and event.capacity == 2 and event.source == "file"
        first_id = event.id
    (root / "modules" / MODULE / "events.yaml").write_text(
        (root / "modules" / MODULE / "events.yaml").read_text().replace("capacity: 2", "capacity: 5"))
    with app.app_context():
        changes = load_directory(root)
        assert f"event {MODULE}/workshop-one" in changes.updated
        event = db.session.scalar(select(Event))
        assert (event.id, event.capacity) == (first_id, 5)
    (root / "modules" / MODULE / "events.yaml").unlink()
    with app.app_context():
        load_directory(root)
        assert db.session.scalar(select(Event)).cancelled_at is not None     # cancelled, enrolments kept


def _enrol(browser, tool, event, lt):
    return browser.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt})


def _cancel(browser, tool, event, lt):
    return browser.post(f"{tool.url}/events/{event}/cancel", data={"lt": lt})


def test_learner_sees_enrols_waits_and_moves_up_when_someone_cancels(with_events, tool, platform):
    event = event_id(with_events)
    ann, page, ann_lt = learner(platform, "ann", "Ann Arts")
    assert "Value workshop" in page.text and f'data-event-id="{event}"' in page.text
    assert "Thursday 11 March 2027, 13:30–17:00" in page.text            # on the event's own clock
    done = _enrol(ann, tool, event, ann_lt)
    assert done.status_code == 200 and status_of(done.text, event) == "enrolled"
    assert "No e-mail is sent" in done.text                               # no SMTP configured: said, no error
    bob, _, bob_lt = learner(platform, "bob", "Bob Bakker")
    assert status_of(_enrol(bob, tool, event, bob_lt).text, event) == "enrolled"
    cas, _, cas_lt = learner(platform, "cas", "Cas Cohen")
    waiting = _enrol(cas, tool, event, cas_lt)
    assert status_of(waiting.text, event) == "waiting" and "waiting list, number 1" in waiting.text
    dee, _, dee_lt = learner(platform, "dee", "Dee Dekker")
    assert "number 2" in _enrol(dee, tool, event, dee_lt).text
    assert "number 2" in _enrol(dee, tool, event, dee_lt).text           # enrolling twice changes nothing
    assert cas.get(f"{tool.url}/events/{event}/invitation.ics", params={"lt": cas_lt}).status_code == 404
    _cancel(ann, tool, event, ann_lt)                                     # Ann's seat goes to Cas, Dee is next
    page = cas.get(f"{tool.url}/events/{event}", params={"lt": cas_lt})
    assert status_of(page.text, event) == "enrolled"
    assert "number 1" in dee.get(f"{tool.url}/events/{event}", params={"lt": dee_lt}).text
    with with_events.app_context():
        states = dict(db.session.execute(select(Enrolment.user_id, Enrolment.status)).all())
        assert sorted(states.values()) == ["cancelled", "enrolled", "enrolled", "waiting"]


def test_invitation_is_an_rfc5545_event_of_the_enrolment(with_events, tool, platform):
    event = event_id(with_events)
    ann, _, lt = learner(platform, "ann", "Ann Arts")
    _enrol(ann, tool, event, lt)
    ics = ann.get(f"{tool.url}/events/{event}/invitation.ics", params={"lt": lt})
    assert ics.status_code == 200 and ics.headers["Content-Type"].startswith("text/calendar")
    text = ics.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\r\nDTSTART:20270311T123000Z\r\n" in text and "\r\nDTEND:20270311T160000Z\r\n" in text
    assert "\r\nSUMMARY:Value workshop\r\n" in text and "\r\nLOCATION:Utrecht\\, zaal 3\r\n" in text
    with with_events.app_context():
        uid = db.session.scalar(select(Enrolment.uid))
    assert f"\r\nUID:{uid}\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_enrol_needs_a_launch_and_a_genuine_form(with_events, tool, platform):
    event = event_id(with_events)
    ann, _, lt = learner(platform, "ann", "Ann Arts")
    from launch_support import make_browser

    stranger = make_browser()
    assert stranger.post(f"{tool.url}/events/{event}/enrol", data={}).status_code == 401
    assert ann.post(f"{tool.url}/events/{event}/enrol", data={}).status_code == 400   # cookie only: no lt, no CSRF
    with with_events.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def _instructor(platform):
    from launch_support import make_browser
    from quiz_support import launch_learner

    browser = make_browser()
    _page, lt = launch_learner(platform, browser, role="instructor", user={"sub": "ivo", "name": "Ivo Instructor"})
    return browser, lt


GOOD_FORM = {"mode": "workshop", "title_nl": "Werkatelier uitkomsten", "title_en": "Outcomes workshop",
             "description_nl": "Uitkomsten meten in de praktijk.", "description_en": "Measuring outcomes in practice.",
             "starts": "2027-06-03T14:00", "ends": "2027-06-03T17:00", "timezone": "Europe/Amsterdam",
             "location": "Rotterdam", "online_url": "", "capacity": "12", "organiser": "Ivo Instructor"}


@pytest.mark.parametrize("change, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"starts": "2027-02-30T14:00"}, "starts"),
    ({"starts": "2027-03-28T02:15", "ends": "2027-03-28T04:00"}, "starts"),
    ({"capacity": "0"}, "capacity"),
    ({"location": "", "online_url": ""}, "location"),
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"title_en": ""}, "title_en"),
])
def test_instructor_form_refuses_bad_input_keeps_what_was_typed_and_writes_nothing(with_events, tool, platform,
                                                                                   change, field):
    browser, lt = _instructor(platform)
    resp = browser.post(f"{tool.url}/events/manage", data=dict(GOOD_FORM, lt=lt, **change))
    assert resp.status_code == 422 and f'data-field="{field}"' in resp.text
    assert 'value="Werkatelier uitkomsten"' in resp.text                  # nothing typed is lost
    with with_events.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).filter_by(source="instructor")) == 0


@pytest.mark.parametrize("change, field", [
    ({"mode": "party"}, "mode"),
    ({"capacity": "many"}, "capacity"),
    ({"capacity": ""}, "capacity"),
    ({"organiser": "   "}, "organiser"),
    ({"description_nl": ""}, "description_nl"),
])
def test_instructor_form_fields_refuse_what_they_can_tell_alone(with_events, tool, platform, change, field):
    browser, lt = _instructor(platform)
    resp = browser.post(f"{tool.url}/events/manage", data=dict(GOOD_FORM, lt=lt, **change))
    assert resp.status_code == 422 and f'data-field="{field}"' in resp.text
    assert 'value="Werkatelier uitkomsten"' in resp.text and "Measuring outcomes in practice." in resp.text
    with with_events.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).filter_by(source="instructor")) == 0


def test_instructor_creates_an_event_learners_then_see(with_events, tool, platform):
    browser, lt = _instructor(platform)
    assert "Value workshop" in browser.get(f"{tool.url}/events/manage", params={"lt": lt}).text
    resp = browser.post(f"{tool.url}/events/manage", data=dict(GOOD_FORM, lt=lt))
    assert resp.status_code == 200 and "The event is saved." in resp.text and "Outcomes workshop" in resp.text
    with with_events.app_context():
        event = db.session.scalar(select(Event).filter_by(source="instructor"))
        assert event.module_id == MODULE and event.starts_at == datetime(2027, 6, 3, 12, 0, tzinfo=timezone.utc)
    ann, page, _ = learner(platform, "ann", "Ann Arts")
    assert "Outcomes workshop" in page.text


def test_learner_cannot_open_the_instructor_page(with_events, tool, platform):
    ann, _, lt = learner(platform, "ann", "Ann Arts")
    assert ann.get(f"{tool.url}/events/manage", params={"lt": lt}).status_code in (401, 403)
    assert ann.post(f"{tool.url}/events/manage", data=dict(GOOD_FORM, lt=lt)).status_code in (401, 403)
