"""Headless Chromium: the course dashboard inside the LMS iframe (third-party cookies blocked) draws
its chart and passes axe-core's WCAG 2.2 A/AA rules, on a laptop and on a phone."""
from __future__ import annotations

import pytest

from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import assert_accessible

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width, locale", [(1280, "en"), (390, "nl")])
def test_course_dashboard_is_accessible(app, courses, lms, blocking_browser, width, locale):
    for n in range(1, 4):
        lms.add_member(f"dash-{n}", roles="learner", name=f"Learner {n}")
    context = blocking_browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="instructor", locale=locale, resource_link_id="dash-1",
                            custom={"module": "care-cycle"}, user={"sub": "teach-1", "name": "Tess Teacher"}))
    frame = _wait_for_tool_page(page, "/instructor/results")        # an instructor lands on their view
    frame.click("nav.tabs a[href*='/instructor/course']")
    frame = _wait_for_tool_page(page, "/instructor/course")
    frame.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 1")
    assert frame.locator("tbody tr").count() >= 4                    # the stage table and three learners
    assert_accessible(frame, f"dashboard {width}px {locale}")
    if width <= 390:
        assert frame.evaluate("() => document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"{SHOTS}/dashboard-{width}-{locale}.png", full_page=True)
    context.close()
