"""Attendance at an event: the organiser's rotating QR check-in code, check-in, the organiser's
corrections (with their audit trail), and what attendance earns under an activity's rule.

A check-in code is signed (itsdangerous, the app's secret, a salt of its own) and names its event;
the organiser's page shows a fresh one every EVENT_CHECKIN_ROTATE_SECONDS and each is accepted for
EVENT_CHECKIN_MAX_AGE seconds. Everyone in the room scans the same code, so "reused" means a second
presence of one person (refused, nothing written) or a code forwarded after it expired (refused).

The attendance rule is data on the Activity: {"attendance": {"min_percent": 80, "prorate": true}}:
below min_percent of the planned minutes no points; at or above it the full points, or with
`prorate` points × attended / planned minutes, rounded down to a quarter (accreditation hours).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from elearn.accreditation.models import Activity
from elearn.events.models import (ABSENT, ATTENDANCE_STATES, ENROLLED, LATE, LEFT_EARLY, PRESENT, Attendance,
                                  AttendanceChange, Event)
from elearn.events.operations import enrolment_of, local_times
from elearn.extensions import db
from elearn.grades import event_scores
from lti.models import as_utc, utcnow

OPENS_BEFORE = timedelta(minutes=30)    # check-in opens this long before the start
SALT = "vbhc-event-checkin"


class CheckInRefused(ValueError):
    """Why a check-in was refused: expired, forged, other-event, closed, not-enrolled, already."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def new_code(event: Event) -> str:
    """A fresh signed check-in code for the event (its time is part of the signature)."""
    return _serializer().dumps({"e": event.id})


def read_code(code: str, event: Event) -> None:
    """Accept the code for this event now, or raise CheckInRefused."""
    try:
        data = _serializer().loads(code, max_age=current_app.config["EVENT_CHECKIN_MAX_AGE"])
    except SignatureExpired:
        raise CheckInRefused("expired") from None
    except BadSignature:
        raise CheckInRefused("forged") from None
    if not isinstance(data, dict) or data.get("e") != event.id:
        raise CheckInRefused("other-event")


def is_open(event: Event, now: datetime | None = None) -> bool:
    """Check-in is open from OPENS_BEFORE the start until the end."""
    now = now or utcnow()
    return as_utc(event.starts_at) - OPENS_BEFORE <= now <= as_utc(event.ends_at)


def planned_minutes(event: Event) -> int:
    """The event's length in minutes."""
    return int((as_utc(event.ends_at) - as_utc(event.starts_at)).total_seconds() // 60)


def attended_minutes(event: Event, row: Attendance | None) -> int:
    """Minutes present: the planned length less arriving late and leaving early; 0 when absent."""
    if row is None or row.state == ABSENT:
        return 0
    return max(planned_minutes(event) - row.late_minutes - row.left_early_minutes, 0)


def of(event_id: int, user_id: int) -> Attendance | None:
    """The learner's attendance row at an event."""
    return db.session.scalar(select(Attendance).filter_by(event_id=event_id, user_id=user_id))


def _state(row: Attendance | None) -> dict | None:
    """An attendance as plain JSON for the audit trail."""
    if row is None:
        return None
    return {"state": row.state, "late_minutes": row.late_minutes, "left_early_minutes": row.left_early_minutes}


def check_in(event: Event, user_id: int, code: str, now: datetime | None = None) -> Attendance:
    """Record the learner's presence once, from a valid code of this event while check-in is open.
    The caller then runs events.attendance_records.after_attendance (records and score delivery)."""
    read_code(code, event)
    if not is_open(event, now):
        raise CheckInRefused("closed")
    enrolment = enrolment_of(event.id, user_id)
    if enrolment is None or enrolment.status != ENROLLED:
        raise CheckInRefused("not-enrolled")
    if of(event.id, user_id) is not None:
        raise CheckInRefused("already")
    row = Attendance(event_id=event.id, user_id=user_id, state=PRESENT, late_minutes=0, left_early_minutes=0,
                     checked_in_at=now or utcnow())
    db.session.add(row)
    db.session.add(AttendanceChange(event_id=event.id, user_id=user_id, changed_by="check-in (QR code)",
                                    before=None, after=_state(row)))
    queue_score(event, user_id)
    db.session.commit()     # a second check-in at the same moment fails on uq_event_attendance_once
    return row


class CorrectionInvalid(ValueError):
    """The organiser's correction is not acceptable (`field`)."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def correct(event: Event, user_id: int, state: str, late: str | int, left: str | int, by: str) -> Attendance:
    """The organiser sets a learner's attendance; the change goes into the audit trail. The caller
    then runs events.attendance_records.after_attendance (records and score delivery)."""
    if state not in ATTENDANCE_STATES:
        raise CorrectionInvalid("state")
    try:
        late_minutes = int(str(late or 0).strip() or 0) if state == LATE else 0
        left_minutes = int(str(left or 0).strip() or 0) if state == LEFT_EARLY else 0
    except ValueError:
        raise CorrectionInvalid("minutes") from None
    planned = planned_minutes(event)
    if not 0 <= late_minutes <= planned or not 0 <= left_minutes <= planned \
            or (state == LATE and not late_minutes) or (state == LEFT_EARLY and not left_minutes):
        raise CorrectionInvalid("minutes")
    row = of(event.id, user_id)
    before = _state(row)
    if row is None:
        row = Attendance(event_id=event.id, user_id=user_id)
        db.session.add(row)
    row.state, row.late_minutes, row.left_early_minutes = state, late_minutes, left_minutes
    if before != _state(row):
        db.session.add(AttendanceChange(event_id=event.id, user_id=user_id, changed_by=by, before=before,
                                        after=_state(row)))
    queue_score(event, user_id)
    db.session.commit()
    return row


def queue_score(event: Event, user_id: int) -> None:
    """The learner's attendance score into the grade outbox, in the transaction that changes the
    attendance (so a committed attendance always has its score queued, as a finished attempt has),
    when their launch of the module came from an LMS placement with AGS; see grades.event_scores."""
    db.session.flush()
    event_scores.enqueue(event, user_id, attended_minutes(event, of(event.id, user_id)), planned_minutes(event))


def changes(event_id: int) -> list[AttendanceChange]:
    """The event's attendance audit trail, newest first."""
    return list(db.session.scalars(select(AttendanceChange).filter_by(event_id=event_id)
                                   .order_by(AttendanceChange.id.desc())))


def quarter_points(points: float, attended: int, planned: int) -> float:
    """points × attended / planned, rounded down to a quarter."""
    if planned <= 0:
        return 0.0
    return math.floor(points * min(attended, planned) / planned * 4) / 4


@dataclass
class Earned:
    """What an event activity's rule gives one learner now."""

    met: bool
    points: float
    attended: int
    planned: int
    percent: float


def earned(activity, event: Event, user_id: int) -> Earned:
    """Apply the activity's attendance rule to the learner's attendance."""
    rule = (activity.rule or {}).get("attendance") or {}
    planned = planned_minutes(event)
    attended = attended_minutes(event, of(event.id, user_id))
    percent = 100.0 * attended / planned if planned else 0.0
    met = attended > 0 and percent >= float(rule.get("min_percent", 100))
    points = (quarter_points(activity.points, attended, planned) if rule.get("prorate") else activity.points) if met else 0.0
    return Earned(met and points > 0, points, attended, planned, percent)


def event_facts(activity, event: Event, user_id: int) -> tuple[Earned, dict]:
    """The requirement and the facts a record of this event activity carries."""
    got = earned(activity, event, user_id)
    starts, _ends = local_times(event)
    facts = {"activity_id": activity.id, "activity_title": activity.title, "register": activity.register,
             "accreditation_id": activity.accreditation_id, "points": got.points, "points_kind": activity.points_kind,
             "completed_on": starts.date().isoformat(), "post_test_percent": None, "module_versions": {},
             "evaluation_done": False, "attested_minutes": None, "provider": "VBHC Academy",
             "event_id": event.id, "event_mode": event.mode, "attended_minutes": got.attended,
             "planned_minutes": got.planned}
    return got, facts


def activities_of(event_id: int) -> list:
    """The accredited activities that point at this event."""
    return list(db.session.scalars(select(Activity).filter_by(event_id=event_id).order_by(Activity.id)))

