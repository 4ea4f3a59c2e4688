"""Event attendance to the LMS gradebook, through the same outbox and worker as post-test scores.

Where it goes: the learner's most recent launch of the event's module (for a course's event, of one
of the course's modules; for an event an instructor made, in that instructor's LMS course) from a
placement whose AGS claim lets the tool make columns and post scores. No such launch: no score,
and no error (the event works without an LMS gradebook).

The column: one line item per event in each LMS course (resourceId `event-<id>`, tag `vbhc-event`,
not tied to a resource link, so every placement of the course shares it), labelled with the event's
title in the course's language (grades.language). It is found or created once per course, the
first time a score of that event goes there, and then read from the deliveries that went before.

The score: the share of the planned minutes attended, 0–100 (absent 0, arrived 30 minutes late at a
3-hour workshop 83.3), activityProgress Completed, gradingProgress FullyGraded, with a comment in the
course's language. Accreditation points follow the activity's own rule in the ledger; the gradebook
shows attendance, which every event has. A changed attendance (the organiser's correction) is a new
row with the next event_seq and a later timestamp; an unchanged one writes nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from elearn.catalog.labels import pick
from elearn.catalog.models import Course
from elearn.extensions import db
from elearn.grades.errors import Parked
from elearn.grades.language import gradebook_language
from elearn.grades.models import GradeDelivery
from elearn.launch.models import LaunchSession, ResourceLink, User
from lti import claims as C
from lti.models import as_utc, utcnow
from lti.services import LineItem, Score, create_line_item, find_line_item, score_timestamp

TAG = "vbhc-event"
SCORE_MAXIMUM = 100
EVENT_LINE_ITEM_LOCK = 0x7662_6332   # advisory-lock namespace ("vbc2") for finding/creating an event's column
RECENT_LAUNCHES = 50                 # how far back a learner's launches are looked through for a placement


def resource_id(event_id: int) -> str:
    """The line item's resourceId of an event."""
    return f"event-{event_id}"


def can_grade(link: ResourceLink | None) -> bool:
    """The placement's AGS claim gave a line item container and the line item and score scopes."""
    scope = (link.ags_scope or []) if link is not None else []
    return bool(link is not None and link.ags_lineitems_url and C.SCOPE_LINEITEM in scope and C.SCOPE_SCORE in scope)


def _modules_of(event) -> list[str]:
    """The modules whose placements an event's score may go to."""
    if event.module_id:
        return [event.module_id]
    course = db.session.get(Course, event.course_id) if event.course_id else None
    return list((course.data or {}).get("modules", [])) if course is not None else []


def placement_for(event, user_id: int) -> ResourceLink | None:
    """The placement of the learner's most recent launch of the event's module(s) that can take scores."""
    modules = _modules_of(event)
    if not modules:
        return None
    query = (select(LaunchSession.resource_link_pk).join(ResourceLink, ResourceLink.id == LaunchSession.resource_link_pk)
             .where(LaunchSession.user_id == user_id, ResourceLink.module_id.in_(modules)))
    if event.context_pk is not None:      # an instructor's event belongs to their LMS course
        query = query.where(ResourceLink.context_pk == event.context_pk)
    seen = set()
    for link_pk in db.session.scalars(query.order_by(LaunchSession.created_at.desc(), LaunchSession.id.desc())
                                      .limit(RECENT_LAUNCHES)):
        if link_pk in seen:
            continue
        seen.add(link_pk)
        link = db.session.get(ResourceLink, link_pk)
        if can_grade(link):
            return link
    return None


def _latest(event_id: int, user_id: int) -> GradeDelivery | None:
    return db.session.scalar(select(GradeDelivery).where(GradeDelivery.event_id == event_id,
                                                         GradeDelivery.user_id == user_id)
                             .order_by(GradeDelivery.event_seq.desc()).limit(1))


def _comment(event, attended: int, planned: int, percent: float, lang: str) -> str:
    with force_locale(lang):
        return gettext("%(event)s: attended %(attended)s of %(planned)s minutes (%(percent)s%%).",
                       event=pick(event.title, lang), attended=attended, planned=planned, percent=f"{percent:g}")


def enqueue(event, user_id: int, attended: int, planned: int, now: datetime | None = None) -> GradeDelivery | None:
    """Queue the learner's attendance score of the event: attended of planned minutes, as events
    counts them (grades sit downstream of events: the caller passes them in, as quizzes pass the
    counting attempt). The caller commits, in the transaction that changed the attendance; None when
    no placement can take it or the score did not change."""
    link = placement_for(event, user_id)
    if link is None:
        return None
    now = as_utc(now or utcnow())
    percent = round(100.0 * attended / planned, 1) if planned else 0.0
    user = db.session.get(User, user_id)
    comment = _comment(event, attended, planned, percent, gradebook_language(link, user))
    last = _latest(event.id, user_id)
    if last is not None and last.resource_link_pk == link.id and last.body.get("scoreGiven") == percent \
            and last.body.get("comment") == comment:
        return None
    moment = now
    if last is not None:   # strictly newer, by a whole second at least (Moodle compares to the second)
        moment = max(moment, datetime.fromisoformat(last.body["timestamp"]) + timedelta(seconds=1))
    score = Score(user_id=user.sub, score_given=percent, score_maximum=SCORE_MAXIMUM,
                  timestamp=score_timestamp(moment), comment=comment)
    row = GradeDelivery(attempt_id=None, event_id=event.id, event_seq=(last.event_seq + 1) if last else 1,
                        resource_link_pk=link.id, user_id=user_id, body=score.to_json(), next_try_at=now)
    db.session.add(row)
    return row


def line_item_for(delivery: GradeDelivery, conn) -> str:
    """The event's column in the placement's LMS course: one a delivery before found, else one the
    LMS has (resourceId, tag), else a new one. One worker at a time per event finds or creates it."""
    link = db.session.get(ResourceLink, delivery.resource_link_pk)
    if not can_grade(link):
        raise Parked("the LMS gave this placement no line item service (AGS) for an event's column")
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(EVENT_LINE_ITEM_LOCK, delivery.event_id)))
    known = db.session.scalar(
        select(GradeDelivery.lineitem_url).join(ResourceLink, ResourceLink.id == GradeDelivery.resource_link_pk)
        .where(GradeDelivery.event_id == delivery.event_id, GradeDelivery.lineitem_url.is_not(None),
               ResourceLink.ags_lineitems_url == link.ags_lineitems_url)
        .order_by(GradeDelivery.id.desc()).limit(1))
    if known:
        return known
    found = find_line_item(conn, link.ags_lineitems_url, resource_id=resource_id(delivery.event_id), tag=TAG)
    if found is None:
        found = create_line_item(conn, link.ags_lineitems_url, _new_line_item(delivery, link))
    return found.id


def _new_line_item(delivery: GradeDelivery, link: ResourceLink) -> LineItem:
    """The event's column: its title in the course's language."""
    lang = gradebook_language(link, db.session.get(User, delivery.user_id))
    return LineItem(id=None, label=pick(delivery.event.title, lang), score_maximum=float(SCORE_MAXIMUM),
                    resource_id=resource_id(delivery.event_id), tag=TAG)
