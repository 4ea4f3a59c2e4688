"""What an instructor sees of one placement: each learner's attempts, counting score, deliveries."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from elearn.extensions import db
from elearn.grades.models import PARKED, PENDING, GradeDelivery
from elearn.launch.models import LaunchSession, ResourceLink, User
from elearn.quizzes.analysis import Analysis, analyse
from elearn.quizzes.models import Attempt, ExtraTime
from elearn.quizzes.policy import QuizSettings


@dataclass
class LearnerResult:
    """One learner's row: attempts, the counting one, and where their grade is."""

    user: User
    attempts: list[Attempt]
    counting: Attempt | None
    delivery: GradeDelivery | None     # the latest delivery
    extra_time: float

    @property
    def running(self) -> bool:
        """An attempt is open right now."""
        return any(a.finished_at is None for a in self.attempts)


def learner_results(link: ResourceLink, settings: QuizSettings) -> list[LearnerResult]:
    """Every learner who attempted the post-test through this placement, by name."""
    attempts = db.session.scalars(select(Attempt).where(Attempt.resource_link_pk == link.id)
                                  .order_by(Attempt.user_id, Attempt.number)).all()
    deliveries = {d.user_id: d for d in db.session.scalars(     # post-test scores; events' are not attempts
        select(GradeDelivery).where(GradeDelivery.resource_link_pk == link.id, GradeDelivery.attempt_id.is_not(None))
        .order_by(GradeDelivery.id))}
    extra = {e.user_id: e.multiplier for e in db.session.scalars(
        select(ExtraTime).where(ExtraTime.resource_link_pk == link.id))}
    by_user: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_user.setdefault(attempt.user_id, []).append(attempt)
    rows = [LearnerResult(own[0].user, own, settings.counting_attempt(own), deliveries.get(user_id),
                          extra.get(user_id, 1.0)) for user_id, own in by_user.items()]
    return sorted(rows, key=lambda r: ((r.user.family_name or r.user.name or r.user.sub).lower()))


def problem_deliveries(link: ResourceLink) -> list[GradeDelivery]:
    """Deliveries of this placement that are parked, or still retrying after a failure: post-test
    scores and event attendance scores (`event_id`) alike."""
    return list(db.session.scalars(select(GradeDelivery).where(
        GradeDelivery.resource_link_pk == link.id,
        (GradeDelivery.status == PARKED) | ((GradeDelivery.status == PENDING) & (GradeDelivery.tries > 0)))
        .order_by(GradeDelivery.id)))


def item_analysis(link: ResourceLink, module_id: str) -> Analysis:
    """Moodle-style statistics over each learner's first finished attempt in this placement."""
    firsts = db.session.scalars(select(Attempt).where(
        Attempt.resource_link_pk == link.id, Attempt.module_id == module_id, Attempt.number == 1,
        Attempt.finished_at.is_not(None)).order_by(Attempt.id))
    rows = [{row["item"]: row["fraction"] for row in a.result["items"]} for a in firsts]
    return analyse(rows, min_attempts=current_app.config["ITEM_STATS_MIN_ATTEMPTS"])


@dataclass(frozen=True)
class PlacementSummary:
    """The figures an instructor lands on: who opened the module here, took the post-test, passed."""

    opened: int                 # learners (not staff) who opened the module through this link
    tested: int                 # people with a finished attempt that counts
    passed: int
    mean_percent: float | None  # mean counting score of those who tested


def _is_staff(roles) -> bool:
    """Instructors, teaching assistants and administrators (tool roles of a launch or roster member)."""
    return bool(set(roles) & {"instructor", "admin"})


def placement_summary(link: ResourceLink, rows: list[LearnerResult]) -> PlacementSummary:
    """Counts over this placement's launches and results (staff who test the quiz stay out of 'opened')."""
    sessions = db.session.execute(select(LaunchSession.user_id, LaunchSession.roles)
                                  .where(LaunchSession.resource_link_pk == link.id).distinct())
    by_user: dict[int, set[str]] = {}
    for user_id, roles in sessions:
        by_user.setdefault(user_id, set()).update(filter(None, roles.split(",")))
    counted = [r.counting for r in rows if r.counting is not None]
    return PlacementSummary(
        opened=sum(1 for roles in by_user.values() if not _is_staff(roles)), tested=len(counted),
        passed=sum(1 for a in counted if a.passed),
        mean_percent=sum(a.percent for a in counted) / len(counted) if counted else None)
