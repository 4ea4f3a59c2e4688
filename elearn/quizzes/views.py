"""Post-test pages: the start page, the attempt form, review before submit, the result.

Every post is checked against the stored attempt (owner, placement, open, token, time) before
anything is read, and a refused post records nothing.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from elearn.accreditation.operations import after_progress
from elearn.catalog.labels import content_lang, pick
from elearn.catalog.models import live_module
from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.grades.worker import kick_inline
from elearn.launch.models import ResourceLink
from elearn.launch.session import current_launch, launch_required
from elearn.launch.form_guard import require_genuine_form
from elearn.quizzes import attempts as ops
from elearn.quizzes.draw import Paper
from elearn.questions.messages import N_, ResponseError
from elearn.quizzes.models import Attempt
from elearn.quizzes.policy import QuizSettings
from elearn.quizzes.present import answered, questions, saved_values
from elearn.quizzes.result_page import grade_state, render_result
from lti.models import as_utc, utcnow

bp = Blueprint("quizzes", __name__)


def _placement(module_id: str) -> ResourceLink:
    """The launch's resource link, when it places this module (grades go to its column)."""
    launch = current_launch()
    link = db.session.get(ResourceLink, launch.resource_link_pk) if launch.resource_link_pk else None
    if link is None or link.module_id != module_id:
        raise ops.AttemptRefused(403, "not_this_placement", N_(
            "The post-test counts only when you open this module from its link in your course. "
            "Open it from your learning platform (LMS)."))
    return link


def _own_attempt(attempt_id: int) -> Attempt:
    """The attempt, if it is this launch's user's, in this placement; refuse otherwise. Its version
    row comes in the same statement (every page of an attempt reads the version's quiz pool)."""
    attempt = db.session.scalar(select(Attempt).options(joinedload(Attempt.version)).where(Attempt.id == attempt_id))
    if attempt is None:
        abort(404)
    _check_owner(attempt.user_id, attempt.resource_link_pk)
    return attempt


def _check_owner(user_id: int, resource_link_pk: int) -> None:
    """Refuse an attempt that is not this launch's user's in this placement."""
    launch = current_launch()
    if user_id != launch.user_id or resource_link_pk != launch.resource_link_pk:
        raise ops.AttemptRefused(403, "not_yours", N_("This attempt belongs to someone else. Nothing was recorded."))


@bp.get("/modules/<module_id>/post-test")
@launch_required()
def start(module_id: str):
    """What the post-test asks (pass mark, questions, attempts, time, review), and the start button."""
    module = live_module(module_id)
    if module is None:
        abort(404)
    launch = current_launch()
    link = _placement(module_id)
    settings = ops.settings_for(link, module.current_version.quiz)
    attempts = ops.attempts_of(launch.user_id, link.id, module_id)
    if ops.close_overdue(attempts):
        attempts = ops.attempts_of(launch.user_id, link.id, module_id)
    may_start, reason = settings.can_start(attempts, utcnow())
    counting = settings.counting_attempt(attempts)
    extra = ops.extra_time(link.id, launch.user_id)
    return render_template(
        "quizzes/start.html", module=module, title=pick(module.current_version.content["title"], content_lang()),
        settings=settings, attempts=attempts, counting=counting, may_start=may_start,
        running=next((a for a in attempts if a.finished_at is None), None),
        reason=reason.translate(_, **{k: format_datetime(v) for k, v in reason.params.items()
                                      if hasattr(v, "tzinfo")}) if reason and reason.code != "in_progress" else None,
        minutes=round(settings.time_limit_minutes * extra) if settings.time_limit_minutes else None)


@bp.post("/modules/<module_id>/post-test")
@launch_required()
def begin(module_id: str):
    """Start (or continue) an attempt and go to its form."""
    require_genuine_form()
    module = live_module(module_id)
    if module is None:
        abort(404)
    attempt = ops.start_attempt(current_launch().user_id, _placement(module_id), module)
    return redirect(url_for("quizzes.attempt", attempt_id=ops.id_of(attempt)))


def _attempt_page(attempt: Attempt, values, errors=None, status: int = 200):
    """The form of an attempt with the given values (saved or just posted) and errors."""
    lang = content_lang()
    shown = questions(attempt.version.quiz, Paper.from_dict(attempt.paper), lang, values, errors)
    for question in shown:              # the page's list of question numbers marks the answered ones
        question["answered"] = answered(question)
    deadline = as_utc(attempt.deadline_at) if attempt.deadline_at else None
    return render_template("quizzes/attempt.html", attempt=attempt, questions=shown, errors=errors or {},
                           title=pick(attempt.version.content["title"], lang), deadline=deadline,
                           seconds_left=max(0, int((deadline - utcnow()).total_seconds())) if deadline else None,
                           settings=QuizSettings(**attempt.settings)), status


@bp.get("/post-test/<int:attempt_id>")
@launch_required()
def attempt(attempt_id: int):
    """The attempt form, re-filled with the saved answers."""
    attempt = _own_attempt(attempt_id)
    ops.close_overdue([attempt])
    if attempt.finished_at is not None:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    return _attempt_page(attempt, saved_values(attempt.version.quiz, Paper.from_dict(attempt.paper),
                                               attempt.responses or {}))


@bp.post("/post-test/<int:attempt_id>")
@launch_required()
def save(attempt_id: int):
    """Save the answers and show them for review before submitting (errors: the form again)."""
    require_genuine_form()
    attempt = _own_attempt(attempt_id)
    ops.check_open(attempt, request.form.get("token", ""))
    try:
        post = ops.read_answers(attempt, request.form)
    except ResponseError as error:  # an answer no page of this paper can send: tampered or stale
        raise ops.AttemptRefused(400, error.code, error.message.msgid, **error.message.params) from error
    if post.errors:
        return _attempt_page(attempt, request.form, {i: e.translate(_) for i, e in post.errors.items()}, 422)
    ops.save_answers(attempt, post)
    return redirect(url_for("quizzes.confirm", attempt_id=attempt_id))


@bp.get("/post-test/<int:attempt_id>/review")
@launch_required()
def confirm(attempt_id: int):
    """Review before submit: which questions are answered; change answers or submit."""
    attempt = _own_attempt(attempt_id)
    ops.close_overdue([attempt])
    if attempt.finished_at is not None:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    paper = Paper.from_dict(attempt.paper)
    shown = questions(attempt.version.quiz, paper, content_lang(),
                      saved_values(attempt.version.quiz, paper, attempt.responses or {}))
    return render_template("quizzes/confirm.html", attempt=attempt, questions=shown, answered=answered,
                           title=pick(attempt.version.content["title"], content_lang()),
                           unanswered=sum(1 for q in shown if not answered(q)))


@bp.post("/post-test/<int:attempt_id>/submit")
@launch_required()
def submit(attempt_id: int):
    """Submit the saved answers: marked, recorded and queued for the gradebook at once."""
    require_genuine_form()
    attempt = _own_attempt(attempt_id)
    user_id, module_id = attempt.user_id, attempt.module_id   # read before the commit expires the attempt
    ops.submit(attempt, request.form.get("token", ""))
    kick_inline()
    after_progress(user_id, module_id)   # a passed post-test may complete an accreditation
    return redirect(url_for("quizzes.result", attempt_id=attempt_id))


@bp.get("/post-test/<int:attempt_id>/result")
@launch_required()
def result(attempt_id: int):
    """Score, pass, and — as the review policy allows — right answers, feedback and sources."""
    attempt = _own_attempt(attempt_id)
    ops.close_overdue([attempt])
    if attempt.finished_at is None:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    return render_result(attempt)


@bp.get("/post-test/<int:attempt_id>/grade-status")
@launch_required()
def grade_status(attempt_id: int):
    """The result page's script asks here (token in X-Launch-Token) whether the LMS has the score.
    Polled every few seconds by every learner who waits on a result page: one statement reads the
    attempt's owner and its delivery's state, no ORM objects."""
    row = db.session.execute(
        select(Attempt.user_id, Attempt.resource_link_pk, GradeDelivery.id, GradeDelivery.status, GradeDelivery.tries)
        .outerjoin(GradeDelivery, GradeDelivery.attempt_id == Attempt.id).where(Attempt.id == attempt_id)).first()
    if row is None:
        abort(404)
    _check_owner(row.user_id, row.resource_link_pk)
    response = jsonify(state=grade_state(row if row.id is not None else None))
    response.headers["Cache-Control"] = "no-store"
    return response

