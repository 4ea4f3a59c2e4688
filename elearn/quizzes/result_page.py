"""The result page of a finished attempt, shared by the learner's result view and the instructor's
submission review: a module of its own so that instructor pages import no view module."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from elearn.accreditation.links import claims_after_test
from elearn.catalog.labels import content_lang, pick
from elearn.extensions import db
from elearn.grades.models import DELIVERED, PARKED, GradeDelivery
from elearn.quizzes import attempts as ops
from elearn.quizzes.draw import Paper
from elearn.quizzes.models import Attempt
from elearn.quizzes.policy import QuizSettings
from elearn.quizzes.present import review
from lti.models import utcnow


def grade_state(delivery) -> str | None:
    """Where a score is on its way to the gradebook, as the result page says it: sending, later
    (a try failed; the worker tries again), delivered, parked; None when nothing is sent.
    `delivery`: a GradeDelivery, or a row with its status and tries."""
    if delivery is None:
        return None
    if delivery.status in (DELIVERED, PARKED):
        return delivery.status
    return "later" if delivery.tries else "sending"


def render_result(attempt: Attempt, reviewer: bool = False):
    """The result page of an attempt (also shown to an instructor in a submission review)."""
    settings = QuizSettings(**attempt.settings)
    attempts = ops.attempts_of(attempt.user_id, attempt.resource_link_pk, attempt.module_id)
    counting = settings.counting_attempt(attempts)
    passed_any = bool(counting and counting.passed)
    may_review = reviewer or settings.may_review(attempt, attempts, passed_any)
    lang = content_lang()
    rows = review(attempt.version.quiz, Paper.from_dict(attempt.paper), attempt.result or {},
                  attempt.responses or {}, lang) if may_review else []
    delivery = db.session.scalar(select(GradeDelivery).where(GradeDelivery.attempt_id == attempt.id))
    # A passed post-test of an accredited module leads straight on to the points and the certificate.
    claims = claims_after_test(attempt.module_id, attempt.user_id) if passed_any and not reviewer else []
    return render_template("quizzes/result.html", attempt=attempt, settings=settings, rows=rows, claims=claims,
                           may_review=may_review, counting=counting, delivery=delivery, reviewer=reviewer,
                           grade_state=grade_state(delivery),
                           title=pick(attempt.version.content["title"], lang),
                           may_start=settings.can_start(attempts, utcnow())[0])
