"""Response headers suited to a tool that lives inside LMS iframes.

HTML pages get a Content-Security-Policy: everything from our own origin only, scripts and
<style> blocks only from our static files or with this request's nonce (`csp_nonce()` in
templates), no plugins, no <base> elsewhere, and frame-ancestors from elearn.framing. There is no
form-action: the deep-linking answer and the LTI auto-post forms post to the platform's URLs.
"""
import secrets

from flask import Flask, g, request

from elearn.framing import frame_ancestors
from elearn.launch.session import current_launch


def csp_nonce() -> str:
    """This request's nonce for inline <script> and <style> elements (one per request)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy() -> str:
    """The policy of an HTML page of this request."""
    nonce = f"'nonce-{csp_nonce()}'"
    return "; ".join(("default-src 'self'", f"script-src 'self' {nonce}", f"style-src 'self' {nonce}",
                      "img-src 'self' data:", "object-src 'none'", "base-uri 'self'", frame_ancestors(current_launch)))


def init_app(app: Flask) -> None:
    """Add security headers; embedded pages must stay frameable by the LMS."""

    @app.context_processor
    def inject_csp_nonce():
        """`csp_nonce()` in every template."""
        return {"csp_nonce": csp_nonce}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # No X-Frame-Options: LMSs embed us; frame-ancestors names who may (elearn.framing).
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
        if request.is_secure:  # behind TLS (PROXY_FIX makes X-Forwarded-Proto count): browsers stay on https
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
