"""Headless Chromium, third-party cookies blocked: a whole post-test inside the LMS iframe, by
keyboard alone, with axe-core finding no WCAG 2.2 A/AA violations on the quiz pages."""
from __future__ import annotations

import os
import re

import pytest

from elearn.grades.worker import deliver_due
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401

pytestmark = pytest.mark.browser
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _axe_js() -> str:
    import axe_playwright_python

    return os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js")


def assert_accessible(frame, what: str) -> None:
    """axe-core over the frame's document, WCAG 2.2 A and AA rules only."""
    # Evaluated through DevTools, not added as an inline <script>: the page's CSP refuses those.
    with open(_axe_js(), encoding="utf-8") as source:
        frame.evaluate("(source) => { (0, eval)(source); }", source.read())
    result = frame.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    problems = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]]
    assert problems == [], f"{what}: {problems}"


def _focused(frame) -> dict:
    """What has keyboard focus in the frame (with the value, to tell checkboxes apart)."""
    return frame.evaluate("""() => { const e = document.activeElement;
        return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '', value: e.value || '',
                text: (e.innerText || e.value || '').trim()}; }""")


def tab_to(page, frame, matches, limit: int = 250) -> dict:
    """Press Tab until the focused element of the frame matches; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(frame)
        if matches(focused):
            return focused
    raise AssertionError("keyboard focus never reached the element")


def answer_by_keyboard(page, frame) -> None:
    """Tab through the whole quiz form and answer each control with the keyboard only."""
    seen: set[str] = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        el = _focused(frame)
        if el["tag"] == "button" and "Check my answers" in el["text"]:
            page.keyboard.press("Enter")
            return
        if not el["name"].startswith("q.") or el["name"] + el["type"] in seen and el["type"] != "select-one":
            continue
        seen.add(el["name"] + el["type"])
        if el["type"] in ("radio", "checkbox"):
            page.keyboard.press("Space")
        elif el["type"] == "text":
            page.keyboard.type("900")
        elif el["tag"] == "select":
            part = el["name"].rsplit(".", 1)[-1]
            for _ in range(int(part) if part.isdigit() else 1):   # ordering: step k gets place k
                page.keyboard.press("ArrowDown")
    raise AssertionError("never reached the button that checks the answers")


def test_post_test_by_keyboard_inside_the_iframe_is_accessible(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="kb-1", custom={"module": "care-cycle"},
                            user={"sub": "kim", "name": "Kim Keyboard"}))
    frame = _wait_for_tool_page(page, "/modules/care-cycle")
    frame.locator("a.skip-link").focus()

    tab_to(page, frame, lambda el: el["tag"] == "a" and "Go to the post-test" in el["text"])
    page.keyboard.press("Enter")
    frame = _wait_for_tool_page(page, "/modules/care-cycle/post-test")
    assert_accessible(frame, "start page")
    tab_to(page, frame, lambda el: el["tag"] == "button" and "Start attempt 1" in el["text"])
    page.keyboard.press("Enter")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    frame.wait_for_load_state()
    assert frame.locator("fieldset.question").count() == 8
    assert_accessible(frame, "attempt page")
    page.screenshot(path=f"{SHOTS}/quiz-attempt.png", full_page=True)

    answer_by_keyboard(page, frame)
    frame.wait_for_url(re.compile(r".*/post-test/\d+/review\?lt="))
    frame.wait_for_load_state()
    assert_accessible(frame, "review page")
    tab_to(page, frame, lambda el: el["tag"] == "button" and "Submit my answers" in el["text"])
    page.keyboard.press("Enter")
    frame.wait_for_url(re.compile(r".*/post-test/\d+/result\?lt="))
    frame.wait_for_load_state()
    assert re.search(r"\d+%", frame.inner_text(".score"))
    assert_accessible(frame, "result page")
    page.screenshot(path=f"{SHOTS}/quiz-result.png", full_page=True)
    assert frame.inner_text(".who") == "Kim Keyboard"                 # still the same learner, no cookies
    with app.app_context():
        assert deliver_due() == {"delivered": 1}
    assert [s["userId"] for s in lms.scores] == ["kim"]
    context.close()


def test_quiz_pages_on_a_phone_in_dutch(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="nl", resource_link_id="kb-2", custom={"module": "care-cycle"},
                            user={"sub": "noor", "name": "Noor Telefoon"}))
    frame = _wait_for_tool_page(page, "/modules/care-cycle")
    frame.click("a[href*='/post-test']")
    frame = _wait_for_tool_page(page, "/modules/care-cycle/post-test")
    assert "Eindtoets" in frame.inner_text("h1")
    frame.click("button[type=submit]")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    frame.wait_for_load_state()
    assert_accessible(frame, "attempt page (nl, phone)")
    width = frame.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the quiz page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=f"{SHOTS}/quiz-attempt-phone-nl.png", full_page=True)
    context.close()
