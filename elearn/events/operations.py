"""Create events and keep their enrolments: enrol, waiting list, cancel with automatic move-up.

Every change of an event's seats first UPDATEs the event row (`seats_version`): on PostgreSQL that
is a row lock held to the commit, on SQLite the database's write lock, so two learners taking the
last seat at once are serialised and the capacity is never exceeded.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select, update

from elearn.catalog.models import Course
from elearn.events.models import CANCELLED, DEFAULT_TIMEZONE, ENROLLED, MODES, WAITING, Enrolment, Event
from elearn.extensions import db
from lti.models import as_utc, utcnow

MAX_CAPACITY = 10000
MAX_HOURS = 14 * 24          # a multi-day programme at most two weeks long


class EventInvalid(ValueError):
    """A field of an event is not acceptable; `field` names it (the form shows the message there)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`; EventInvalid for one that does not exist."""
    if not name or name not in _zone_names():
        raise EventInvalid("timezone", f"unknown time zone '{name}' (an IANA name such as {DEFAULT_TIMEZONE})")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise EventInvalid("timezone", f"unknown time zone '{name}'") from error


def _zone_names() -> set[str]:
    """Every IANA zone name this machine knows (read once)."""
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


_ZONES: set[str] = set()


def local_to_utc(text: str, tz: ZoneInfo, field: str) -> datetime:
    """'2027-03-11T13:30' (or '2027-03-11 13:30') on the wall clock of `tz` as UTC; a time that does
    not exist there (skipped by the spring clock change) or a date that does not exist is refused."""
    try:
        naive = datetime.fromisoformat(str(text).strip().replace(" ", "T"))
    except ValueError as error:
        raise EventInvalid(field, f"'{text}' is not a date and time (write 2027-03-11T13:30)") from error
    if naive.tzinfo is not None:
        raise EventInvalid(field, "give the local time without an offset; the time zone says where")
    local = naive.replace(tzinfo=tz)
    back = local.astimezone(timezone.utc).astimezone(tz)
    if back.replace(tzinfo=None) != naive:
        raise EventInvalid(field, f"{naive:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks go forward then)")
    return local.astimezone(timezone.utc)


@dataclass
class EventFields:
    """What a form or a course file gives for an event, before it is checked."""

    mode: str
    title: dict
    description: dict
    starts: str
    ends: str
    timezone: str = DEFAULT_TIMEZONE
    location: str | None = None
    online_url: str | None = None
    capacity: int | str = 20
    organiser: str = ""


def checked(fields: EventFields) -> dict:
    """The column values of a valid event; EventInvalid names the first field that is not."""
    if fields.mode not in MODES:
        raise EventInvalid("mode", f"mode must be one of {', '.join(MODES)}")
    for key in ("title", "description"):
        texts = getattr(fields, key) or {}
        for lang in ("nl", "en"):
            value = (texts.get(lang) or "").strip()
            if not value:
                raise EventInvalid(f"{key}_{lang}", f"give the {key} in {'Dutch' if lang == 'nl' else 'English'}")
            if len(value) > (200 if key == "title" else 4000):
                raise EventInvalid(f"{key}_{lang}", f"the {key} is too long")
    tz = zone(fields.timezone or DEFAULT_TIMEZONE)
    starts = local_to_utc(fields.starts, tz, "starts")
    ends = local_to_utc(fields.ends, tz, "ends")
    if ends <= starts:
        raise EventInvalid("ends", "the event must end after it starts")
    if ends - starts > timedelta(hours=MAX_HOURS):
        raise EventInvalid("ends", "an event lasts at most two weeks")
    location = (fields.location or "").strip() or None
    online_url = (fields.online_url or "").strip() or None
    if not location and not online_url:
        raise EventInvalid("location", "give a location or an online link")
    if online_url and not online_url.startswith("https://"):
        raise EventInvalid("online_url", "the online link must start with https://")
    try:
        capacity = int(str(fields.capacity).strip())
    except ValueError as error:
        raise EventInvalid("capacity", "the capacity is a whole number of places") from error
    if not 1 <= capacity <= MAX_CAPACITY:
        raise EventInvalid("capacity", f"the capacity is between 1 and {MAX_CAPACITY} places")
    organiser = " ".join((fields.organiser or "").split())
    if not 2 <= len(organiser) <= 200:
        raise EventInvalid("organiser", "name the organiser")
    return {"mode": fields.mode, "title": {k: fields.title[k].strip() for k in ("nl", "en")},
            "description": {k: fields.description[k].strip() for k in ("nl", "en")},
            "starts_at": starts, "ends_at": ends, "timezone": tz.key, "location": location,
            "online_url": online_url, "capacity": capacity, "organiser": organiser}


def create(fields: EventFields, *, source: str, created_by: str, module_id: str | None = None,
           course_id: str | None = None, organiser_user_id: int | None = None, context_pk: int | None = None,
           source_key: str | None = None) -> Event:
    """A new event from checked fields (the caller commits)."""
    if not module_id and not course_id:
        raise EventInvalid("module", "an event belongs to a module or a course")
    event = Event(source=source, created_by=created_by, module_id=module_id, course_id=course_id,
                  organiser_user_id=organiser_user_id, context_pk=context_pk, source_key=source_key,
                  **checked(fields))
    db.session.add(event)
    db.session.flush()
    return event


def upcoming(module_id: str | None = None, any_course: bool = False, now: datetime | None = None) -> list[Event]:
    """Events of a module (with `any_course`, also every course's, for the caller to pick the courses
    the module is in) not yet ended and not cancelled, soonest first."""
    now = now or utcnow()
    owner = Event.module_id == module_id
    if any_course:
        owner = owner | Event.course_id.is_not(None)
    return list(db.session.scalars(select(Event).where(owner, Event.ends_at > now, Event.cancelled_at.is_(None))
                                   .order_by(Event.starts_at, Event.id)))


def visible_upcoming(module_ids: list[str], context_pk: int | None, now: datetime | None = None) -> list[Event]:
    """Upcoming, not cancelled events of these modules and of the courses (bundles) that list one of
    them, as a launch from the LMS course `context_pk` may see them: every event from a course file
    or the administrator, and an instructor's events of that LMS course only. Soonest first."""
    wanted = set(module_ids)
    if not wanted:
        return []
    now = now or utcnow()
    found = list(db.session.scalars(select(Event).where(
        Event.module_id.in_(wanted) | Event.course_id.is_not(None), Event.ends_at > now,
        Event.cancelled_at.is_(None)).order_by(Event.starts_at, Event.id)))
    if any(e.course_id for e in found):
        courses = {c.id for c in db.session.scalars(select(Course).where(Course.retired_at.is_(None)))
                   if wanted & set((c.data or {}).get("modules", []))}
        found = [e for e in found if e.module_id in wanted or e.course_id in courses]
    return [e for e in found if e.source != "instructor" or (context_pk is not None and e.context_pk == context_pk)]


def counts(event_id: int) -> dict[str, int]:
    """How many are enrolled and waiting."""
    rows = db.session.execute(select(Enrolment.status, func.count()).where(Enrolment.event_id == event_id)
                              .group_by(Enrolment.status)).all()
    found = dict(rows)
    return {ENROLLED: found.get(ENROLLED, 0), WAITING: found.get(WAITING, 0)}


def enrolment_of(event_id: int, user_id: int) -> Enrolment | None:
    """The learner's enrolment at this event, in whatever state."""
    return db.session.scalar(select(Enrolment).filter_by(event_id=event_id, user_id=user_id))


def _lock(event_id: int) -> Event:
    """Take the event's row lock (see the module docstring) and return it fresh."""
    db.session.execute(update(Event).where(Event.id == event_id).values(seats_version=Event.seats_version + 1)
                       .execution_options(synchronize_session=False))
    event = db.session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise LookupError(event_id)
    return event


def _enrolled_count(event_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment)
                             .where(Enrolment.event_id == event_id, Enrolment.status == ENROLLED))


class EnrolmentRefused(ValueError):
    """The event cannot be enrolled in now (`reason`: ended, cancelled)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def enrol(event_id: int, user_id: int, resource_link_pk: int | None, email: str | None = None) -> Enrolment:
    """A seat if one is free, else a place at the end of the waiting list; once per learner (commits)."""
    event = _lock(event_id)
    if event.cancelled_at is not None or as_utc(event.ends_at) <= utcnow():
        db.session.rollback()
        raise EnrolmentRefused("cancelled" if event.cancelled_at is not None else "ended")
    row = enrolment_of(event_id, user_id)
    if row is not None and row.status != CANCELLED:
        db.session.commit()
        return row                      # already there: enrolling twice changes nothing
    status = ENROLLED if _enrolled_count(event_id) < event.capacity else WAITING
    if row is None:
        row = Enrolment(event_id=event_id, user_id=user_id, uid=f"{secrets.token_hex(16)}@vbhc-academy")
        db.session.add(row)
    row.status, row.queued_at, row.cancelled_at, row.promoted_at = status, utcnow(), None, None
    row.resource_link_pk, row.email = resource_link_pk, email
    db.session.commit()
    return row


def cancel(event_id: int, user_id: int) -> Enrolment | None:
    """Give up a seat or a waiting place; the first on the waiting list takes a freed seat (commits).
    Returns the enrolment that moved up, if any."""
    event = _lock(event_id)
    row = enrolment_of(event_id, user_id)
    if row is None or row.status == CANCELLED:
        db.session.commit()
        return None
    row.status, row.cancelled_at = CANCELLED, utcnow()
    db.session.flush()
    promoted = fill_seats(event)
    db.session.commit()
    return promoted[0] if promoted else None


def fill_seats(event: Event) -> list[Enrolment]:
    """Move the waiting list up into free seats, first come first served (caller holds the lock)."""
    free = event.capacity - _enrolled_count(event.id)
    if free <= 0:
        return []
    moved = list(db.session.scalars(select(Enrolment).where(Enrolment.event_id == event.id, Enrolment.status == WAITING)
                                    .order_by(Enrolment.queued_at, Enrolment.id).limit(free)))
    for row in moved:
        row.status, row.promoted_at = ENROLLED, utcnow()
    db.session.flush()
    return moved


def waiting_position(row: Enrolment) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if row.status != WAITING:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.event_id == row.event_id, Enrolment.status == WAITING,
        (Enrolment.queued_at < row.queued_at) | ((Enrolment.queued_at == row.queued_at) & (Enrolment.id < row.id))))
    return ahead + 1


def local_times(event: Event) -> tuple[datetime, datetime]:
    """The event's start and end on the wall clock of its own time zone."""
    tz = ZoneInfo(event.timezone)
    return as_utc(event.starts_at).astimezone(tz), as_utc(event.ends_at).astimezone(tz)
