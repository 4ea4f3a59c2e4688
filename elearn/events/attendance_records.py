"""What follows a change of attendance: the accreditation record written or corrected, the score sent.

Kept out of events.attendance, which accreditation.completion reads for an event's rule: writing
records goes through accreditation.operations, which imports completion, so attendance itself stays
below accreditation and the views that record attendance call this afterwards.
"""
from __future__ import annotations

from elearn.accreditation import ledger, operations
from elearn.events.attendance import activities_of, event_facts
from elearn.events.models import Event
from elearn.grades.worker import kick_inline


def after_attendance(event: Event, user_id: int, by: str = "check-in (QR code)") -> None:
    """Attendance changed (its score is queued already, see attendance.queue_score): deliver that score
    soon, write the record when the rule is now met, correct it when the points changed after it was written."""
    for activity in activities_of(event.id):
        existing = ledger.find_record(activity.id, user_id)
        if existing is None:
            operations.try_record(activity, user_id)
            continue
        got, _facts = event_facts(activity, event, user_id)
        current = ledger.current_facts(existing.record_code)
        if current.get("points") != got.points or current.get("attended_minutes") != got.attended:
            ledger.correct(existing.record_code, {"points": got.points, "attended_minutes": got.attended},
                           reason="attendance corrected by the organiser", by=by)
    kick_inline()
