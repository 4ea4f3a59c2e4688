"""The accreditation administrator's pages (signed in with a tool account, not through an LMS):
activities and their audit trail, register exports, the ledger check.

Sign-in is rate limited (login_limits) and costs the same for unknown e-mails; the session lives on
the server (admin_sessions); these pages cannot be framed (elearn.framing) and take no cross-site POST.
"""
from __future__ import annotations

import math
import secrets
from datetime import date
from functools import wraps

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import ValidationError

from elearn.accreditation import admin_form, admin_sessions, exports, ledger, login_limits
from elearn.accreditation.models import Activity, ActivityChange, Administrator, LedgerEntry
from elearn.accreditation.registers import REGISTERS
from elearn.catalog.models import live_modules
from elearn.extensions import db

bp = Blueprint("accreditation_admin", __name__, url_prefix="/admin")


_DUMMY_HASH: list[str] = []
# Sec-Fetch-Site values of a POST from our own pages (browsers without the header send none).
_OWN_POSTS = {None, "same-origin", "none"}


def _dummy_hash() -> str:
    """A hash of no one's password, made once the way create-admin makes them, so an unknown e-mail
    costs the same hash check as a known one (timing told which accounts exist)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(generate_password_hash(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


@bp.before_request
def _no_cross_site_posts():
    """The session cookie is SameSite=None (the LTI fallback shares it): refuse a POST another site
    made the browser send, on top of the CSRF token."""
    if request.method == "POST" and request.headers.get("Sec-Fetch-Site") not in _OWN_POSTS:
        abort(403, description="administration forms are accepted from this site's own pages only")


def admin_required(view):
    """Only a signed-in accreditation administrator."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        """Refuse, or run the view."""
        admin = admin_sessions.current_admin()
        if admin is None:
            if admin_sessions.COOKIE_KEY in session:
                session.pop(admin_sessions.COOKIE_KEY)
                flash(_("Your session has ended. Sign in again."), "info")
            return redirect(url_for("accreditation_admin.login", next=request.path))
        g.admin = admin
        if request.method == "POST":
            try:
                validate_csrf(request.form.get("csrf_token", ""))
            except ValidationError:
                abort(400, description="missing or wrong CSRF token")
        return view(*args, **kwargs)
    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password (limited per address and per account)."""
    form = admin_form.LoginForm()
    if request.method == "GET":
        return render_template("accreditation/admin_login.html", form=form, error=None)
    valid = form.validate()
    if form.csrf_refused():
        abort(400, description="missing or wrong CSRF token")
    email = form.email.data or ""
    wait = login_limits.attempt(email)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        error = _("Too many sign-in attempts. Wait %(minutes)d min., then try again.", minutes=minutes)
        return (render_template("accreditation/admin_login.html", form=form, error=error), 429,
                {"Retry-After": str(wait), "Cache-Control": "no-store"})
    # Looked up and hash-checked even when the form is refused: an invalid, unknown or known e-mail
    # costs the same work, so the time taken tells no one which accounts exist.
    dummy = _dummy_hash()   # made (once) before the lookup, so not only unknown e-mails pay for making it
    admin = db.session.scalar(select(Administrator).filter_by(email=email))
    password_ok = check_password_hash(admin.password_hash if admin else dummy, form.password.data or "")
    if not valid:
        return render_template("accreditation/admin_login.html", form=form, error=None), 422
    if admin is not None and password_ok:
        admin_sessions.begin(admin)
        target = request.args.get("next", "")
        return redirect(target if target.startswith("/admin") else url_for("accreditation_admin.index"))
    # A fresh form: the page for a known account must be the very page for an unknown one.
    return render_template("accreditation/admin_login.html", form=admin_form.LoginForm(formdata=None),
                           error=_("E-mail or password is not right.")), 401


@bp.post("/logout")
@admin_required
def logout():
    """Sign out: the session is revoked on the server, not only forgotten by this browser."""
    admin_sessions.end()
    return redirect(url_for("accreditation_admin.login"))


@bp.get("/")
@admin_required
def index():
    """Activities with their record counts, and the state of the ledger."""
    activities = list(db.session.scalars(select(Activity).order_by(Activity.id)))
    counts = dict(db.session.execute(select(LedgerEntry.activity_id, func.count()).where(LedgerEntry.kind == "record")
                                     .group_by(LedgerEntry.activity_id)).all())
    problems = ledger.verify()
    return render_template("accreditation/admin_index.html", activities=activities, counts=counts,
                           problems=problems, entries=ledger.count(), registers=REGISTERS, formats=exports.FORMATS,
                           today=date.today())


def snapshot(activity: Activity) -> dict:
    """The settings of an activity as plain JSON (for the audit trail)."""
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in (
        (c.name, getattr(activity, c.name)) for c in Activity.__table__.columns) if k not in ("created_at", "updated_at")}


def audit(activity: Activity, changed_by: str, before: dict | None) -> None:
    """Keep one change of an activity in its audit trail (flushed, committed with the change)."""
    db.session.flush()
    db.session.add(ActivityChange(activity_id=activity.id, changed_by=changed_by, before=before,
                                  after=snapshot(activity)))


@bp.route("/activities/new", methods=["GET", "POST"])
@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@admin_required
def edit(activity_id: int | None = None):
    """Create or change an accredited activity; every save is kept in the audit trail."""
    activity = db.session.get(Activity, activity_id) if activity_id else None
    if activity_id and activity is None:
        abort(404)
    modules = sorted(live_modules(), key=lambda m: (m.primary_phase, m.id))
    form = admin_form.build(modules, activity, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        before = snapshot(activity) if activity else None
        activity = activity or Activity()
        for key, value in form.values().items():
            setattr(activity, key, value)
        db.session.add(activity)
        audit(activity, g.admin.email, before)
        db.session.commit()
        flash(_("The activity is saved."), "ok")
        return redirect(url_for("accreditation_admin.edit", activity_id=activity.id))
    changes = list(db.session.scalars(select(ActivityChange).filter_by(activity_id=activity.id)
                                      .order_by(ActivityChange.id.desc()))) if activity else []
    failed = request.method == "POST"
    return render_template("accreditation/admin_activity.html", activity=activity, form=form, changes=changes,
                           field_labels={name: field.label.text for name, field in form._fields.items()}), \
        422 if failed else 200


@bp.get("/activities/<int:activity_id>/export")
@admin_required
def export(activity_id: int):
    """An attendance list for the register, for a period."""
    activity = db.session.get(Activity, activity_id) or abort(404)
    try:
        start = date.fromisoformat(request.args.get("from") or activity.valid_from.isoformat())
        end = date.fromisoformat(request.args.get("to") or date.today().isoformat())
        body, mimetype, name = exports.export(activity, start, end, request.args.get("format", "csv"))
    except ValueError as exc:
        abort(400, description=str(exc))
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
