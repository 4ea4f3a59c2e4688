"""Registering the tool in an LMS: dynamic registration, the admin page, Canvas JSON configuration."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, jsonify, render_template, request
from flask_babel import force_locale, gettext as _

from elearn.extensions import db
from elearn.launch import stores
from elearn.launch.errors import error_response
from elearn.launch.urls import tool_url
from lti import claims as C, dynreg
from lti.errors import LtiError


def _urls() -> dict[str, str]:
    """The tool's LTI URLs as platforms must reach them."""
    return {"login": tool_url("launch.login"), "launch": tool_url("launch.launch"),
            "jwks": tool_url("launch.jwks"), "register": tool_url("launch.register"),
            "config": tool_url("launch.canvas_config"), "info": tool_url("launch.register_info")}


def _localised(text_of) -> dict[str, str]:
    """{'nl': …, 'en': …}: a translated string in every interface language (default language first)."""
    languages = list(current_app.config["LANGUAGES"])
    result = {}
    for lang in languages:
        with force_locale(lang):
            result[lang] = text_of()
    return result


def tool_description() -> dynreg.ToolDescription:
    """How the tool introduces itself in a dynamic registration."""
    urls = _urls()
    name = current_app.config.get("TOOL_NAME", "VBHC Academy")
    return dynreg.ToolDescription(
        domain=urlsplit(urls["launch"]).netloc, login_url=urls["login"], launch_url=urls["launch"],
        jwks_url=urls["jwks"], names={lang: name for lang in current_app.config["LANGUAGES"]},
        descriptions=_localised(lambda: _("Accredited education on value-based healthcare, in Dutch and English.")))


def register():
    """GET /lti/register: the platform opens our one-time URL; we register and close its dialog."""
    try:
        token_row = dynreg.check_registration_token(db.session, request.args.get("token"),
                                                    int(current_app.config["LTI_REGISTRATION_MAX_FAILURES"]))
    except LtiError as error:
        return error_response(error)
    config_url = request.args.get("openid_configuration")
    if not config_url:
        return render_template("launch/register_start.html", urls=_urls()), 200, {"Cache-Control": "no-store"}
    try:
        platform = dynreg.register(db.session, token_row, config_url, request.args.get("registration_token"),
                                   tool_description(), stores.http_session(),
                                   allow_private=bool(current_app.config["LTI_REGISTRATION_ALLOW_PRIVATE"]))
    except LtiError as error:
        token_id = token_row.id
        db.session.rollback()  # nothing of the failed registration is kept …
        dynreg.record_failed_attempt(db.session, token_id)  # … but the failure counts against the URL
        db.session.commit()
        return error_response(error)
    return (render_template("launch/register_done.html", platform=platform),
            200, {"Cache-Control": "no-store"})


def register_info():
    """What an LMS administrator needs to register the tool (URLs, scopes, commands)."""
    return render_template("launch/register_info.html", urls=_urls(), scopes=C.TOOL_SCOPES)


def canvas_config():
    """Canvas developer-key JSON configuration (Developer Keys → + LTI Key → Paste JSON)."""
    urls = _urls()
    name = current_app.config.get("TOOL_NAME", "VBHC Academy")
    with force_locale("en"):
        description = _("Accredited education on value-based healthcare, in Dutch and English.")
    placements = [
        {"placement": "link_selection", "message_type": C.DEEP_LINKING_REQUEST, "text": name,
         "target_link_uri": urls["launch"]},
        {"placement": "assignment_selection", "message_type": C.DEEP_LINKING_REQUEST, "text": name,
         "target_link_uri": urls["launch"]},
    ]
    return jsonify({
        "title": name, "description": description,
        "oidc_initiation_url": urls["login"], "target_link_uri": urls["launch"],
        "public_jwk_url": urls["jwks"], "scopes": list(C.TOOL_SCOPES),
        "extensions": [{"domain": urlsplit(urls["launch"]).hostname, "tool_id": "vbhc-academy",
                        "platform": "canvas.instructure.com", "privacy_level": "public",
                        "settings": {"text": name, "placements": placements}}],
        "custom_fields": {"canvas_locale": "$Canvas.user.locale"},
    })
