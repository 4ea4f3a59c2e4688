"""Attendance pages: the organiser's rotating QR code and attendance list with corrections, and
the attendee's check-in from their phone (which needs their launch: the tool opened from the LMS)."""
from __future__ import annotations

import segno
from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from elearn.accreditation import ledger
from elearn.catalog.models import live_module
from elearn.events import attendance
from elearn.events.attendance_records import after_attendance
from elearn.events.forms import CORRECTION, CheckInForm, CorrectionForm
from elearn.events.models import ATTENDANCE_STATES, ENROLLED, Enrolment, Event
from elearn.events.views import _event_or_404, bp, shown
from elearn.extensions import db
from elearn.launch.models import ResourceLink
from elearn.launch.session import current_launch, launch_required
from elearn.launch.form_guard import require_genuine_form
from elearn.refusal import Refusal


def _organised_event(event_id: int) -> Event:
    """An event the launched instructor may run: one they created in this course, or (from a course
    file or the administrator) one of the module their placement shows; 404 otherwise."""
    event = _event_or_404(event_id)
    launch = current_launch()
    link = db.session.get(ResourceLink, launch.resource_link_pk) if launch.resource_link_pk else None
    module = live_module(link.module_id) if link and link.module_id else None
    if event.source == "instructor":
        allowed = event.context_pk is not None and event.context_pk == launch.context_pk
    else:
        allowed = module is not None and module.id == event.module_id
    if not allowed:
        abort(404, description="not an event of your course")
    return event


def refusal(reason: str) -> str:
    """A check-in refusal in plain words."""
    return {
        "expired": _("This check-in code has expired. Scan the code on the organiser's screen again."),
        "forged": _("This is not a valid check-in code. Scan the code on the organiser's screen."),
        "other-event": _("This code is for another event. Scan the code shown at this event."),
        "closed": _("Check-in is open from 30 minutes before the start until the end of the event."),
        "not-enrolled": _("You are not enrolled for this event, so you cannot check in."),
        "already": _("You are already checked in for this event."),
    }[reason]


def _fresh_code(event: Event) -> dict:
    """A new signed check-in URL, its QR code (an SVG data URI) and how many are checked in."""
    code = attendance.new_code(event)
    url = url_for("events.checkin", event_id=event.id, c=code, lt=None, _external=True)
    present = db.session.scalar(select(db.func.count()).select_from(attendance.Attendance)
                                .filter_by(event_id=event.id))
    return {"url": url, "qr": segno.make(url, error="m").svg_data_uri(scale=8, border=2, dark="#1c2733"),
            "present": present, "present_text": _("Checked in: %(count)s", count=present)}


@bp.get("/<int:event_id>/check-in-code")
@launch_required("instructor")
def checkin_code(event_id: int):
    """The organiser's screen: a QR code of a signed check-in URL, renewed by its script."""
    event = _organised_event(event_id)
    return render_template("events/checkin_code.html", item=shown(event, None), fresh=_fresh_code(event),
                           open=attendance.is_open(event), rotate=current_app.config["EVENT_CHECKIN_ROTATE_SECONDS"],
                           max_age=current_app.config["EVENT_CHECKIN_MAX_AGE"])


@bp.get("/<int:event_id>/check-in-code.json")
@launch_required("instructor")
def checkin_code_json(event_id: int):
    """The next code for the organiser's screen (its script asks every EVENT_CHECKIN_ROTATE_SECONDS)."""
    return jsonify(_fresh_code(_organised_event(event_id)))


@bp.get("/<int:event_id>/check-in")
def checkin(event_id: int):
    """The scanned URL: with the attendee's launch, a button to confirm presence; else how to sign in."""
    event = _event_or_404(event_id)
    launch = current_launch()
    code = request.args.get("c", "")
    if launch is None:
        # The page keeps the scanned code: after opening the module from the LMS the attendee scans again.
        raise Refusal(401, "launch_required", template="events/checkin.html", item=shown(event, None), code=code,
                      needs_launch=True)
    try:
        attendance.read_code(code, event)
    except attendance.CheckInRefused as refused:
        raise CheckInRefusal(event, refused) from None
    return render_template("events/checkin.html", item=shown(event, launch.user_id), code=code,
                           already=attendance.of(event.id, launch.user_id) is not None)


class CheckInRefusal(Refusal):
    """A check-in the rules refuse, on the check-in page that says why (its reason is the refusal's code);
    nothing was written. A code that is fine but not now (already, closed, not enrolled) is a conflict."""

    def __init__(self, event: Event, refused: attendance.CheckInRefused) -> None:
        launch = current_launch()
        status = 409 if refused.reason in ("already", "closed", "not-enrolled") else 400
        super().__init__(status, refused.reason, template="events/checkin.html",
                         item=shown(event, launch.user_id if launch else None), code="",
                         refused=refusal(refused.reason), reason=refused.reason)


@bp.post("/<int:event_id>/check-in")
@launch_required()
def checkin_confirm(event_id: int):
    """Record the attendee's presence (once) from a valid code."""
    require_genuine_form()
    event = _event_or_404(event_id)
    form = CheckInForm()
    if not form.validate():         # no code, or one far too long to be signed by us
        raise CheckInRefusal(event, attendance.CheckInRefused("forged"))
    try:
        attendance.check_in(event, current_launch().user_id, form.c.data)
        after_attendance(event, current_launch().user_id)
    except attendance.CheckInRefused as refused:
        raise CheckInRefusal(event, refused) from None
    except Exception:   # the same person twice at the same moment: the unique row refused the second
        db.session.rollback()
        if attendance.of(event.id, current_launch().user_id) is None:
            raise
        raise CheckInRefusal(event, attendance.CheckInRefused("already")) from None
    return render_template("events/checkin.html", item=shown(event, current_launch().user_id), code="",
                           checked_in=True, records=_records(event))


def _records(event: Event) -> list:
    """The learner's accreditation records of this event (for the claim link)."""
    launch = current_launch()
    return [(a, ledger.find_record(a.id, launch.user_id)) for a in attendance.activities_of(event.id)]


@bp.route("/<int:event_id>/attendance", methods=["GET", "POST"])
@launch_required("instructor")
def attendance_list(event_id: int):
    """Who is enrolled and present; the organiser corrects a learner's attendance (audit trail)."""
    event = _organised_event(event_id)
    error = None
    if request.method == "POST":
        require_genuine_form()
        error = _correct(event, CorrectionForm())
    rows = [(enrolment, attendance.of(event.id, enrolment.user_id)) for enrolment in _enrolled(event)]
    return render_template("events/attendance.html", item=shown(event, None), rows=rows, states=ATTENDANCE_STATES,
                           planned=attendance.planned_minutes(event), minutes=attendance.attended_minutes,
                           changes=attendance.changes(event.id), error=error), 422 if error else 200


def _correct(event: Event, form: CorrectionForm) -> dict | None:
    """Apply the organiser's correction; the error to show in the learner's row (with what was typed)
    when it is refused, None when it is saved. A form without a learner of the event is not ours: 400/404."""
    if not form.user_id.validate(form):
        abort(400, description="user_id is required")
    user_id, launch = form.user_id.data, current_launch()
    if attendance_of_enrolled(event, user_id) is None:
        abort(404, description="no such learner at this event")
    refused = form.first_error() if not form.validate() else None
    if refused is None:
        by = launch.user_name or f"user {launch.user_id}"
        try:
            attendance.correct(event, user_id, form.state.data, form.late_minutes.data, form.left_early_minutes.data,
                               by=by)
            after_attendance(event, user_id, by=by)
            return None
        except attendance.CorrectionInvalid as invalid:
            db.session.rollback()
            refused = {"field": invalid.field, "message": str(CORRECTION)}
    return dict(refused, user_id=user_id, typed=form.typed())


def _enrolled(event: Event) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.event_id == event.id,
                                                           Enrolment.status == ENROLLED)
                                   .order_by(Enrolment.queued_at, Enrolment.id)))


def attendance_of_enrolled(event: Event, user_id: int) -> Enrolment | None:
    """The enrolment of a learner with a seat at the event (only they can be marked)."""
    return next((e for e in _enrolled(event) if e.user_id == user_id), None)
