"""Response headers suited to a tool that lives inside LMS iframes."""
from flask import Flask, request


def init_app(app: Flask) -> None:
    """Add security headers; embedded pages must stay frameable by the LMS."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # No X-Frame-Options: LMSs embed us. frame-ancestors narrows this per registered
        # platform once registrations are known (see elearn.launch).
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors *")
        if request.is_secure:  # behind TLS (PROXY_FIX makes X-Forwarded-Proto count): browsers stay on https
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
