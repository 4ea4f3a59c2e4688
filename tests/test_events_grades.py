"""Event attendance reaches the LMS gradebook through the grade outbox, against demolms over loopback:
check-in → the worker creates the event's column (resourceId event-<id>, the title in the course's
language) and posts the score; an organiser's correction posts the new score (a new row, a later
timestamp); the LMS down → the row waits and is delivered later, nothing lost; a launch without an
AGS claim → no row and no error."""
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from demolms import claims as DC
from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.grades.worker import deliver_due
from events_support import event_id, learner, with_events  # noqa: F401 (fixture)
from launch_support import make_browser, tool  # noqa: F401 (fixture)
from quiz_support import launch_learner
from test_events_attendance import code_url, happening_now, organiser, scan


@pytest.fixture(name="platform")
def fresh_platform():
    """A demolms of this test only: event ids start at 1 in every test's database, and a column
    `event-1` left by another test must not be found."""
    from demolms.testing import PlatformServer

    server = PlatformServer.start()
    yield server
    server.stop()


def _rows(app) -> list[GradeDelivery]:
    with app.app_context():
        rows = list(db.session.scalars(select(GradeDelivery).order_by(GradeDelivery.id)))
        db.session.expunge_all()
        return rows


def _deliver(app) -> dict:
    with app.app_context():
        return deliver_due()


def _columns(platform, event: int) -> list[dict]:
    return [i for i in platform.lineitems if i.get("resourceId") == f"event-{event}"]


def _user_id(app, sub: str) -> int:
    from elearn.launch.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).filter_by(sub=sub))


def _checked_in(app, tool, platform, event, sub, name, locale="en"):
    """A learner launched from the module's placement (AGS granted), enrolled, checked in by the QR URL."""
    browser, _page, lt = learner(platform, sub, name, locale=locale)
    assert browser.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt}).status_code == 200
    ivo, ivo_lt = organiser(platform)
    done = scan(browser, code_url(ivo, tool, event, ivo_lt), lt)[1]
    assert done.status_code == 200 and 'data-state="checked-in"' in done.text
    return browser, lt, ivo, ivo_lt


def test_check_in_sends_the_attendance_to_the_event_column_and_a_correction_sends_the_new_score(
        with_events, tool, platform):
    event = event_id(with_events)
    happening_now(with_events, event, minutes=180)
    _checked_in(with_events, tool, platform, event, "ann", "Ann Arts")
    [row] = _rows(with_events)
    assert row.attempt_id is None and row.event_id == event and row.event_seq == 1 and row.status == "pending"
    assert row.body["scoreGiven"] == 100 and row.body["scoreMaximum"] == 100
    assert row.body["activityProgress"] == "Completed" and row.body["gradingProgress"] == "FullyGraded"
    assert _deliver(with_events) == {"delivered": 1}
    [column] = _columns(platform, event)
    assert column["label"] == "Value workshop" and column["tag"] == "vbhc-event" and "resourceLinkId" not in column
    [score] = [s for s in platform.scores if s.lineitem_url == column["id"]]
    assert score["userId"] == "ann" and score["scoreGiven"] == 100
    assert score["comment"] == "Value workshop: attended 180 of 180 minutes (100%)."

    # The organiser: Ann arrived 30 minutes late → 150 of 180 minutes = 83.3.
    ivo, ivo_lt = organiser(platform)
    page = ivo.post(f"{tool.url}/events/{event}/attendance",
                    data={"lt": ivo_lt, "user_id": _user_id(with_events, "ann"), "state": "late", "late_minutes": "30"})
    assert page.status_code == 200
    first, second = _rows(with_events)
    assert first.body == row.body and first.status == "delivered"          # the old row is never edited
    assert second.event_seq == 2 and second.body["scoreGiven"] == 83.3
    assert datetime.fromisoformat(second.body["timestamp"]) > datetime.fromisoformat(first.body["timestamp"])
    # The same correction again changes nothing and queues nothing.
    ivo.post(f"{tool.url}/events/{event}/attendance",
             data={"lt": ivo_lt, "user_id": _user_id(with_events, "ann"), "state": "late", "late_minutes": "30"})
    assert len(_rows(with_events)) == 2
    assert _deliver(with_events) == {"delivered": 1}
    assert len(_columns(platform, event)) == 1                              # the same column, found again
    scores = [s for s in platform.scores if s.lineitem_url == column["id"]]
    assert [s["scoreGiven"] for s in scores] == [100, 83.3]

    # Bob of the same course checks in too: his score goes to the same column.
    _checked_in(with_events, tool, platform, event, "bob", "Bob Bakker")
    assert _deliver(with_events) == {"delivered": 1}
    assert len(_columns(platform, event)) == 1
    assert [s["userId"] for s in platform.scores if s.lineitem_url == column["id"]] == ["ann", "ann", "bob"]


def test_the_event_column_is_named_in_the_course_language(with_events, tool, platform):
    event = event_id(with_events)
    happening_now(with_events, event, minutes=120)
    _checked_in(with_events, tool, platform, event, "cas", "Cas Cohen", locale="nl")
    assert _deliver(with_events) == {"delivered": 1}
    [column] = _columns(platform, event)
    assert column["label"] == "Werkatelier waarde"
    [score] = [s for s in platform.scores if s.lineitem_url == column["id"]]
    assert score["comment"] == "Werkatelier waarde: 120 van 120 minuten aanwezig (100%)."


def test_while_the_lms_is_down_the_score_waits_and_arrives_later_once(with_events, tool, platform):
    with_events.config["GRADES_BACKOFF_BASE"] = 0.5     # a retry is not due again within the same round
    event = event_id(with_events)
    happening_now(with_events, event)
    _browser, _lt, ivo, ivo_lt = _checked_in(with_events, tool, platform, event, "ann", "Ann Arts")
    platform.fail("/ags/", 503, times=3)
    assert _deliver(with_events) == {"retry": 1}
    [row] = _rows(with_events)
    assert row.status == "pending" and row.last_status == 503 and row.tries == 1
    assert _columns(platform, event) == [] and platform.scores == []
    # The placement's instructor sees the waiting score among those not yet in the gradebook.
    results = ivo.get(f"{tool.url}/instructor/results", params={"lt": ivo_lt, "lang": "en"})
    assert results.status_code == 200 and "Scores not yet in the gradebook" in results.text
    assert "Ann Arts <span class=\"small muted\">attendance: Value workshop</span>" in results.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _deliver(with_events).get("delivered"):
        time.sleep(0.2)
    [row] = _rows(with_events)
    assert row.status == "delivered"
    [column] = _columns(platform, event)
    assert [s["userId"] for s in platform.scores if s.lineitem_url == column["id"]] == ["ann"]


def test_a_launch_without_an_ags_claim_queues_no_score_and_check_in_still_works(with_events, tool, platform):
    def without_ags(claims, header):
        claims.pop(DC.AGS_ENDPOINT, None)

    event = event_id(with_events)
    happening_now(with_events, event)
    browser = make_browser()
    _page, lt = launch_learner(platform, browser, user={"sub": "dan", "name": "Dan Dekker"}, mutate=without_ags,
                               resource_link_id="rl-no-ags", context_id="course-no-ags")
    assert browser.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt}).status_code == 200
    ivo, ivo_lt = organiser(platform)
    done = scan(browser, code_url(ivo, tool, event, ivo_lt), lt)[1]
    assert done.status_code == 200 and 'data-state="checked-in"' in done.text
    page = ivo.post(f"{tool.url}/events/{event}/attendance",
                    data={"lt": ivo_lt, "user_id": _user_id(with_events, "dan"), "state": "absent"})
    assert page.status_code == 200
    assert _rows(with_events) == [] and _deliver(with_events) == {}
    assert _columns(platform, event) == []
    # Ann, launched from the course-1 placement (AGS granted), checks in at the same event: her score only.
    _checked_in(with_events, tool, platform, event, "ann", "Ann Arts")
    assert [r.user_id for r in _rows(with_events)] == [_user_id(with_events, "ann")]


def test_a_refused_event_score_is_parked_named_by_grades_status_and_sent_again(with_events, tool, platform):
    event = event_id(with_events)
    happening_now(with_events, event)
    _checked_in(with_events, tool, platform, event, "ann", "Ann Arts")
    platform.fail("/ags/", 400, times=1)
    assert _deliver(with_events) == {"parked": 1}
    runner = with_events.test_cli_runner()
    shown = runner.invoke(args=["grades", "status", "--parked"])
    assert shown.exit_code == 0 and f"event {event} attendance (score 1) status 400" in shown.output, shown.output
    again = runner.invoke(args=["grades", "retry", "--all-parked"])
    assert again.exit_code == 0 and "queued 1" in again.output
    assert _deliver(with_events) == {"delivered": 1}
    [column] = _columns(platform, event)
    assert [s["userId"] for s in platform.scores if s.lineitem_url == column["id"]] == ["ann"]
