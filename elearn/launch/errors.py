"""Refused launches explained to the learner, in their language, with what to tell the LMS admin."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, render_template, url_for
from flask_babel import lazy_gettext as _l

from elearn.i18n import normalise
from lti.errors import LtiError


@dataclass(frozen=True)
class Explanation:
    """What the page says: a title, what happened / what to do, and what to tell the admin."""

    title: object
    advice: object
    admin: object


EXPLANATIONS = {
    "rate_limited": Explanation(
        _l("Too many requests at once"),
        _l("VBHC Academy received more launches from your network in a short time than it accepts."),
        _l("Wait a minute, then open the activity in your learning platform again. If this happens often, "
           "ask the LMS administrator to contact VBHC Academy about the limit.")),
    "registration": Explanation(
        _l("This LMS is not registered with VBHC Academy"),
        _l("The tool does not recognise the learning platform or this installation of the tool in it."),
        _l("Please register the platform and its deployment with VBHC Academy (see the tool's registration page), "
           "or check the client ID and deployment ID registered on both sides.")),
    "message": Explanation(
        _l("The launch from your LMS is incomplete"),
        _l("Your learning platform sent a launch that VBHC Academy cannot accept."),
        _l("The LTI 1.3 launch message lacks required information or is not an LTI 1.3 message. "
           "Please check the tool's configuration in the LMS and pass on the error code and details.")),
    "signature": Explanation(
        _l("The launch could not be verified"),
        _l("VBHC Academy could not confirm that this launch really comes from your learning platform."),
        _l("The launch signature does not match the platform's public keys. "
           "Please check the key set (JWKS) URL registered with VBHC Academy.")),
    "time": Explanation(
        _l("The launch has expired"),
        _l("Go back to your course and open the activity again."),
        _l("If this keeps happening, the clock of the LMS server may be wrong.")),
    "session": Explanation(
        _l("This launch cannot be used again"),
        _l("The launch was already used or did not start in this browser. Go back to your course and open "
           "the activity again, without using the browser's back or reload buttons."),
        _l("If this keeps happening for everyone, check that the tool's login and launch URLs in the LMS "
           "point to the same server.")),
    "cookies": Explanation(
        _l("Your browser blocked the tool inside the LMS page"),
        _l("Your browser does not allow VBHC Academy to remember you inside the course page. "
           "Open the activity in a new window to continue."),
        _l("The browser blocks third-party cookies and the LMS did not offer LTI platform storage. "
           "Opening the tool in a new window works around this.")),
    "launch_required": Explanation(
        _l("Please open this page from your LMS"),
        _l("This page belongs to a course. Open the activity from your learning platform; "
           "if you already did, your session may have expired."),
        _l("No valid launch accompanied this request.")),
    "role_required": Explanation(
        _l("This page is for instructors"),
        _l("Your role in this course does not give access to this page."),
        _l("The launch did not carry an instructor or administrator role for this course.")),
    "fresh_launch_required": Explanation(
        _l("Open VBHC Academy again from your LMS"),
        _l("To protect your personal data, downloading or erasing it needs a launch from your learning platform "
           "of the last few minutes. Open the activity in your course again, then go to “Your data”."),
        _l("Personal-data export and erasure accept only a launch token that comes straight from a recent launch.")),
    "registration_link": Explanation(
        _l("This registration link cannot be used"),
        _l("The registration link is unknown, was used already or has expired."),
        _l("Create a new registration link with: flask --app elearn lti registration-url")),
    "registration_link_spent": Explanation(
        _l("This registration link has been used up"),
        _l("Registration with this link failed too many times, so the link no longer works."),
        _l("Check the tool's settings in the learning platform, then create a new registration link with: "
           "flask --app elearn lti registration-url")),
    "registration_exists": Explanation(
        _l("This LMS is registered already"),
        _l("VBHC Academy already has a registration with this issuer and client ID. Dynamic registration never "
           "changes an existing registration."),
        _l("If the registration really must change, an administrator of VBHC Academy can replace it explicitly with: "
           "flask --app elearn lti add-platform --replace (with the platform's issuer, client ID and URLs).")),
    "registration_failed": Explanation(
        _l("Registration with the LMS failed"),
        _l("VBHC Academy could not complete the registration with your learning platform."),
        _l("Please check the details below and try again with a new registration link.")),
}

GROUPS = {
    "rate_limited": "rate_limited",
    "unknown_platform": "registration", "ambiguous_platform": "registration", "unknown_deployment": "registration",
    "wrong_issuer": "registration", "wrong_audience": "registration",
    "missing_parameter": "message", "missing_id_token": "message", "token_too_large": "message",
    "malformed_token": "message", "missing_claim": "message", "unsupported_message_type": "message",
    "wrong_version": "message", "invalid_message": "message", "platform_error": "message",
    "bad_algorithm": "signature", "missing_kid": "signature", "unknown_key": "signature",
    "bad_signature": "signature", "platform_keys_unavailable": "signature",
    "token_expired": "time", "token_not_yet_valid": "time",
    "missing_state": "session", "state_mismatch": "session", "nonce_mismatch": "session",
    "nonce_replayed": "session",
    "state_cookie_missing": "cookies", "platform_storage_failed": "cookies",
    "launch_required": "launch_required", "role_required": "role_required",
    "fresh_launch_required": "fresh_launch_required",
    "registration_token_invalid": "registration_link", "registration_failed": "registration_failed",
    "registration_token_spent": "registration_link_spent", "registration_exists": "registration_exists",
}


def _restart_url(error: LtiError) -> str | None:
    """Where 'open in a new window' goes: the login again, at top level, without platform storage."""
    params = error.context.get("restart")
    if not params:
        return None
    return url_for("launch.login", **dict(params, lti_new_window="1"), _external=False)


def error_response(error: LtiError, locale_hint: str | None = None):
    """The error page for a refused request, in the launch's language when it is known."""
    locale = normalise(locale_hint)
    if locale in current_app.config["LANGUAGES"]:
        g.locale = locale
    explanation = EXPLANATIONS[GROUPS.get(error.code, "message")]
    html = render_template("launch/error.html", error=error, explanation=explanation,
                           restart_url=_restart_url(error))
    return html, error.status, {"Cache-Control": "no-store"}
