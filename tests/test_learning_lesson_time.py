"""Time on lessons: the lesson page's heartbeats are credited by the server, at most the time since
the learner's previous beat and never more than the cap, so a client cannot inflate it."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from demolms.testing import PlatformServer
from elearn.extensions import db
from elearn.learning.lesson_time import BEAT_CAP_SECONDS
from elearn.learning.models import LessonTime
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from quiz_support import MODULE, launch_learner, loaded  # noqa: F401

LESSON = f"/modules/{MODULE}/lessons/first-lesson"


@pytest.fixture()
def platform():
    """A platform with a roster (for the course dashboard)."""
    server = PlatformServer.start()
    yield server
    server.stop()


def _beat(browser, tool, lt, path=LESSON, **extra) -> dict:
    resp = browser.post(f"{tool.url}{path}/beat", data=dict(lt=lt, **extra))
    assert resp.status_code == 200, resp.text[:300]
    return resp.json()


def _rewind(app, seconds: float) -> None:
    """Move every stored beat back in time, as if the last beat was `seconds` earlier."""
    with app.app_context():
        for row in db.session.scalars(select(LessonTime)):
            row.last_beat_at = row.last_beat_at - timedelta(seconds=seconds)
        db.session.commit()


def _total(app) -> int:
    with app.app_context():
        return sum(db.session.scalars(select(LessonTime.seconds)))


def test_lesson_page_carries_the_heartbeat_script(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-time-0")
    page = browser.get(tool.url + LESSON, params={"lt": lt})
    assert 'src="/static/js/lesson-time.js' in page.text and f'data-lt="{lt}"' in page.text
    assert "<script>" not in page.text                                   # no inline script (CSP)
    anonymous = make_browser().get(tool.url + LESSON)
    assert "lesson-time.js" not in anonymous.text                        # no launch, nothing to record


def test_a_burst_of_beats_credits_no_more_than_wall_clock(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-time-1")
    started = time.monotonic()
    assert _beat(browser, tool, lt, start="1")["credited"] == 0          # the page came into view
    for _ in range(25):
        _beat(browser, tool, lt)
    time.sleep(1.1)
    _beat(browser, tool, lt)
    elapsed = time.monotonic() - started
    total = _total(loaded)
    assert 1 <= total <= elapsed                                          # never more than really passed


def test_a_gap_longer_than_the_cap_credits_nothing_and_start_restarts_the_clock(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-time-2")
    _beat(browser, tool, lt, start="1")
    _rewind(loaded, 30)
    assert 30 <= _beat(browser, tool, lt)["credited"] <= 31               # one ordinary interval
    _rewind(loaded, BEAT_CAP_SECONDS + 60)
    assert _beat(browser, tool, lt)["credited"] == 0                      # hidden or closed meanwhile
    _rewind(loaded, 20)
    assert _beat(browser, tool, lt, start="1")["credited"] == 0           # back in view: hidden time is not credited
    assert 30 <= _total(loaded) <= 31


def test_two_tabs_on_two_modules_do_not_count_twice(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-time-3")
    other_lesson = "/modules/beta-teams/lessons/" + _first_lesson(loaded, "beta-teams")
    _beat(browser, tool, lt, start="1")
    _beat(browser, tool, lt, path=other_lesson, start="1")
    _rewind(loaded, 30)
    first = _beat(browser, tool, lt)["credited"]
    second = _beat(browser, tool, lt, path=other_lesson)["credited"]
    assert 30 <= first <= 31 and second == 0 and _total(loaded) == first


def test_beats_without_the_launch_token_or_for_no_lesson_are_refused(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-time-4")
    assert browser.post(f"{tool.url}{LESSON}/beat", data={}).status_code in (400, 401)   # cookie only
    assert browser.post(f"{tool.url}/modules/{MODULE}/lessons/no-such/beat", data={"lt": lt}).status_code == 404
    assert make_browser().post(f"{tool.url}{LESSON}/beat", data={"lt": "forged"}).status_code == 401
    assert _total(loaded) == 0


def test_a_beat_whose_start_is_not_1_is_refused_and_credits_nothing(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-time-6")
    _beat(browser, tool, lt, start="1")
    _rewind(loaded, 30)
    refused = browser.post(f"{tool.url}{LESSON}/beat", data={"lt": lt, "start": "yes"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and refused.json() == {"error": "start is 1 (the page came into view) or left out."}
    assert _total(loaded) == 0
    assert 30 <= _beat(browser, tool, lt)["credited"] <= 31                # the clock was left where it was


def test_learner_and_instructor_see_the_lesson_time(loaded, tool, platform, browser):
    platform.add_member("learner-t", roles="learner", name="Tijn Tijd")
    _, lt = launch_learner(platform, browser, user={"sub": "learner-t", "name": "Tijn Tijd"}, resource_link_id="rl-time-5")
    _beat(browser, tool, lt, start="1")
    for _ in range(4):                      # four beats 39 s apart: 156 s, 3 minutes rounded
        _rewind(loaded, 39)
        _beat(browser, tool, lt)
    page = browser.get(f"{tool.url}/modules/{MODULE}", params={"lt": lt})
    assert "Your time on the lessons" in page.text and '<dd id="lesson-time">3 min</dd>' in page.text
    teacher = make_browser()
    _, tlt = launch_learner(platform, teacher, role="instructor", resource_link_id="rl-time-5",
                            user={"sub": "teacher-t", "name": "Tess Teacher"})
    dashboard = teacher.get(f"{tool.url}/instructor/course", params={"lt": tlt})
    assert "lessons 3 min" in dashboard.text
    csv = teacher.get(f"{tool.url}/instructor/course.csv", params={"lt": tlt}).text.splitlines()
    assert "lesson_minutes" in csv[0].split(",")
    row = next(line for line in csv if line.startswith("learner-t,"))
    assert row.split(",")[csv[0].split(",").index("lesson_minutes")] == "3"
    results = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    assert "Tijn Tijd" in results.text and "3 min" in results.text


def _first_lesson(app, module_id: str) -> str:
    from elearn.catalog.models import Module

    with app.app_context():
        content = db.session.get(Module, module_id).current_version.content
        return (content["lessons"].get("en") or content["lessons"]["nl"])[0]["id"]


