"""Whether a learner has met an activity's completion rule, and the facts a record would carry.

The rule is data on the activity (`Activity.rule`), any combination of:
    lessons      every lesson of every module of the activity marked done
    activities   every case assignment and the reflection of every module answered (the work that
                 makes up most of a module's study load, courses/README.md "Study load")
    post_test    the post-test of every module passed (at `pass_mark` if given, else the quiz's)
    evaluation   the course evaluation submitted
    attestation  the time actually spent attested; points are capped by it and by the accredited
                 maximum
    attendance   for an activity of an event (`event_id`): the attendance rule of elearn.events.attendance
and always: completed within the activity's validity period.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from elearn.accreditation.models import Activity, Attestation, EvaluationDone
from elearn.catalog.models import Module
from elearn.events import attendance
from elearn.events.models import Event
from elearn.extensions import db
from elearn.learning.activities import activities_complete
from elearn.learning.models import LessonProgress
from elearn.quizzes.models import Attempt

RULE_KEYS = ("lessons", "activities", "post_test", "evaluation", "attestation")


@dataclass
class Requirement:
    """One part of the rule and whether it is met."""

    key: str
    met: bool
    detail: dict = field(default_factory=dict)


@dataclass
class Status:
    """Every requirement, and whether the whole rule is met today."""

    requirements: list[Requirement]
    within_period: bool
    facts: dict

    @property
    def complete(self) -> bool:
        """All requirements met, within the validity period."""
        return self.within_period and all(r.met for r in self.requirements)


def lessons_done(user_id: int, module: Module) -> tuple[int, int]:
    """(done, total) lessons of the module's current version."""
    lessons = [lesson["id"] for lesson in module.current_version.content["lessons"].get("nl", [])]
    done = set(db.session.scalars(select(LessonProgress.lesson_id).where(
        LessonProgress.user_id == user_id, LessonProgress.module_id == module.id,
        LessonProgress.completed_at.is_not(None))))
    return len(done & set(lessons)), len(lessons)


def best_attempt(user_id: int, module_id: str, pass_mark: float | None) -> Attempt | None:
    """The learner's best finished attempt at the module's post-test, in any placement."""
    attempts = [a for a in db.session.scalars(select(Attempt).where(
        Attempt.user_id == user_id, Attempt.module_id == module_id, Attempt.finished_at.is_not(None)))]
    if not attempts:
        return None
    return max(attempts, key=lambda a: (_passes(a, pass_mark), a.percent, -a.id))


def _passes(attempt: Attempt, pass_mark: float | None) -> bool:
    """Passed at the activity's own pass mark when it sets one, else at the quiz's."""
    return attempt.percent >= pass_mark if pass_mark is not None else bool(attempt.passed)


def _event_status(activity: Activity, user_id: int, today: date) -> Status:
    """An event's activity: the attendance rule (elearn.events.attendance) instead of modules."""
    event = db.session.get(Event, activity.event_id)
    if event is None:
        return Status([Requirement("attendance", False)], False, {})
    got, facts = attendance.event_facts(activity, event, user_id)
    requirement = Requirement("attendance", got.met, {"minutes": got.attended, "planned": got.planned,
                                                      "percent": round(got.percent)})
    return Status([requirement], activity.valid_from <= today <= activity.valid_until, facts)


def quarter_hours(minutes: int) -> float:
    """Minutes as hours, rounded down to a quarter (how registers count accreditation hours)."""
    return math.floor(minutes / 15) / 4


def status(activity: Activity, user_id: int, today: date | None = None) -> Status:
    """Evaluate the rule for one learner now."""
    today = today or date.today()
    if activity.event_id is not None:
        return _event_status(activity, user_id, today)
    rule = activity.rule or {}
    modules = [m for m in (db.session.get(Module, i) for i in activity.module_ids) if m is not None]
    requirements: list[Requirement] = []
    versions, percents = {}, []
    if rule.get("lessons"):
        counts = [lessons_done(user_id, m) for m in modules]
        requirements.append(Requirement("lessons", all(d >= t for d, t in counts),
                                        {"done": sum(d for d, _ in counts), "total": sum(t for _, t in counts)}))
    if rule.get("activities"):
        requirements.append(Requirement("activities", all(activities_complete(user_id, m) for m in modules)))
    best = {m.id: best_attempt(user_id, m.id, rule.get("pass_mark")) for m in modules}
    for module_id, attempt in best.items():
        if attempt is not None:
            versions[module_id] = attempt.version.number
            percents.append(attempt.percent)
    if rule.get("post_test"):
        passed = all(a is not None and _passes(a, rule.get("pass_mark")) for a in best.values())
        requirements.append(Requirement("post_test", passed and bool(best),
                                        {"percent": min(percents) if percents else None}))
    if rule.get("evaluation"):
        done = db.session.scalar(select(EvaluationDone.id).filter_by(user_id=user_id, activity_id=activity.id))
        requirements.append(Requirement("evaluation", done is not None))
    attested = db.session.scalar(select(Attestation.minutes).filter_by(user_id=user_id, activity_id=activity.id))
    if rule.get("attestation"):
        requirements.append(Requirement("attestation", attested is not None, {"minutes": attested}))
    points = activity.points
    if rule.get("attestation") and attested is not None:
        points = min(activity.points, quarter_hours(min(attested, activity.study_load_minutes)))
    facts = {"activity_id": activity.id, "activity_title": activity.title, "register": activity.register,
             "accreditation_id": activity.accreditation_id, "points": points, "points_kind": activity.points_kind,
             "completed_on": today.isoformat(), "post_test_percent": min(percents) if percents else None,
             "module_versions": versions, "evaluation_done": any(r.key == "evaluation" and r.met for r in requirements),
             "attested_minutes": attested, "provider": "VBHC Academy"}
    return Status(requirements, activity.valid_from <= today <= activity.valid_until, facts)
