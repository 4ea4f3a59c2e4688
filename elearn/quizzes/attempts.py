"""Attempt operations: start, save, submit, close when time is up; every refusal records nothing.

Views call these; they call the pure engine (draw, marking, policy) and, when an attempt
finishes, the grade outbox in the same transaction.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, request
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.grades.outbox import enqueue
from elearn.launch.models import ResourceLink
from elearn.questions.messages import N_, QuizError
from elearn.quizzes.draw import Paper, draw_paper
from elearn.refusal import Refusal
from elearn.quizzes.marking import Post, mark_paper, read_post
from elearn.quizzes.models import Attempt, ExtraTime, PlacementSettings
from elearn.quizzes.policy import QuizSettings
from lti.models import as_utc, utcnow

# Settings an instructor may set per placement (the pass mark and the draw come from quiz.yaml).
PLACEMENT_KEYS = ("attempt_limit", "wait_minutes", "counting", "time_limit_minutes", "review")


class AttemptRefused(QuizError, Refusal):
    """A request the rules refuse: a QuizError (code, Message, translate) that the app-wide refusal
    handler draws as the quizzes' refused page, with `status` as the HTTP status."""

    def __init__(self, status: int, code: str, msgid: str, **params: Any) -> None:
        """Remember the status as well as the message."""
        Refusal.__init__(self, status, code, msgid, template="quizzes/refused.html", params=params)
        # Second, so that str() and args are the QuizError's message, as for every other QuizError.
        QuizError.__init__(self, code, msgid, **params)

    def response(self):
        """The page, with 'Back to the post-test' when the refused URL names the module."""
        self.context.setdefault("module_id", (request.view_args or {}).get("module_id") if request else None)
        return super().response()


def settings_for(link: ResourceLink, quiz: dict) -> QuizSettings:
    """quiz.yaml's pass mark and draw, with the instructor's settings for this placement."""
    stored = db.session.get(PlacementSettings, link.id)
    values = {k: v for k, v in (stored.values if stored else {}).items() if k in PLACEMENT_KEYS}
    return QuizSettings.from_quiz(quiz, **values)


def extra_time(link_pk: int, user_id: int) -> float:
    """The learner's time multiplier in this placement (1.0 without an accommodation)."""
    row = db.session.scalar(select(ExtraTime).filter_by(resource_link_pk=link_pk, user_id=user_id))
    return row.multiplier if row else 1.0


def attempts_of(user_id: int, link_pk: int, module_id: str) -> list[Attempt]:
    """A learner's attempts at a module in one placement, oldest first."""
    return list(db.session.scalars(select(Attempt).filter_by(
        user_id=user_id, resource_link_pk=link_pk, module_id=module_id).order_by(Attempt.number)))


def grace() -> timedelta:
    """Slack after a deadline for the time a submit takes to travel."""
    return timedelta(seconds=current_app.config.get("QUIZ_GRACE_SECONDS", 30))


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    """An unfinished timed attempt whose deadline (plus grace) has passed."""
    return (attempt.finished_at is None and attempt.deadline_at is not None
            and now > as_utc(attempt.deadline_at) + grace())


def close_overdue(attempts: list[Attempt], now: datetime | None = None) -> bool:
    """Submit the saved answers of attempts whose time is up (as Moodle does); True if any closed."""
    now = now or utcnow()
    closed = False
    for attempt in attempts:
        if is_overdue(attempt, now) and _finish(attempt, attempt.submit_token, now, "time_limit"):
            closed = True
    if closed:
        db.session.commit()
    return closed


def start_attempt(user_id: int, link: ResourceLink, module: Module, now: datetime | None = None) -> Attempt:
    """A new attempt with a freshly drawn paper, or the one already running; AttemptRefused otherwise."""
    now = now or utcnow()
    version = module.current_version
    settings = settings_for(link, version.quiz)
    attempts = attempts_of(user_id, link.id, module.id)
    close_overdue(attempts, now)
    running = next((a for a in attempts if a.finished_at is None), None)
    if running is not None:
        return running
    ok, reason = settings.can_start(attempts, now)
    if not ok:
        raise AttemptRefused(403, reason.code, reason.msgid, **reason.params)
    attempt = Attempt(user_id=user_id, resource_link_pk=link.id, module_id=module.id, version_id=version.id,
                      number=len(attempts) + 1, settings=settings.to_dict(),
                      paper=draw_paper(version.quiz, settings.draw).to_dict(), responses={},
                      submit_token=secrets.token_urlsafe(16), started_at=now,
                      deadline_at=settings.deadline(now, extra_time(link.id, user_id)))
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:  # a second tab started the same attempt number at the same moment
        db.session.rollback()
        running = next((a for a in attempts_of(user_id, link.id, module.id) if a.finished_at is None), None)
        if running is None:
            raise
        return running
    return attempt


def check_open(attempt: Attempt, token: str, now: datetime | None = None) -> None:
    """Refuse a post to a finished attempt, with a stale token, or after the time is up."""
    now = now or utcnow()
    if attempt.finished_at is not None:
        raise AttemptRefused(409, "finished", N_("This attempt has already been submitted."))
    if is_overdue(attempt, now):
        close_overdue([attempt], now)
        raise AttemptRefused(409, "time_up", N_("The time for this attempt is up. Your saved answers were "
                                                "submitted; the answers sent just now were not recorded."))
    if not token or not secrets.compare_digest(str(token), attempt.submit_token or ""):
        raise AttemptRefused(409, "stale_form", N_("This form is out of date (it was sent before, or from "
                                                   "another tab). Nothing was recorded; please reload the page."))


def read_answers(attempt: Attempt, form) -> Post:
    """The post read against the stored paper (ResponseError for a tampered form)."""
    return read_post(attempt.version.quiz, Paper.from_dict(attempt.paper), form)


def save_answers(attempt: Attempt, post: Post) -> str:
    """Store the answers of a post without errors; returns the new submit token."""
    attempt.responses = dict(post.responses)
    attempt.submit_token = token = secrets.token_urlsafe(16)
    db.session.commit()
    return token


def submit(attempt: Attempt, token: str, now: datetime | None = None) -> Attempt:
    """Finish the attempt with its saved answers: marks, the grade delivery, in one transaction."""
    now = now or utcnow()
    check_open(attempt, token, now)
    if not _finish(attempt, token, now, "learner"):  # another request submitted it a moment ago
        raise AttemptRefused(409, "finished", N_("This attempt has already been submitted."))
    db.session.commit()
    return attempt


def id_of(attempt: Attempt) -> int:
    """The attempt's id, also once a commit has expired the object (a redirect needs no reload)."""
    return inspect(attempt).identity[0]


def _finish(attempt: Attempt, token: str | None, now: datetime, closed_by: str) -> bool:
    """Mark the saved answers and finish the attempt with its marks, once, in one conditional UPDATE
    that only the request holding the current token wins; then queue the grade (caller commits).
    False, with the transaction rolled back, when another request finished it a moment ago."""
    settings = QuizSettings(**attempt.settings)
    result = mark_paper(attempt.version.quiz, Paper.from_dict(attempt.paper), attempt.responses or {})
    values = {"finished_at": now, "submit_token": None, "percent": result.percent,
              "passed": result.passed(settings.pass_mark), "result": result.to_dict(), "closed_by": closed_by}
    done = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.finished_at.is_(None),
                              Attempt.submit_token == token)
        .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        db.session.rollback()
        return False
    for key, value in values.items():   # what the row now holds, without a second UPDATE at the flush
        set_committed_value(attempt, key, value)
    attempts = attempts_of(attempt.user_id, attempt.resource_link_pk, attempt.module_id)
    enqueue(attempt, settings.counting_attempt(attempts) or attempt, now)
    return True
