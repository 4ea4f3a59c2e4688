"""The accreditation administrator's event pages (/admin/events): every event, a new one for any
module or course, with its accreditation — an Activity that points at the event (`event_id`)."""
from __future__ import annotations

from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from elearn.accreditation.admin import admin_required, bp, snapshot
from elearn.accreditation.models import Activity, ActivityChange
from elearn.accreditation.registers import REGISTERS
from elearn.catalog.models import Course, live_modules
from elearn.events import operations as ops
from elearn.events.models import MODES, Event
from elearn.events.views import _form_fields, form_message, shown
from elearn.extensions import db

DEFAULT_MIN_PERCENT = 80     # attendance below this earns no points (courses/README.md "events.yaml")


def attendance_rule(form) -> dict:
    """The activity's attendance rule from the form; ValueError when it is not a percentage."""
    try:
        minimum = int(form.get("min_percent") or DEFAULT_MIN_PERCENT)
    except ValueError:
        raise ValueError(_("The minimum attendance is a whole percentage from 1 to 100.")) from None
    if not 1 <= minimum <= 100:
        raise ValueError(_("The minimum attendance is a whole percentage from 1 to 100."))
    return {"attendance": {"min_percent": minimum, "prorate": form.get("prorate") == "on"}}


def accredit(event: Event, form, by: str) -> Activity | None:
    """The event's accredited activity when the form names a register (caller commits)."""
    if not form.get("register"):
        return None
    if form["register"] not in REGISTERS or not form.get("accreditation_id", "").strip():
        raise ValueError(_("Choose a register and give the accreditation id, or leave the register blank."))
    try:
        points = float(form.get("points", "").replace(",", "."))
    except ValueError:
        raise ValueError(_("Points must be a number above 0.")) from None
    if points <= 0:
        raise ValueError(_("Points must be a number above 0."))
    starts, ends = ops.local_times(event)
    activity = Activity(title=dict(event.title), module_ids=[], event_id=event.id, register=form["register"],
                        accreditation_id=form["accreditation_id"].strip(), points=points,
                        points_kind=form.get("points_kind", "").strip() or "accreditation hours",
                        study_load_minutes=int((event.ends_at - event.starts_at).total_seconds() // 60),
                        valid_from=starts.date(), valid_until=ends.date() + timedelta(days=90),
                        professions=[], rule=attendance_rule(form), retention_years=5)
    db.session.add(activity)
    db.session.flush()
    db.session.add(ActivityChange(activity_id=activity.id, changed_by=by, before=None, after=snapshot(activity)))
    return activity


@bp.route("/events", methods=["GET", "POST"])
@admin_required
def events():
    """Every upcoming event, and a form for a new one (with its accreditation)."""
    error, values = None, {}
    if request.method == "POST":
        values = request.form
        owner = request.form.get("owner", "")
        kind, _sep, owner_id = owner.partition(":")
        try:
            if kind not in ("module", "course") or not owner_id:
                raise ops.EventInvalid("module", "")
            event = ops.create(_form_fields(request.form), source="admin", created_by=g.admin.email,
                               **({"module_id": owner_id} if kind == "module" else {"course_id": owner_id}))
            accredit(event, request.form, g.admin.email)
            db.session.commit()
            flash(_("The event is saved."), "ok")
            return redirect(url_for("accreditation_admin.events"))
        except ops.EventInvalid as invalid:
            db.session.rollback()
            error = {"field": invalid.field, "message": form_message(invalid)}
        except ValueError as invalid:
            db.session.rollback()
            error = {"field": "register", "message": str(invalid)}
    items = [shown(e, None) for e in db.session.scalars(select(Event).where(Event.cancelled_at.is_(None))
                                                       .order_by(Event.starts_at))]
    accredited = {a.event_id: a for a in db.session.scalars(select(Activity).where(Activity.event_id.is_not(None)))}
    courses = list(db.session.scalars(select(Course).where(Course.retired_at.is_(None)).order_by(Course.id)))
    return render_template("events/admin.html", items=items, accredited=accredited, error=error, values=values,
                           modules=sorted(live_modules(), key=lambda m: m.id), courses=courses, modes=MODES,
                           registers=REGISTERS, default_min=DEFAULT_MIN_PERCENT), 422 if error else 200
