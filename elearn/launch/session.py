"""The in-frame session of a launched user (interface used by every other feature).

Third-party cookies are often blocked inside LMS iframes, so the session travels as a signed
launch token `lt` in every URL and form (added to every url_for automatically); the Flask session
cookie is only a fallback for browsers that still send it. Scripts may send it in an
`X-Launch-Token` header instead. A token lives LAUNCH_TOKEN_MAX_AGE; past half that age the request
gets a renewed one (in its links and forms, the cookie, and the `X-Launch-Token` response header),
until the launch session's absolute end (LAUNCH_SESSION_MAX_AGE). Only a token straight from a
launch, younger than FRESH_LAUNCH_MAX_AGE, counts as `fresh` (personal-data export and erasure).
Launched pages ping `main.keepalive` every LAUNCH_KEEPALIVE_SECONDS (static/js/launch-keepalive.js),
so a page left open keeps a live token in its forms; a token that no longer holds gets `launch_ended`.
"""
from __future__ import annotations

import hmac
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import wraps

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import bindparam, select

from elearn.extensions import db
from elearn.framing import origin_of, platform_origins
from elearn.i18n import normalise
from elearn.launch.errors import EXPLANATIONS, error_response
from elearn.launch.models import Context, LaunchSession, User
from elearn.launch.operations import make_token_for, read_token, read_token_any_age, read_token_facts
from lti.errors import LtiError
from lti.models import Platform, as_utc, utcnow

_MISSING = object()


@dataclass(frozen=True)
class CurrentLaunch:
    """Who is here, from which LMS course and link, in what role and language."""

    token: str                      # the signed launch token carried in links and forms (?lt=)
    user_id: int                    # elearn User.id
    user_name: str | None
    platform_id: int                # lti Platform.id
    context_pk: int | None          # elearn Context.id (LMS course)
    context_title: str | None
    resource_link_pk: int | None    # elearn ResourceLink.id
    module_id: str | None           # the catalog module this link points to, if any
    roles: frozenset[str] = field(default_factory=frozenset)  # {"learner","instructor","admin"}
    locale: str | None = None
    frame_origins: frozenset[str] = field(default_factory=frozenset)  # who may frame its pages (elearn.framing)
    presented_token: str = ""       # the token this request came with (token may be its renewal)
    fresh: bool = False             # the token came from a launch within FRESH_LAUNCH_MAX_AGE

    @property
    def is_instructor(self) -> bool:
        """Instructors and administrators may see course-wide pages."""
        return bool(self.roles & {"instructor", "admin"})


def _token_from_request() -> str | None:
    """lt from the X-Launch-Token header (scripts), the query string, a posted form, then the cookie."""
    token = request.headers.get("X-Launch-Token") or request.args.get("lt")
    if not token and request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        token = request.form.get("lt")
    return token or session.get("lt")


_launch_row = None  # the statement of load_launch


def _launch_statement():
    """The one select load_launch runs: only the columns a request needs, as plain Core rows
    (no ORM identity map, no JSON columns decoded), with user, course and platform joined in."""
    global _launch_row
    if _launch_row is None:  # built once: every launched page runs it, and building costs as much as running
        ls = LaunchSession.__table__
        _launch_row = (
            select(ls.c.id, ls.c.secret, ls.c.expires_at, ls.c.user_id, ls.c.platform_id, ls.c.context_pk,
                   ls.c.resource_link_pk, ls.c.module_id, ls.c.roles, ls.c.locale, ls.c.return_url,
                   User.__table__.c.name, Context.__table__.c.title, Platform.__table__.c.issuer,
                   Platform.__table__.c.auth_login_url, Platform.__table__.c.product_family_code)
            .select_from(ls)
            .join(User.__table__, User.__table__.c.id == ls.c.user_id)
            .join(Platform.__table__, Platform.__table__.c.id == ls.c.platform_id)
            .outerjoin(Context.__table__, Context.__table__.c.id == ls.c.context_pk)
            .where(ls.c.id == bindparam("session_id")))
    return _launch_row


def load_launch(token: str | None) -> CurrentLaunch | None:
    """The CurrentLaunch a token names, if the token is authentic, young and its session live."""
    facts = read_token_facts(token) if token else None
    if facts is None:
        return None
    row = db.session.execute(_launch_statement(), {"session_id": facts.session_id}).first()
    if row is None:
        return None
    (session_id, secret, expires_at, user_id, platform_id, context_pk, resource_link_pk, module_id, roles,
     locale, return_url, user_name, context_title, issuer, auth_login_url, family) = row
    now = utcnow()
    if not hmac.compare_digest(secret, facts.secret) or as_utc(expires_at) < now:
        return None
    frame_origins = (platform_origins(issuer, auth_login_url, family) | {origin_of(return_url)}) - {None}
    config = current_app.config
    age = now - facts.issued_at
    # Sliding renewal: an idle hour ends the session, an active one keeps going until expires_at.
    carried = (make_token_for(session_id, secret, renewed=True)
               if age > timedelta(seconds=config["LAUNCH_TOKEN_MAX_AGE"] / 2) else token)
    return CurrentLaunch(
        token=carried, presented_token=token,
        fresh=not facts.renewed and age <= timedelta(seconds=config["FRESH_LAUNCH_MAX_AGE"]),
        user_id=user_id, user_name=user_name, platform_id=platform_id,
        context_pk=context_pk, context_title=context_title,
        resource_link_pk=resource_link_pk, module_id=module_id,
        roles=frozenset(r for r in roles.split(",") if r), locale=locale,
        frame_origins=frozenset(frame_origins))


def current_launch() -> CurrentLaunch | None:
    """The launch this request belongs to (from ?lt=/form lt or the session cookie), or None."""
    if not has_request_context() or request.blueprint == "launch":
        return None  # LTI protocol endpoints never act for an earlier launch
    cached = g.get("_current_launch", _MISSING)
    if cached is _MISSING:
        cached = load_launch(_token_from_request())
        g._current_launch = cached
        if cached is not None and cached.token != cached.presented_token and session.get("lt") == cached.presented_token:
            session["lt"] = cached.token  # the cookie fallback slides too
    return cached


# Stands in for the launch token in a fragment rendered once and served to many launches
# (elearn.catalog.page_cache): URL-safe, so url_for and HTML escaping leave it as it is, and never
# a real token (those are itsdangerous payload.timestamp.signature, with dots).
TOKEN_PLACEHOLDER = "LTxTOKENxPLACEHOLDERx7f3a9c"


@contextmanager
def placeholder_token():
    """Inside the block the request's launch carries TOKEN_PLACEHOLDER instead of its token (in
    url_for and in `launch.token` of templates); yields the real token, or None without a launch.
    Whatever is rendered inside depends on no launch but through the placeholder, so it can be
    kept and given any launch's token with str.replace."""
    launch = current_launch()
    if launch is None:
        yield None
        return
    g._current_launch = replace(launch, token=TOKEN_PLACEHOLDER, presented_token=TOKEN_PLACEHOLDER)
    try:
        yield launch.token
    finally:
        g._current_launch = launch


def ended_launch_locale(token: str) -> str | None:
    """The language of the launch session an authentic but expired token names, if any."""
    ids = read_token_any_age(token)
    launch_session = db.session.get(LaunchSession, ids[0]) if ids else None
    if launch_session is None or not hmac.compare_digest(launch_session.secret, ids[1]):
        return None
    return launch_session.locale


# Form fields that carry plumbing, not anything the learner typed.
_PLUMBING_FIELDS = frozenset({"lt", "token", "csrf_token"})


def typed_text() -> list[str]:
    """The free text of a refused form post (answers with a space, or of 20 characters or more), so the
    learner can copy it; only from the tool's own pages, so that no other site puts words on ours."""
    if request.method != "POST" or request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return []
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return []
    return [value for name, value in request.form.items(multi=True)
            if name not in _PLUMBING_FIELDS and (" " in value.strip() or len(value.strip()) >= 20)]


def no_launch_unless_loaded() -> None:
    """From here on this request has no launch unless it was read already: for pages rendered
    while the database is away, whose templates would otherwise try to read it."""
    if has_request_context() and "_current_launch" not in g:
        g._current_launch = None


def launch_required(role: str | None = None):
    """Decorator: 401 page unless the request carries a valid launch (and, if given, the role)."""

    def decorate(view):
        """Wrap one view."""
        @wraps(view)
        def wrapper(*args, **kwargs):
            """Refuse, or run the view."""
            launch = current_launch()
            if launch is None and _token_from_request():
                # A token came but no longer holds: the session ended (idle past the token's life, or
                # its absolute end). Refused all the same; the page says so and hands back what was typed.
                return error_response(LtiError("launch_ended", "the launch token has expired or its launch "
                                               "session has ended", status=401),
                                      locale_hint=ended_launch_locale(_token_from_request()), typed=typed_text())
            if launch is None:
                return error_response(LtiError("launch_required", "no valid launch token or session"))
            allowed = (role is None or role in launch.roles
                       or (role == "instructor" and launch.is_instructor)
                       or (role == "learner" and bool(launch.roles)))
            if not allowed:
                return error_response(LtiError("role_required", f"this page needs the {role} role", role=role))
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _apply_launch_locale() -> None:
    """Speak the launch's language; ?lang= switches it for the rest of this launch."""
    if request.endpoint == "static" or (request.endpoint or "").endswith(".static"):
        return
    launch = current_launch()
    if launch is None:
        return
    chosen = normalise(request.args.get("lang"))
    if chosen in current_app.config["LANGUAGES"] and chosen != launch.locale:
        row = db.session.get(LaunchSession, read_ids(launch.token)[0])
        row.locale = chosen
        db.session.commit()
        g._current_launch = launch = load_launch(launch.presented_token)
    if launch.locale:
        g.locale = launch.locale


def fresh_launch_required(as_json: bool = False):
    """Decorator for personal-data views (under launch_required): a valid launch is not enough, it
    must be fresh from the LMS — a copied link or a renewed token does not unlock someone's data."""

    def decorate(view):
        """Wrap one view."""
        @wraps(view)
        def wrapper(*args, **kwargs):
            """Refuse (403 page, or JSON for a download) unless the launch is fresh, or run the view."""
            launch = current_launch()
            if launch is not None and launch.fresh:
                return view(*args, **kwargs)
            if as_json:
                explanation = EXPLANATIONS["fresh_launch_required"]
                return ({"error": "fresh_launch_required", "title": str(explanation.title),
                         "message": str(explanation.advice)}, 403, {"Cache-Control": "no-store"})
            return error_response(LtiError("fresh_launch_required", "personal data needs a fresh launch",
                                           status=403))

        return wrapper

    return decorate


def _renewed_token_header(response):
    """Tell scripts the renewed token (`X-Launch-Token`), so fetch calls can carry it on."""
    launch = g.get("_current_launch")
    if launch is not None and launch.token != launch.presented_token:
        response.headers["X-Launch-Token"] = launch.token
    return response


def read_ids(token: str) -> tuple[int, str]:
    """(session id, secret) of a token already known to be valid."""
    return read_token(token)


def _add_launch_token(endpoint: str, values: dict) -> None:
    """Carry lt in every url_for of elearn pages (not static files, not LTI protocol endpoints)."""
    if endpoint == "static" or endpoint.startswith("launch.") or endpoint.endswith(".static"):
        return
    if "lt" in values and values["lt"] is None:
        return  # explicitly left out (a form that carries it as a field)
    launch = current_launch()
    if launch is not None and values.get("lt") in (None, launch.presented_token):
        values["lt"] = launch.token  # links passing request.args on get the renewed token too


def _check_keepalive(config) -> None:
    """Refuse to start when the keep-alive could let a page's token expire between two pings."""
    every, life = config["LAUNCH_KEEPALIVE_SECONDS"], config["LAUNCH_TOKEN_MAX_AGE"]
    if not 0 < every <= life / 4:
        raise RuntimeError(f"LAUNCH_KEEPALIVE_SECONDS ({every}) must be above 0 and at most a quarter of "
                           f"LAUNCH_TOKEN_MAX_AGE ({life}), so that open pages renew their token in time "
                           "(see README, Configuration).")


def init_app(app) -> None:
    """Expose `launch` to templates, carry lt in URLs and set the locale from the launch."""
    _check_keepalive(app.config)

    @app.context_processor
    def inject_launch():
        """`launch` in every template."""
        return {"launch": current_launch()}

    app.url_defaults(_add_launch_token)
    app.before_request(_apply_launch_locale)
    app.after_request(_renewed_token_header)
