"""Just enough browser for the tests: submit auto-posting forms and follow script redirects."""
from __future__ import annotations

import html
import re
from http.cookiejar import DefaultCookiePolicy
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests

MAX_STEPS = 10
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class _LoopbackIsSecure(DefaultCookiePolicy):
    """Browsers treat http://127.0.0.1 and localhost as secure and send Secure cookies there."""

    def return_ok_secure(self, cookie, request):
        """Allow Secure cookies over http on loopback, like Chromium and Firefox."""
        if urlsplit(request.get_full_url()).hostname in LOOPBACK:
            return True
        return super().return_ok_secure(cookie, request)


class Browser(requests.Session):
    """A requests.Session that sends cookies the way a browser does on loopback test servers
    (requests itself never sends a Secure cookie over http, not even to 127.0.0.1)."""

    def prepare_request(self, request):
        """Build the Cookie header with the loopback-aware policy (redirects reuse that jar)."""
        prepared = super().prepare_request(request)
        jar = requests.cookies.RequestsCookieJar()
        jar.set_policy(_LoopbackIsSecure())
        jar.update(self.cookies)
        if request.cookies:
            jar.update(requests.cookies.cookiejar_from_dict(request.cookies)
                       if isinstance(request.cookies, dict) else request.cookies)
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(jar)
        return prepared


def new_browser() -> Browser:
    """A fresh browser-like session."""
    return Browser()


class _Forms(HTMLParser):
    """Collects forms with their method, action and (hidden and other) inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        """Open a form, or add an input to the current one."""
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                               "fields": {}, "id": attrs.get("id")})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def forms(page_html: str) -> list[dict]:
    """Every form on a page."""
    parser = _Forms()
    parser.feed(page_html)
    return parser.forms


def _auto_submitted(resp: requests.Response) -> dict | None:
    """A form the page submits by script on load (the OIDC form_post pattern)."""
    text = resp.text if "html" in resp.headers.get("Content-Type", "") else ""
    if not text or not re.search(r"\.submit\(\)", text):
        return None
    found = forms(text)
    return found[0] if found else None


def _script_redirect_to(resp: requests.Response, prefix: str) -> str | None:
    """A URL under `prefix` the page sends the browser to by script (window.location = …)."""
    text = resp.text if "html" in resp.headers.get("Content-Type", "") else ""
    match = re.search(re.escape(prefix) + r"[^\"'<>\s]*", html.unescape(text))
    return match.group(0).replace("\\u0026", "&").replace("\\/", "/") if match else None


def follow_platform_pages(browser: requests.Session, resp: requests.Response, auth_url: str) -> requests.Response:
    """From the tool's answer to the login initiation to the tool's page after the launch."""
    for _ in range(MAX_STEPS):
        form = _auto_submitted(resp)
        if form is not None:
            action = urljoin(resp.url, html.unescape(form["action"]))
            posted_to_tool = resp.url.startswith(auth_url)
            if form["method"] == "post":
                resp = browser.post(action, data=form["fields"])
            else:
                resp = browser.get(action, params=form["fields"])
            if posted_to_tool:
                return resp
            continue
        target = _script_redirect_to(resp, auth_url) if not resp.url.startswith(auth_url) else None
        if target:
            resp = browser.get(target)
            continue
        return resp
    return resp
