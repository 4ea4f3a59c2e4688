"""Cross-site request forgery guard for the forms of launched pages: the launch token, or a CSRF token."""
from __future__ import annotations

import hmac

from flask import abort, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from elearn.launch.session import current_launch


def form_is_genuine() -> bool:
    """A posted form is ours if it carries this launch's lt token (cookies may be blocked in an
    LMS iframe) or, for a cookie session, a valid csrf_token. A launch found only through the
    session cookie does not count: a cross-site form would carry that cookie too."""
    launch = current_launch()
    posted_lt = request.form.get("lt", "")
    if launch is not None and posted_lt and hmac.compare_digest(posted_lt, launch.presented_token):
        return True
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:  # missing, malformed or wrong token
        return False
    return True


def require_genuine_form() -> None:
    """Abort with 400 unless the posted form is ours (see `form_is_genuine`)."""
    if not form_is_genuine():
        abort(400, description="form without launch token or CSRF token")
