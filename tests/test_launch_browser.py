"""Headless Chromium, third-party cookies blocked: the tool (127.0.0.1) inside an iframe of the
demo LMS (localhost, another site) launches and keeps the learner across pages without cookies."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS
from demolms.testing import PlatformServer
from launch_support import connect

pytestmark = pytest.mark.browser
SHOTS = "/tmp/team/shots"


@pytest.fixture()
def blocking_browser(chromium):
    """A second Chromium from the same Playwright, told to block third-party cookies."""
    browser = chromium.browser_type.launch(executable_path=CHROMIUM,
                                           args=CHROMIUM_ARGS + ["--test-third-party-cookie-phaseout"])
    yield browser
    browser.close()


@pytest.fixture()
def courses(app):
    """The real course catalog loaded into the test database."""
    result = app.test_cli_runner().invoke(args=["courses", "load"])
    assert result.exit_code == 0, result.output


@pytest.fixture()
def lms(app, live_server):
    """The demo LMS on http://localhost:<port>: a different site from the tool on 127.0.0.1."""
    server = PlatformServer.start(host="localhost")
    connect(app, live_server.url, server)
    yield server
    server.stop()


def _tool_frame(page):
    return page.frame(name="tool-frame")


def _wait_for_tool_page(page, path: str):
    """Wait until the tool frame shows `path` (and has finished loading)."""
    frame = _tool_frame(page)
    frame.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+" + re.escape(path) + r"(\?.*)?$"), timeout=15000)
    frame.wait_for_load_state()
    return frame


def _cookie_names(context, host: str) -> set[str]:
    return {c["name"] for c in context.cookies() if c["domain"].lstrip(".") == host}


def _navigate_as(frame, name: str):
    """Module page → curriculum → back to the module: every page knows the learner (lt in links)."""
    assert frame.inner_text(".who") == name
    frame.click("nav.site-nav a[href*='/catalog/']")
    frame.wait_for_url(re.compile(r".*/catalog/\?lt="))
    assert frame.inner_text(".who") == name
    frame.click("main a[href*='/modules/care-cycle?']")
    frame.wait_for_url(re.compile(r".*/modules/care-cycle\?lt="))
    assert frame.inner_text(".who") == name


def test_launch_in_iframe_with_partitioned_state_cookie(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="b-1", custom={"module": "care-cycle"},
                            user={"sub": "bea", "name": "Bea Browser"}))
    frame = _wait_for_tool_page(page, "/modules/care-cycle")
    page.screenshot(path=f"{SHOTS}/launch-in-frame-module.png", full_page=True)
    _navigate_as(frame, "Bea Browser")
    # The block is real: the tool's ordinary session cookie never reached the browser's jar.
    assert "session" not in _cookie_names(context, "127.0.0.1")
    context.close()


def test_launch_in_iframe_through_platform_storage(app, courses, lms, blocking_browser):
    app.config["LTI_PARTITIONED_COOKIES"] = False  # a browser without partitioned cookies (CHIPS)
    context = blocking_browser.new_context(locale="nl-NL")
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="nl", resource_link_id="b-2", custom={"module": "care-cycle"},
                            user={"sub": "piet", "name": "Piet Opslag"}))
    frame = _wait_for_tool_page(page, "/modules/care-cycle")
    _navigate_as(frame, "Piet Opslag")
    assert _cookie_names(context, "127.0.0.1") == set()  # neither state nor session cookie got through
    log = page.evaluate("window.demolmsStorageLog")
    subjects = [entry["message"]["subject"] for entry in log if entry["direction"] == "in"]
    assert subjects == ["lti.put_data", "lti.put_data", "lti.get_data"]
    assert all(urlsplit(entry["origin"]).hostname == "127.0.0.1" for entry in log if entry["direction"] == "in")
    context.close()


def test_new_window_fallback_when_neither_cookies_nor_storage_work(app, lms, blocking_browser):
    app.config["LTI_PARTITIONED_COOKIES"] = False
    context = blocking_browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="b-3", storage_target=None,
                            user={"sub": "nora", "name": "Nora Window"}))
    frame = _tool_frame(page)
    frame.wait_for_selector("[data-error-code='state_cookie_missing']", timeout=15000)
    page.screenshot(path=f"{SHOTS}/launch-error-new-window.png", full_page=True)
    with context.expect_page() as opened:
        frame.click("text=Open in a new window")
    popup = opened.value
    popup.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/catalog/\?lt="), timeout=15000)
    assert popup.inner_text(".who") == "Nora Window"  # at top level, first-party cookies work
    context.close()
