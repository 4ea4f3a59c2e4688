"""Headless Chromium, third-party cookies blocked: a learner's whole way through a module inside the
LMS frame — lessons, then the learning activities, then the post-test (never back to lesson 1), the
question counter and answered marks while answering, the score status updating itself once the grade
worker delivered; the LMS frame fitting the tool's page (lti.frameResize) and refusing the message
from anyone else; the demo course's sidebar listing the module that is open."""
from __future__ import annotations

import re

import pytest

from elearn.grades.worker import deliver_due
from test_demo_browser import _frame_at
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401

pytestmark = pytest.mark.browser
MODULE = "care-cycle"


def _frame_height(page) -> int:
    """The LMS page's iframe height in px, as laid out."""
    return page.evaluate("() => Math.round(document.getElementById('tool-frame').getBoundingClientRect().height)")


def _fits(page, frame, timeout_ms: int = 10000) -> None:
    """Wait until the iframe is as tall as the tool's page in it (within a pixel or two)."""
    want = frame.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.wait_for_function(
        "want => Math.abs(document.getElementById('tool-frame').getBoundingClientRect().height - want) <= 3",
        arg=max(want, 240), timeout=timeout_ms)


def test_lessons_then_activities_then_the_post_test_and_the_score_arrives(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="journey-1", custom={"module": MODULE},
                            user={"sub": "lea", "name": "Lea Learner"}))
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}")
    with frame.expect_navigation():
        frame.click("a.btn:has-text('Start the first lesson')")
    for _ in range(20):                                    # every lesson, done, on to the next
        frame.wait_for_load_state()
        assert "/lessons/" in frame.url
        button = frame.locator("form.done-form button")
        label = button.inner_text()
        with frame.expect_navigation():
            button.click()
        if "next lesson" not in label:
            break
    assert label == "Mark as done and go to the learning activities"
    frame.wait_for_load_state()
    assert frame.evaluate("() => location.hash") == "#activities"
    assert "/lessons/" not in frame.url                                      # not back to lesson 1
    page.screenshot(path=f"{SHOTS}/journey-activities-after-last-lesson.png", full_page=True)

    for _ in range(5):                                     # answer each case and the reflection
        empty = frame.locator("form.answer-form:has(button:text-is('Save answer')) textarea")
        if empty.count() == 0:
            break
        empty.first.fill("What I would do on my own ward, in a few sentences.")
        with frame.expect_navigation():
            frame.locator("form.answer-form:has(button:text-is('Save answer')) button").first.click()
        frame.wait_for_load_state()
    cont = frame.locator("#continue")
    assert cont.inner_text() == "All lessons read: continue with the post-test"
    cont.click()
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}/post-test")
    frame.click("button:has-text('Start attempt 1')")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    frame.wait_for_load_state()

    total = frame.locator("fieldset.question").count()
    heading = frame.locator("#quiz-progress-h")
    assert heading.inner_text() == f"Questions answered: 0 of {total}"
    assert frame.inner_text("fieldset.question >> nth=2 >> legend") == f"Question 3 of {total}"
    first = frame.locator("fieldset.question").first
    first.locator("input").first.check()               # the first choice (or checkbox) of question 1
    assert heading.inner_text() == f"Questions answered: 1 of {total}"
    nav = frame.locator(".question-nav a")
    assert "answered" in nav.nth(0).get_attribute("class") and "answered" not in (nav.nth(1).get_attribute("class") or "")
    assert nav.nth(0).locator("[data-when=answered]").get_attribute("hidden") is None
    frame.locator("fieldset.question").nth(1).locator("input, select").first.focus()
    assert nav.nth(1).get_attribute("aria-current") == "step"          # where the learner is now
    assert frame.locator(".answered-count").inner_text() == f"Questions answered: 1 of {total}"
    page.screenshot(path=f"{SHOTS}/journey-quiz-counter.png", full_page=True)

    frame.click("button:has-text('Check my answers')")
    frame.wait_for_url(re.compile(r".*/post-test/\d+/review\?lt="))
    frame.click("button:has-text('Submit my answers')")
    frame.wait_for_url(re.compile(r".*/post-test/\d+/result\?lt="))
    frame.wait_for_load_state()
    status = frame.locator("#grade-status")
    assert status.get_attribute("data-status") == "sending"
    assert frame.locator("[data-when=sending]").is_visible() and not frame.locator("[data-refresh]").is_visible()
    page.screenshot(path=f"{SHOTS}/journey-result-sending.png", full_page=True)
    with app.app_context():
        assert deliver_due() == {"delivered": 1}
    frame.wait_for_selector("#grade-status[data-status=delivered]", timeout=15000)   # no reload
    assert frame.locator("[data-when=delivered]").is_visible()
    assert frame.locator("[data-when=delivered]").inner_text() == "✓ Your score has reached the gradebook of your course."
    assert not frame.locator("[data-when=sending]").is_visible()
    page.screenshot(path=f"{SHOTS}/journey-result-delivered.png", full_page=True)
    context.close()


def test_the_lms_frame_fits_the_tools_page_and_ignores_other_senders(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="nl-NL", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="nl", resource_link_id="journey-2", custom={"module": MODULE}))
    before = _frame_height(page)                           # 70vh of the LMS page before the tool has said anything
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}")
    _fits(page, frame)
    grown = _frame_height(page)
    assert before <= 700 and grown > 1500, (before, grown)   # the module page is far longer than the old frame
    assert frame.evaluate("() => document.documentElement.scrollHeight <= innerHeight + 3")   # no scrollbar inside
    log = page.evaluate("window.demolmsResizeLog")
    assert log and all(e["direction"] == "in" and e["origin"].startswith("http://127.0.0.1:") for e in log)

    # A frame of another origin (sandboxed: origin "null") and the LMS page itself ask for 300 px.
    page.evaluate("""() => new Promise(resolve => {
        const f = document.createElement('iframe'), nonce = document.querySelector('script[nonce]').nonce;
        f.srcdoc = "<script nonce='" + nonce + "'>parent.postMessage({subject: 'lti.frameResize', height: 300}, '*')<\\/script>";
        f.sandbox = 'allow-scripts';
        document.body.appendChild(f);
        window.postMessage(JSON.stringify({subject: 'lti.frameResize', height: 310}), '*');
        setTimeout(resolve, 700);
    })""")
    refused = [e for e in page.evaluate("window.demolmsResizeLog") if e["direction"] == "refused"]
    assert {e["origin"] for e in refused} == {"null", page.evaluate("location.origin")}
    assert {e["height"] for e in refused} == {300, 310}
    assert abs(_frame_height(page) - grown) <= 3          # unchanged

    frame.click("a[href*='/catalog/']")                     # a shorter page: the frame shrinks again
    frame = _wait_for_tool_page(page, "/catalog/")
    _fits(page, frame)
    page.screenshot(path=f"{SHOTS}/journey-frame-resized-nl.png", full_page=False)
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_demo_course_lists_the_open_module_and_fits_its_frame(app, live_server, chromium, courses, width):
    context = chromium.new_context(locale="en-GB", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/demo/")                  # no lang=: the browser's language (English)
    assert page.get_attribute("html", "lang") == "en"
    page.select_option("#module", MODULE)
    page.click("button[type=submit]")
    frame = _frame_at(page, f"/modules/{MODULE}")
    frame.wait_for_load_state()
    outline = page.locator(".lms-outline > ul a")
    assert outline.all_inner_texts() == ["The care cycle: value chain and teams"]
    assert outline.first.get_attribute("aria-current") == "page"
    assert "No modules have been added" not in page.inner_text(".lms-outline")
    _fits(page, frame)
    assert _frame_height(page) > 1500
    page.screenshot(path=f"{SHOTS}/journey-demo-course-{width}.png", full_page=True)
    context.close()
