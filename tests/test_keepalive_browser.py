"""Headless Chromium, third-party cookies blocked: a learner leaves the post-test attempt page open
longer than a launch token lives, then answers and submits. The keep-alive script keeps the page's
token alive, so the attempt is accepted and the score reaches the LMS; with the script blocked the
same post is refused with the plain `launch_ended` page; when the launch session ends, the open page
says so."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from elearn.extensions import db
from elearn.grades.worker import deliver_due
from launch_support import lt_of
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import answer_by_keyboard

pytestmark = pytest.mark.browser
TOKEN_LIFE = 8          # seconds a launch token lives in these tests (an hour in production)


@pytest.fixture()
def short_tokens(app):
    """Tokens that live TOKEN_LIFE seconds and a keep-alive that pings every second."""
    app.config.update(LAUNCH_TOKEN_MAX_AGE=TOKEN_LIFE, LAUNCH_KEEPALIVE_SECONDS=1)
    return app


def _open_attempt(page, lms, sub: str, link: str):
    """Launch as a learner and start the care-cycle post-test; the attempt page's frame."""
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id=link, custom={"module": "care-cycle"},
                            user={"sub": sub, "name": sub.title()}))
    frame = _wait_for_tool_page(page, "/modules/care-cycle")
    frame.click("a[href*='/post-test']")
    frame = _wait_for_tool_page(page, "/modules/care-cycle/post-test")
    frame.click("button:has-text('Start attempt 1')")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    frame.wait_for_load_state()
    return frame


def test_the_keepalive_saves_a_post_test_left_open_past_the_token_life(short_tokens, courses, lms, blocking_browser):
    app = short_tokens
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    frame = _open_attempt(page, lms, "lena", "ka-b-1")
    first = frame.locator("input[name=lt]").input_value()
    page.wait_for_timeout((TOKEN_LIFE + 3) * 1000)                      # the learner thinks; no request of theirs
    assert frame.locator("input[name=lt]").input_value() != first       # the script put a renewed token in
    answer_by_keyboard(page, frame)
    frame.wait_for_url(re.compile(r".*/post-test/\d+/review\?lt="))
    frame.wait_for_load_state()
    page.wait_for_timeout((TOKEN_LIFE + 3) * 1000)                      # and again on the review page
    frame.click("button:has-text('Submit my answers')")
    frame.wait_for_url(re.compile(r".*/post-test/\d+/result\?lt="))
    frame.wait_for_load_state()
    assert re.search(r"\d+%", frame.inner_text(".score"))
    with app.app_context():
        assert deliver_due() == {"delivered": 1}
    assert [s["userId"] for s in lms.scores] == ["lena"]
    assert frame.locator("#launch-ended").is_hidden()

    # The session reaches its absolute end: the keep-alive cannot extend it, and the page says so.
    from elearn.launch.models import LaunchSession
    from elearn.launch.operations import read_token_any_age

    with app.app_context():
        row = db.session.get(LaunchSession, read_token_any_age(lt_of(frame.url))[0])
        row.expires_at = row.created_at - timedelta(seconds=1)
        db.session.commit()
    frame.locator("#launch-ended").wait_for(state="visible", timeout=10000)
    assert "open the activity again from your learning platform" in frame.inner_text("#launch-ended")
    page.screenshot(path=f"{SHOTS}/keepalive-session-ended.png", full_page=True)
    context.close()


def test_without_the_keepalive_the_late_post_is_refused_plainly(short_tokens, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    context.route(re.compile(r".*/static/js/launch-keepalive\.js.*"), lambda route: route.abort())
    page = context.new_page()
    frame = _open_attempt(page, lms, "otto", "ka-b-2")
    page.wait_for_timeout((TOKEN_LIFE + 3) * 1000)
    answer_by_keyboard(page, frame)
    frame.wait_for_selector("[data-error-code='launch_ended']", timeout=15000)
    assert "Your session has ended" in frame.inner_text("h1")
    assert "open the activity again from your learning platform" in frame.inner_text("main")
    page.screenshot(path=f"{SHOTS}/keepalive-blocked-refused.png", full_page=True)
    assert lms.scores == []
    context.close()
