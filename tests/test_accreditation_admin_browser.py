"""Chromium refuses to show the administrator's pages in a frame, even on a site allowed to frame
the tool's other pages (clickjacking of a signed-in administrator)."""
from __future__ import annotations

import pytest

from test_framing_browser import _FramingSite, _frame_shows_tool

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, shown", [("/catalog/", True), ("/admin/login", False)])
def test_a_site_allowed_to_frame_the_tool_cannot_frame_the_admin_pages(chromium, app, live_server, path, shown):
    site = _FramingSite(f"{live_server.url}{path}")
    app.config["FRAME_ANCESTORS_EXTRA"] = site.url.rstrip("/")      # as a school's own LMS domain would be
    refusals: list[str] = []
    page = chromium.new_page()
    page.on("console", lambda message: refusals.append(message.text))
    try:
        page.goto(site.url)
        page.wait_for_timeout(500)
        assert _frame_shows_tool(page) is shown
        assert any("frame-ancestors" in text for text in refusals) is not shown, refusals
    finally:
        page.close()
        site.stop()


def test_the_activity_form_filters_its_checkboxes_in_dutch(chromium, app, live_server, runner):
    from test_launch_browser import SHOTS
    from test_quiz_browser import assert_accessible

    app.test_cli_runner().invoke(args=["courses", "load"])
    assert runner.invoke(args=["accreditation", "create-admin", "--email", "ada@example.org", "--name", "Ada",
                               "--password", "correct horse battery"]).exit_code == 0
    context = chromium.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login")
        page.fill("#email", "ada@example.org")
        page.fill("#password", "correct horse battery")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/admin/activities/new")
        assert page.is_visible("#filter-module_ids")                 # the script shows the filter
        modules = page.locator("#list-module_ids li")
        total = modules.count()
        assert total > 10 and "accreditatie-uren" in page.inner_text("#points_kind")
        page.fill("#filter-module_ids", "leiderschap")
        visible = [m for m in modules.all() if m.is_visible()]
        assert 0 < len(visible) < total and all("eiderschap" in m.inner_text() for m in visible)
        visible[0].locator("input").check()
        page.fill("#filter-module_ids", "")
        assert modules.locator("input:checked").count() == 1
        assert_accessible(page, "activity form")
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/admin-activity-{width}.png", full_page=True)
    finally:
        context.close()
