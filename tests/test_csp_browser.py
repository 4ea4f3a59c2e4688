"""Headless Chromium: the Content-Security-Policy (elearn.security) breaks no page — the learner's,
the instructor's, the picker, the post-test and the administrator's pages log no CSP refusal
— while a script injected into a page without the request's nonce does not run."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from launch_support import lt_of
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401

pytestmark = pytest.mark.browser
MODULE = "care-cycle"


def _watch(page) -> list[str]:
    """Console messages of the page and its frames that report a CSP refusal."""
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text)
            if "Content Security Policy" in message.text or message.text.startswith("Refused to") else None)
    return refusals


def _visit(page, frame, path: str):
    """Open a tool page in the LMS frame, carrying the frame's current launch token."""
    base = "{0.scheme}://{0.netloc}".format(urlsplit(frame.url))
    joiner = "&" if "?" in path else "?"
    frame.goto(f"{base}{path}{joiner}lt={lt_of(frame.url)}")
    return _wait_for_tool_page(page, path.split("?")[0])


def test_learner_and_quiz_pages_obey_the_policy(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    refusals = _watch(page)
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="csp-1", custom={"module": MODULE},
                            user={"sub": "cleo", "name": "Cleo Policy"}))
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}")
    assert frame.locator(".progress svg rect").count() >= 1            # the progress bar, without style=""
    page.screenshot(path=f"{SHOTS}/csp-learner-module.png", full_page=True)
    frame.click("a[href*='/lessons/']")
    frame.wait_for_url(re.compile(rf".*/modules/{MODULE}/lessons/.+\?lt="))
    frame.wait_for_load_state()
    for path in ("/catalog/", "/accreditation/privacy", "/accreditation/transcript", "/self-assessment"):
        frame = _visit(page, frame, path)
    frame = _visit(page, frame, f"/modules/{MODULE}/post-test")
    frame.click("button:has-text('Start attempt 1')")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    frame.wait_for_load_state()
    assert frame.locator("#timer .left").count() == 0 or frame.inner_text("#timer .left")  # the timer script ran
    assert refusals == [], refusals

    # The attack: a script that got into the page (no nonce) does not run, and the browser says so.
    frame.evaluate("""() => { const s = document.createElement('script');
                              s.textContent = 'window.injected = true;'; document.body.appendChild(s); }""")
    frame.wait_for_timeout(200)
    assert frame.evaluate("() => window.injected === undefined")
    assert any("inline script" in text and "script-src" in text for text in refusals), refusals
    context.close()


def test_instructor_and_picker_pages_obey_the_policy(app, courses, lms, blocking_browser):
    for n in range(1, 3):
        lms.add_member(f"csp-l{n}", roles="learner", name=f"Learner {n}")
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refusals = _watch(page)
    page.goto(lms.frame_url(role="instructor", locale="en", resource_link_id="csp-2", custom={"module": MODULE},
                            user={"sub": "ivo", "name": "Ivo Instructor"}))
    frame = _wait_for_tool_page(page, "/instructor/results")     # an instructor lands on their view
    frame = _visit(page, frame, f"/modules/{MODULE}")
    frame = _visit(page, frame, "/instructor/course")
    frame.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 1")
    assert frame.evaluate("() => document.querySelector('.chart-box').style.height").endswith("rem")
    page.screenshot(path=f"{SHOTS}/csp-instructor-dashboard.png", full_page=True)
    for path in ("/instructor/results", "/instructor/items"):
        frame = _visit(page, frame, path)
    page.goto(lms.frame_url(role="instructor", locale="en", message_type="LtiDeepLinkingRequest",
                            resource_link_id=None, user={"sub": "ivo", "name": "Ivo Instructor"}))
    frame = _wait_for_tool_page(page, "/picker/")
    frame.check("input[name=module][value=leadership]")
    assert frame.inner_text("#chosen-count") == "1 module chosen."      # the picker's nonce'd script ran
    assert refusals == [], refusals
    context.close()


def test_admin_pages_obey_the_policy(app, courses, live_server, runner, chromium):
    result = runner.invoke(args=["accreditation", "create-admin", "--email", "csp@example.org", "--name",
                                 "Cas Admin", "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    context = chromium.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refusals = _watch(page)
    page.goto(f"{live_server.url}/admin/login")
    page.fill("#email", "csp@example.org")
    page.fill("#password", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/?$"))
    page.goto(f"{live_server.url}/admin/activities/new")
    page.wait_for_load_state()
    page.screenshot(path=f"{SHOTS}/csp-admin.png", full_page=True)
    assert refusals == [], refusals
    context.close()
