"""Headless Chromium: an instructor's launch inside the LMS iframe (third-party cookies blocked)
lands on the results of the placement, and "Preview as learner" opens the module as learners see
it and leads back; axe-clean, on a laptop in English and on a phone in Dutch."""
from __future__ import annotations

import pytest

from launch_support import lt_of, make_browser
from quiz_support import take
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import assert_accessible

pytestmark = pytest.mark.browser
MODULE = "care-cycle"
TEXT = {"en": {"results": "Results", "preview": "Preview as learner", "passed": "Passed",
               "bar": "this is the module as your learners see it", "tested": "Took the post-test"},
        "nl": {"results": "Resultaten", "preview": "Bekijken als deelnemer", "passed": "Gehaald",
               "bar": "zo zien je deelnemers de module", "tested": "Eindtoets gemaakt"}}


@pytest.mark.parametrize("width, locale", [(1280, "en"), (390, "nl")])
def test_instructor_lands_on_results_and_previews_as_learner(app, courses, lms, live_server, blocking_browser,
                                                             width, locale):
    link = f"ij-{width}"
    learner = make_browser()                                        # keeps the tool's Secure cookies over http
    landed = lms.launch(learner, role="learner", locale=locale, resource_link_id=link, custom={"module": MODULE},
                        user={"sub": "ij-learner", "name": "Lotte Lerend"})
    take(learner, live_server, lt_of(landed.url), module=MODULE)
    words = TEXT[locale]
    context = blocking_browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="instructor", locale=locale, resource_link_id=link, custom={"module": MODULE},
                            user={"sub": "ij-teacher", "name": "Tess Teacher"}))
    frame = _wait_for_tool_page(page, "/instructor/results")
    assert frame.locator("h1").inner_text().startswith(words["results"] + ":")
    row = frame.locator("tbody tr", has_text="Lotte Lerend")
    assert row.count() == 1 and "100%" in row.inner_text() and words["passed"] in row.inner_text()
    assert frame.locator("#sum-tested").inner_text() == "1" and frame.locator("#sum-opened").inner_text() == "1"
    assert words["tested"] in frame.locator(".summary-figures").inner_text()
    assert_accessible(frame, f"instructor results {width}px {locale}")
    if width <= 390:
        assert frame.evaluate("() => document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"{SHOTS}/instructor-results-{width}-{locale}.png", full_page=True)
    whole = context.new_page()                   # the same page outside the frame, to see all of it
    whole.set_viewport_size({"width": width, "height": 900})
    whole.goto(frame.url)
    whole.screenshot(path=f"{SHOTS}/instructor-results-whole-{width}-{locale}.png", full_page=True)
    whole.goto(frame.url.replace("/instructor/results", "/instructor/items"))
    whole.screenshot(path=f"{SHOTS}/instructor-items-{width}-{locale}.png", full_page=True)
    whole.close()

    preview = frame.locator("#preview-as-learner")
    assert words["preview"] in preview.inner_text() and preview.is_visible()
    preview.click()
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}")
    assert words["bar"] in frame.locator("#learner-preview").inner_text()
    assert frame.locator("#post-test a.btn").first.is_visible()            # the learner's way in is there
    assert_accessible(frame, f"learner preview {width}px {locale}")
    page.screenshot(path=f"{SHOTS}/instructor-preview-{width}-{locale}.png")
    frame.locator("#learner-preview a").click()
    frame = _wait_for_tool_page(page, "/instructor/results")
    assert frame.locator("#sum-passed").inner_text() == "1"
    context.close()
