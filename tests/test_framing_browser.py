"""Chromium enforces the frame-ancestors policy: the launching LMS can frame a learner's page,
a page on any other origin cannot (clickjacking of a launched session)."""
from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, loaded  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


class _FramingSite:
    """A page on its own loopback origin that puts a given URL in an iframe."""

    def __init__(self, target: str):
        page = (f'<!doctype html><title>framer</title><iframe name="victim" src="{target}" '
                'width="800" height="600"></iframe>').encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _frame_shows_tool(page) -> bool:
    """Whether the iframe holds the tool's page (Chromium swaps a refused frame for an error page)."""
    frame = page.frame(name="victim")
    frame.wait_for_load_state()
    return frame.url.startswith("http://127.0.0.1") and frame.locator("main").count() > 0


def test_a_launched_page_refuses_to_be_framed_by_another_site(chromium, loaded, tool, platform, browser):
    landed = platform.launch(browser, custom={"module": MODULE})
    assert landed.status_code == 200
    site = _FramingSite(landed.url)
    refusals: list[str] = []
    page = chromium.new_page()
    page.on("console", lambda message: refusals.append(message.text))
    try:
        page.goto(site.url)
        page.wait_for_timeout(500)
        assert not _frame_shows_tool(page)
        assert any("frame-ancestors" in text for text in refusals), refusals
    finally:
        page.close()
        site.stop()


def test_the_platform_that_launched_frames_the_page(chromium, loaded, tool, platform):
    page = chromium.new_page()
    policies: list[str] = []
    page.on("response", lambda r: policies.append(r.headers.get("content-security-policy") or "")
            if f"/modules/{MODULE}" in r.url else None)
    try:
        page.goto(platform.frame_url(role="learner", locale="en", resource_link_id="frame-ok",
                                     custom={"module": MODULE}))
        frame = page.frame(name="tool-frame")
        frame.wait_for_url(re.compile(rf".*/modules/{MODULE}\?lt="), timeout=15000)
        frame.wait_for_load_state()
        assert frame.locator("main h1").count() == 1
        assert policies and platform.issuer in policies[-1] and "*" not in policies[-1]
    finally:
        page.close()
