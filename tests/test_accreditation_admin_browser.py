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
