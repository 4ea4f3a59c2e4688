"""Cross-site request forgery guard for the forms of launched pages: the launch token, or a CSRF token."""
from __future__ import annotations

import hmac

from flask import abort, request
from flask_wtf import FlaskForm
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


class GuardedForm(FlaskForm):
    """A form whose request is checked before the form is read: by `require_genuine_form` (or
    `form_is_genuine`) on launched pages, by `admin_required` on the administrator's. FlaskForm's own
    CSRF token is off in these forms: CSRFProtect checks nothing by itself (WTF_CSRF_CHECK_DEFAULT is
    off, see elearn.config), and FlaskForm's own check would refuse exactly the forms of an LMS
    iframe whose cookies are blocked, which carry the launch token instead of the session's."""

    class Meta:
        csrf = False
