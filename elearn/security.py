"""Response headers suited to a tool that lives inside LMS iframes."""
from flask import Flask, request

from elearn.framing import frame_ancestors


def init_app(app: Flask) -> None:
    """Add security headers; embedded pages must stay frameable by the LMS."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # No X-Frame-Options: LMSs embed us; frame-ancestors names who may (elearn.framing).
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", frame_ancestors())
        if request.is_secure:  # behind TLS (PROXY_FIX makes X-Forwarded-Proto count): browsers stay on https
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
