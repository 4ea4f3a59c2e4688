"""The course roster from the LMS (NRPS) joined with what each learner did in the tool.

The first read pages through the whole membership container; it keeps the platform's
`rel="differences"` link, so later reads fetch only the members who changed (joined, left,
renamed). If the LMS cannot be reached, the last roster is shown with a warning.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import requests
from sqlalchemy import select

from elearn.accreditation.models import Activity, LedgerEntry
from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.instructor.models import ACTIVE, DELETED, RosterMember, RosterSync
from elearn.launch.models import Context, LaunchSession, ResourceLink, User
from elearn.launch.stores import service_connector
from elearn.learning import activities as acts
from elearn.learning import lesson_time
from elearn.learning.models import ActivityResponse, LessonProgress
from elearn.quizzes.attempts import settings_for
from elearn.quizzes.models import Attempt
from lti.models import Platform, utcnow
from lti.roles import normalise_roles
from lti.services import ServiceError, roster

NOT_STARTED, IN_PROGRESS, PASSED, NOT_PASSED = "not_started", "in_progress", "passed", "not_passed"
STAGES = (NOT_STARTED, IN_PROGRESS, NOT_PASSED, PASSED)


# What sync() returns when the LMS offers no roster at all (Open edX without NRPS, a course that has
# not enabled it): not a failure to retry, so the dashboard says so in its own words.
NO_ROSTER_SERVICE = "no-roster-service"


def sync(context: Context) -> str | None:
    """Bring the stored roster up to date from the LMS; the error to show, NO_ROSTER_SERVICE, or None."""
    state = db.session.get(RosterSync, context.id) or RosterSync(context_pk=context.id)
    if not context.nrps_memberships_url:
        return NO_ROSTER_SERVICE
    platform = db.session.get(Platform, context.platform_id)
    conn = service_connector(platform)
    try:
        members, differences = roster(conn, state.differences_url or context.nrps_memberships_url)
    except (ServiceError, requests.RequestException, ValueError) as exc:
        state.last_error = f"{type(exc).__name__}: {exc}"[:500]
        db.session.merge(state)
        db.session.commit()
        return state.last_error
    stored = {m.sub: m for m in db.session.scalars(select(RosterMember).filter_by(context_pk=context.id))}
    if state.differences_url is None:           # a full read: whoever is not in it has left
        for sub in set(stored) - {m.user_id for m in members}:
            db.session.delete(stored.pop(sub))
    for member in members:
        row = stored.get(member.user_id)
        if member.status == DELETED:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = RosterMember(context_pk=context.id, sub=member.user_id)
            db.session.add(row)
        row.name, row.given_name, row.family_name = member.name, member.given_name, member.family_name
        row.email, row.roles, row.status = member.email, list(member.roles), member.status
    state.differences_url, state.synced_at, state.last_error = differences, utcnow(), None
    db.session.merge(state)
    db.session.commit()
    return None


@dataclass
class ModuleProgress:
    """One learner in one module: stage, counting score, attempts, minutes on the post-test and on
    the lessons, cases and reflection answered."""

    stage: str = NOT_STARTED
    score: float | None = None
    attempts: int = 0
    minutes: int = 0
    lesson_minutes: int = 0
    activities_done: int = 0
    activities_total: int = 0         # 0: the module has no activities
    grade: str | None = None          # the latest grade delivery's status
    accredited: bool = False          # points recorded for an accredited activity with this module


@dataclass
class LearnerRow:
    """A roster member (learner) with progress per module of the course."""

    member: RosterMember
    launched: bool
    modules: dict[str, ModuleProgress] = field(default_factory=dict)


def course_progress(context: Context) -> tuple[list[Module], list[LearnerRow]]:
    """The course's modules (its placements) and every learner of the roster with their progress."""
    links = list(db.session.scalars(select(ResourceLink).where(
        ResourceLink.context_pk == context.id, ResourceLink.module_id.is_not(None)).order_by(ResourceLink.id)))
    module_ids = list(dict.fromkeys(link.module_id for link in links))
    modules = [m for m in (db.session.get(Module, i) for i in module_ids) if m is not None]
    if context.nrps_memberships_url:
        members = [m for m in db.session.scalars(select(RosterMember).filter_by(context_pk=context.id))
                   if m.status == ACTIVE and "learner" in normalise_roles(m.roles)]
    else:
        members = launched_learners(context)
    users = {u.sub: u for u in db.session.scalars(select(User).where(
        User.platform_id == context.platform_id, User.sub.in_([m.sub for m in members])))}
    rows = []
    for member in sorted(members, key=lambda m: ((m.family_name or m.name or m.sub).lower(), m.sub)):
        user = users.get(member.sub)
        row = LearnerRow(member, user is not None)
        for module in modules:
            row.modules[module.id] = _progress(user, module, [link for link in links if link.module_id == module.id])
        rows.append(row)
    return modules, rows


def launched_learners(context: Context) -> list[RosterMember]:
    """Without a roster service the course's learners are those who launched the tool in it as a
    learner: unsaved RosterMember rows built from their launches (names as the LMS last sent them)."""
    users = db.session.execute(
        select(User).join(LaunchSession, LaunchSession.user_id == User.id)
        .where(LaunchSession.context_pk == context.id, LaunchSession.roles.contains("learner")).distinct()
    ).scalars()
    return [RosterMember(context_pk=context.id, sub=u.sub, name=u.name, given_name=u.given_name,
                         family_name=u.family_name, email=u.email, roles=["learner"], status=ACTIVE)
            for u in users]


def _progress(user: User | None, module: Module, links: list[ResourceLink]) -> ModuleProgress:
    """Stage and figures of one learner in one module, over its placements in this course."""
    progress = ModuleProgress()
    if user is None:
        return progress
    link_ids = [link.id for link in links]
    attempts = list(db.session.scalars(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.module_id == module.id, Attempt.resource_link_pk.in_(link_ids))))
    opened = db.session.scalar(select(LessonProgress.id).filter_by(user_id=user.id, module_id=module.id).limit(1))
    progress.attempts = len(attempts)
    progress.lesson_minutes = lesson_time.minutes(lesson_time.seconds_of(user.id, module.id, link_ids))
    content = module.current_version.content
    answered = set(db.session.scalars(select(ActivityResponse.activity_id).where(
        ActivityResponse.user_id == user.id, ActivityResponse.module_id == module.id,
        ActivityResponse.resource_link_pk.in_(link_ids))))
    progress.activities_total = len(acts.writable(content))
    progress.activities_done = acts.done_count(content, answered)
    progress.minutes = round(sum(((a.finished_at or utcnow()) - a.started_at).total_seconds()
                                 for a in attempts) / 60)
    counting = [settings_for(link, module.current_version.quiz).counting_attempt(
        [a for a in attempts if a.resource_link_pk == link.id]) for link in links]
    counting = [c for c in counting if c is not None]
    if counting:
        best = max(counting, key=lambda a: a.percent)
        progress.score = best.percent
        progress.stage = PASSED if any(c.passed for c in counting) else NOT_PASSED
        delivery = db.session.scalar(select(GradeDelivery).where(GradeDelivery.attempt_id.in_(
            [a.id for a in attempts])).order_by(GradeDelivery.id.desc()).limit(1))
        progress.grade = delivery.status if delivery else None
    elif attempts or opened or answered or progress.lesson_minutes:
        progress.stage = IN_PROGRESS
    recorded = db.session.scalars(select(Activity.module_ids).join(LedgerEntry, LedgerEntry.activity_id == Activity.id)
                                  .where(LedgerEntry.user_id == user.id, LedgerEntry.kind == "record"))
    progress.accredited = any(module.id in module_ids for module_ids in recorded)
    return progress


def stage_counts(modules: list[Module], rows: list[LearnerRow]) -> dict[str, dict[str, int]]:
    """Per module, how many learners are at each stage (for the dashboard's bars)."""
    return {m.id: {s: sum(1 for r in rows if r.modules[m.id].stage == s) for s in STAGES} for m in modules}
