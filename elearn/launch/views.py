"""LTI endpoints of the tool: OIDC login, launch, JWKS (registration pages: registration_views)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from elearn.catalog.models import live_module
from elearn.extensions import csrf, db, limiter
from elearn.launch import registration_views, stores
from elearn.launch.errors import error_response
from elearn.launch.operations import record_launch
from elearn.launch.urls import tool_url
from lti import claims as C
from lti import keys
from lti.errors import LtiError
from lti.launch import BrowserCheckNeeded, validate_launch
from lti.launch_data import LaunchData, unverified_locale, with_browser_locale
from lti.login import STATE_COOKIE_PREFIX, begin_login
from lti.roles import normalise_roles

bp = Blueprint("launch", __name__, url_prefix="/lti")
csrf.exempt(bp)  # platforms post here cross-site; OIDC state and signed JWTs protect these endpoints


def _launch_limit() -> str:
    """The configured limit for login and launch requests."""
    return current_app.config["RATELIMIT_LAUNCH"]


def _registration_limit() -> str:
    """The configured limit for dynamic registration."""
    return current_app.config["RATELIMIT_REGISTRATION"]


@bp.errorhandler(429)
def _too_many(error):
    """Rate limited: the LTI error page, in the learner's language, with when to try again."""
    locale = unverified_locale(request.form.get("id_token")) if request.method == "POST" else None
    response = error_response(LtiError("rate_limited", str(error.description)), locale)[0]
    return response, 429, {"Cache-Control": "no-store"}   # Flask-Limiter adds Retry-After


@bp.route("/login", methods=["GET", "POST"])
@limiter.shared_limit(_launch_limit, scope="lti-entry")
def login():
    """OIDC third-party initiated login: remember state and nonce, send the browser to the platform."""
    params = request.values.to_dict()
    try:
        answer = begin_login(db.session, params, launch_url=tool_url("launch.launch"), store=stores.state_store(),
                             secure=request.is_secure, use_platform_storage=not params.get("lti_new_window"))
    except LtiError as error:
        db.session.rollback()
        return error_response(error)
    if answer.storage_target:
        storage = {"target": answer.storage_target, "origin": answer.platform_origin, "state": answer.state,
                   "binding": answer.binding, "nonce": _nonce_of(answer.url), "auth_url": answer.url}
        response = current_app.make_response(
            (render_template("launch/login_storage.html", storage=storage, auth_url=answer.url),
             200, {"Cache-Control": "no-store"}))
    else:
        response = redirect(answer.url)
    _set_state_cookie(response, answer.cookie_name, answer.cookie_value, answer.cookie_max_age)
    return response


def _nonce_of(url: str) -> str:
    """The nonce in the authentication request URL."""
    return parse_qs(urlsplit(url).query).get("nonce", [""])[0]


def _set_state_cookie(response, name: str, value: str, max_age: int) -> None:
    """SameSite=None; Secure; Partitioned (CHIPS): sent back from inside the LMS iframe where allowed."""
    response.set_cookie(name, value, max_age=max_age, path="/lti/", secure=True, httponly=True, samesite="None",
                        partitioned=bool(current_app.config.get("LTI_PARTITIONED_COOKIES", True)))


def _same_origin() -> bool:
    """Whether this POST came from one of our own pages (Fetch Metadata, else Origin)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    return request.headers.get("Origin", "").rstrip("/") == request.host_url.rstrip("/")


@bp.post("/launch")
@limiter.shared_limit(_launch_limit, scope="lti-entry")
def launch():
    """The platform's form_post of the id_token: validate, record, land on the right page."""
    form = request.form.to_dict()
    store = stores.state_store()
    try:
        # commit=False: the nonce's use commits with the launch's record below, one commit per launch.
        data = validate_launch(db.session, form, request.cookies, store=store,
                               http=stores.http_session(), same_origin=_same_origin(),
                               refetch_interval=stores.jwks_refetch_interval(),
                               allow_private=bool(current_app.config["LTI_REGISTRATION_ALLOW_PRIVATE"]),
                               commit=False)
    except BrowserCheckNeeded as needed:
        db.session.rollback()
        storage = {"target": needed.login.storage_target, "origin": needed.login.platform_origin,
                   "key": "lti_state_" + needed.login.state}
        page = render_template("launch/launch_storage.html", storage=storage, id_token=form.get("id_token", ""),
                               state=form.get("state", ""))
        return page, 200, {"Cache-Control": "no-store"}
    except LtiError as error:
        db.session.rollback()
        return error_response(error, unverified_locale(form.get("id_token")))
    data = with_browser_locale(data, request.accept_languages, current_app.config["LANGUAGES"])  # Open edX sends none
    if data.message_type == C.DEEP_LINKING_REQUEST and not _may_deep_link(data):
        db.session.commit()  # the nonce stays used: this id_token is spent, as any valid one
        return error_response(LtiError("role_required", "deep linking is for instructors", role="instructor"),
                              data.locale)
    try:
        recorded = record_launch(data)  # commits the nonce's use with the record
    except IntegrityError:  # the same user/course/link created by a parallel first launch: once more
        db.session.rollback()  # this also gave the nonce back (a transactional store): take it again
        if store.transactional and not store.consume(form["state"], data.issuer, data.claims["nonce"],
                                                     commit=False):
            return error_response(LtiError("nonce_replayed", "this id_token's nonce has already been used"),
                                  data.locale)
        recorded = record_launch(data)
    session["lt"] = recorded.token  # fallback for browsers that keep cookies; the token in URLs is what counts
    response = redirect(_landing_url(data, recorded.module_id, recorded.token))
    response.delete_cookie(STATE_COOKIE_PREFIX + form["state"], path="/lti/", secure=True, samesite="None",
                           partitioned=bool(current_app.config.get("LTI_PARTITIONED_COOKIES", True)))
    return response


def _may_deep_link(data: LaunchData) -> bool:
    """Only instructors and administrators pick content for a course."""
    return _teaches(data)


def _teaches(data: LaunchData) -> bool:
    """Instructors (teaching assistants too) and administrators of the launch's course."""
    return bool(normalise_roles(data.roles) & {"instructor", "admin"})


def _landing_url(data: LaunchData, module_id: str | None, token: str) -> str:
    """The instructor's view of the placement for staff, the module page for learners; the picker
    for deep linking; the catalog for a link without a module."""
    if data.message_type == C.SUBMISSION_REVIEW_REQUEST:
        return url_for("instructor.submission_review", lt=token)
    if data.message_type == C.DEEP_LINKING_REQUEST:
        return url_for("picker.index", lt=token)
    if module_id and _teaches(data) and live_module(module_id) is not None:
        return url_for("instructor.results", lt=token)   # a retired module: its page says so
    if module_id:
        return url_for("learning.module_page", module_id=module_id, lt=token)
    return url_for("catalog.index", lt=token)


@bp.get("/jwks")
def jwks():
    """The tool's public keys (next, current, previous)."""
    key_set = keys.jwks(db.session)
    db.session.commit()  # keys are created lazily on first need
    response = jsonify(key_set)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.record_once
def _well_known(state) -> None:
    """Also serve the JWKS at /.well-known/jwks.json (outside the /lti prefix)."""
    state.app.add_url_rule("/.well-known/jwks.json", endpoint="launch_jwks_well_known", view_func=jwks)


bp.add_url_rule("/register", view_func=limiter.limit(_registration_limit)(registration_views.register),
                methods=["GET"])
bp.add_url_rule("/register/info", view_func=registration_views.register_info, methods=["GET"])
bp.add_url_rule("/config.json", view_func=registration_views.canvas_config, methods=["GET"])
