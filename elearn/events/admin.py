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
from elearn.events.forms import DEFAULT_MIN_PERCENT, AdminEventForm, message_for
from elearn.events.models import MODES, Event
from elearn.events.views import shown
from elearn.extensions import db


def accredit(event: Event, form: AdminEventForm, by: str) -> Activity | None:
    """The event's accredited activity when the (validated) form names a register (caller commits)."""
    if not form.accredited():
        return None
    starts, ends = ops.local_times(event)
    activity = Activity(title=dict(event.title), module_ids=[], event_id=event.id, register=form.register.data,
                        accreditation_id=form.accreditation_id.data, points=float(form.points.data),
                        points_kind=form.points_kind.data or "accreditation hours",
                        study_load_minutes=int((event.ends_at - event.starts_at).total_seconds() // 60),
                        valid_from=starts.date(), valid_until=ends.date() + timedelta(days=90),
                        professions=[], rule=form.attendance_rule(), retention_years=5)
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
        values, form = request.form, AdminEventForm()     # the page is filled again with what was typed
        error = form.first_error() if not form.validate() else None
        if error is None:
            try:
                event = ops.create(form.fields(), source="admin", created_by=g.admin.email, **form.owner_ids())
                accredit(event, form, g.admin.email)
                db.session.commit()
                flash(_("The event is saved."), "ok")
                return redirect(url_for("accreditation_admin.events"))
            except ops.EventInvalid as invalid:
                db.session.rollback()
                error = {"field": invalid.field, "message": message_for(invalid)}
    items = [shown(e, None) for e in db.session.scalars(select(Event).where(Event.cancelled_at.is_(None))
                                                       .order_by(Event.starts_at))]
    accredited = {a.event_id: a for a in db.session.scalars(select(Activity).where(Activity.event_id.is_not(None)))}
    courses = list(db.session.scalars(select(Course).where(Course.retired_at.is_(None)).order_by(Course.id)))
    return render_template("events/admin.html", items=items, accredited=accredited, error=error, values=values,
                           modules=sorted(live_modules(), key=lambda m: m.id), courses=courses, modes=MODES,
                           registers=REGISTERS, default_min=DEFAULT_MIN_PERCENT), 422 if error else 200
