"""The Content-Security-Policy of HTML pages (elearn.security): same-origin resources only, inline
scripts and styles only with the request's nonce, no inline style attributes in any page."""
from __future__ import annotations

import re

from launch_support import browser, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)


def _policy(resp) -> dict[str, str]:
    """The page's CSP as {directive: sources}."""
    parts = (d.strip().split(" ", 1) for d in resp.headers["Content-Security-Policy"].split(";"))
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def test_pages_allow_only_their_own_nonced_inline_code(app, tool, platform, browser):
    resp = platform.launch(browser, role="instructor", locale="en", custom={"module": "care-cycle"},
                           message_type="LtiDeepLinkingRequest")
    policy = _policy(resp)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"
    assert policy["script-src"] == f"'self' 'nonce-{nonce}'" and policy["style-src"] == f"'self' 'nonce-{nonce}'"
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"] and "frame-ancestors" in policy
    inline = re.findall(r"<(?:script|style)(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", resp.text)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)       # the picker's script
    again = make_browser().get(resp.url)
    assert _policy(again)["script-src"] != policy["script-src"]                  # a nonce per response
    assert 'style="' not in resp.text


def test_downloads_need_no_policy(app, tool, platform, browser):
    token = lt_of(platform.launch(browser, role="learner", locale="en", resource_link_id="rl-csp").url)
    data = make_browser().get(f"{tool.url}/accreditation/my-data.json", params={"lt": token})
    assert data.status_code == 200 and "Content-Security-Policy" not in data.headers
