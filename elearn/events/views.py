"""Event pages: upcoming events of a module for a launched learner (enrol, waiting list, cancel,
the .ics invitation) and, for an instructor's launch, the events of their placement's module."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from babel.dates import format_datetime, format_time
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from elearn.accreditation.registers import REGISTERS
from elearn.catalog import labels
from elearn.catalog.labels import content_lang, pick
from elearn.catalog.models import live_module
from elearn.events import ical, mail
from elearn.events import operations as ops
from elearn.events.attendance import activities_of
from elearn.events.forms import EventForm, message_for
from elearn.events.models import ENROLLED, MODES, WAITING, Enrolment, Event
from elearn.extensions import db
from elearn.launch.models import ResourceLink, User
from elearn.launch.session import current_launch, launch_required
from elearn.launch.form_guard import require_genuine_form
from elearn.notices import redirect_with
from elearn.refusal import Refusal

bp = Blueprint("events", __name__, url_prefix="/events")
MODE_NAMES = dict(labels.MODES, webinar=_l("Webinar"))


@bp.app_context_processor
def _mode_names():
    """Every template may name an event's mode."""
    return {"mode_names": MODE_NAMES}


def when(starts, ends) -> str:
    """'Thursday 11 March 2027, 13:30–17:00' in the interface language, on the event's clock."""
    locale = str(get_locale() or "nl")
    start = format_datetime(starts, "EEEE d MMMM y, HH:mm", tzinfo=starts.tzinfo, locale=locale)
    if starts.date() == ends.date():
        return f"{start}–{format_time(ends, 'HH:mm', tzinfo=ends.tzinfo, locale=locale)}"
    return f"{start} – {format_datetime(ends, 'EEEE d MMMM y, HH:mm', tzinfo=ends.tzinfo, locale=locale)}"


def _event_or_404(event_id: int) -> Event:
    """A live (not cancelled) event."""
    event = db.session.get(Event, event_id)
    if event is None or event.cancelled_at is not None:
        abort(404, description="no such event")
    return event


def shown(event: Event, user_id: int | None) -> dict:
    """What a page shows of one event for one learner: times on its own clock, places, their state."""
    starts, ends = ops.local_times(event)
    counts = ops.counts(event.id)
    row = ops.enrolment_of(event.id, user_id) if user_id else None
    return {"event": event, "title": pick(event.title), "description": pick(event.description),
            "starts": starts, "ends": ends, "when": when(starts, ends),
            "enrolled": counts[ENROLLED], "waiting": counts[WAITING], "free": max(event.capacity - counts[ENROLLED], 0),
            "mine": row if row is not None and row.status in (ENROLLED, WAITING) else None,
            "position": ops.waiting_position(row) if row is not None else None}


def module_events(module_id: str) -> list[dict]:
    """The module page's list: its upcoming events and those of the courses (bundles) that list it,
    with the launched learner's place at each. One statement for a module without events."""
    launch = current_launch()
    found = ops.visible_upcoming([module_id], launch.context_pk if launch else None)
    return [shown(e, launch.user_id if launch else None) for e in found]


@bp.get("/<int:event_id>")
def event_page(event_id: int):
    """One event: when, where, places left, and the launched learner's enrolment."""
    event = _event_or_404(event_id)
    launch = current_launch()
    return render_template("events/event.html", item=shown(event, launch.user_id if launch else None),
                           mail_on=mail.configured(), mail_failed=request.args.get("mail") == "failed",
                           **_accreditation(event))


def _accreditation(event: Event) -> dict:
    """The event's accredited activities, for the claim link."""
    return {"accredited": activities_of(event.id), "registers": REGISTERS}


@bp.post("/<int:event_id>/enrol")
@launch_required()
def enrol(event_id: int):
    """Take a place (or a place on the waiting list); a confirmation goes out if mail is set up."""
    require_genuine_form()
    event = _event_or_404(event_id)
    launch = current_launch()
    user = db.session.get(User, launch.user_id)
    try:
        row = ops.enrol(event.id, launch.user_id, launch.resource_link_pk, user.email if mail.configured() else None)
    except ops.EnrolmentRefused as refused:
        raise EnrolmentRefusal(event, refused.reason) from None
    failed = row.status == ENROLLED and not _confirm(event, row, user)
    return redirect_with("event-enrolled" if row.status == ENROLLED else "event-waiting", "events.event_page",
                         event_id=event.id, **({"mail": "failed"} if failed else {}))


class EnrolmentRefusal(Refusal):
    """An enrolment the event no longer takes (ended or cancelled), on the event's own page that says so."""

    def __init__(self, event: Event, reason: str) -> None:
        launch = current_launch()
        message = _("This event has ended.") if reason == "ended" else _("This event is cancelled.")
        super().__init__(409, f"event_{reason}", template="events/event.html",
                         item=shown(event, launch.user_id if launch else None), mail_on=mail.configured(),
                         refused=message, mail_failed=False, **_accreditation(event))


def _confirm(event: Event, row, user: User) -> bool:
    """Mail the confirmation with the invitation when mail is configured and the learner has an
    address; True when nothing had to be sent or it was sent."""
    if not mail.configured() or not user.email:
        return True
    lang = content_lang()
    title = pick(event.title, lang)
    starts, _ends = ops.local_times(event)
    body = _("You are enrolled for %(title)s on %(when)s (%(tz)s). Where: %(where)s. The invitation is attached.",
             title=title, when=starts.strftime("%Y-%m-%d %H:%M"), tz=event.timezone,
             where=event.location or event.online_url)
    ics = ical.invitation(event, row, lang, _page_url(event))
    return mail.send(user.email, _("Enrolled: %(title)s", title=title), body, ics)


def _page_url(event: Event) -> str:
    """The event's page as a link for a calendar (no launch token in it)."""
    return url_for("events.event_page", event_id=event.id, lt=None, _external=True)


@bp.post("/<int:event_id>/cancel")
@launch_required()
def cancel(event_id: int):
    """Give up the place; the first on the waiting list moves up."""
    require_genuine_form()
    event = _event_or_404(event_id)
    ops.cancel(event.id, current_launch().user_id)
    return redirect_with("event-cancelled", "events.event_page", event_id=event.id)


@bp.get("/<int:event_id>/invitation.ics")
@launch_required()
def invitation(event_id: int):
    """The learner's own calendar invitation (only with a seat)."""
    event = _event_or_404(event_id)
    row = ops.enrolment_of(event.id, current_launch().user_id)
    if row is None or row.status != ENROLLED:
        abort(404, description="you have no place at this event")
    body = ical.invitation(event, row, content_lang(), _page_url(event))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="event-{event.id}.ics"'})


def _placement_module():
    """The instructor's placement's live module; 404 without one."""
    launch = current_launch()
    link = db.session.get(ResourceLink, launch.resource_link_pk) if launch.resource_link_pk else None
    module = live_module(link.module_id) if link and link.module_id else None
    if module is None:
        abort(404, description="this launch has no module placement")
    return module


@bp.route("/manage", methods=["GET", "POST"])
@launch_required("instructor")
def manage():
    """The placement module's events with their enrolments, and a form for a new one."""
    module = _placement_module()
    launch = current_launch()
    error, values = None, {}
    if request.method == "POST":
        require_genuine_form()
        values, form = request.form, EventForm()      # the page is filled again with what was typed
        error = form.first_error() if not form.validate() else None
        if error is None:
            try:
                ops.create(form.fields(), source="instructor", created_by=launch.user_name or f"user {launch.user_id}",
                           module_id=module.id, organiser_user_id=launch.user_id, context_pk=launch.context_pk)
                db.session.commit()
                return redirect_with("event-created", "events.manage")
            except ops.EventInvalid as invalid:
                db.session.rollback()
                error = {"field": invalid.field, "message": message_for(invalid)}
    items = [dict(shown(e, None), people=_people(e)) for e in ops.upcoming(module.id)]
    return render_template("events/manage.html", module=module, title=pick(module.current_version.content["title"]),
                           items=items, modes=MODES, error=error, values=values,
                           default_organiser=launch.user_name or ""), 422 if error else 200


def _people(event: Event) -> dict:
    """Who is enrolled and who waits, in order (for the organiser)."""
    rows = list(db.session.scalars(select(Enrolment).where(Enrolment.event_id == event.id,
                                                           Enrolment.status.in_((ENROLLED, WAITING)))
                                   .order_by(Enrolment.queued_at, Enrolment.id)))
    return {"enrolled": [r for r in rows if r.status == ENROLLED], "waiting": [r for r in rows if r.status == WAITING]}

