"""Quiz settings: validation, starting rules, the counting attempt, deadlines, review."""
from datetime import UTC, datetime, timedelta

import pytest

from elearn.quizzes.examples import example_pool
from elearn.quizzes.policy import AttemptRecord, CountingRule, QuizSettings, ReviewPolicy
from elearn.questions.messages import SettingsError

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def done(minutes_after_t0, percent, pass_mark=70, took=10):
    """A finished attempt that ended `minutes_after_t0` after T0."""
    end = T0 + timedelta(minutes=minutes_after_t0)
    return AttemptRecord(end - timedelta(minutes=took), end, percent, percent >= pass_mark)


@pytest.mark.parametrize("kwargs, code", [
    ({"pass_mark": 0}, "bad_pass_mark"), ({"pass_mark": 101}, "bad_pass_mark"),
    ({"pass_mark": True}, "bad_pass_mark"), ({"pass_mark": float("nan")}, "bad_pass_mark"),
    ({"draw": 0}, "bad_draw"), ({"draw": 2.5}, "bad_draw"),
    ({"attempt_limit": 0}, "bad_attempt_limit"), ({"wait_minutes": -1}, "bad_wait"),
    ({"time_limit_minutes": 0}, "bad_time_limit"), ({"counting": "best"}, "bad_rule"),
    ({"review": "sometimes"}, "bad_rule"), ({"review": "after_last_attempt"}, "review_needs_limit"),
])
def test_inconsistent_settings_are_refused(kwargs, code):
    with pytest.raises(SettingsError) as caught:
        QuizSettings(**kwargs)
    assert caught.value.code == code


def test_settings_come_from_quiz_yaml_with_overrides_and_serialise():
    settings = QuizSettings.from_quiz(example_pool(), pass_mark=80, counting="first_pass", attempt_limit=3,
                                      review="after_last_attempt")
    assert (settings.pass_mark, settings.draw, settings.counting) == (80, 6, CountingRule.FIRST_PASS)
    assert settings.to_dict()["review"] == "after_last_attempt"
    with pytest.raises(SettingsError, match="more questions than its pool"):
        QuizSettings.from_quiz({**example_pool(), "draw": 9})


def test_can_start_first_attempt_and_refuses_while_one_is_running():
    settings = QuizSettings()
    assert settings.can_start([], T0) == (True, None)
    allowed, reason = settings.can_start([AttemptRecord(T0)], T0)
    assert not allowed and reason.code == "in_progress"


def test_attempt_limit():
    settings = QuizSettings(attempt_limit=2)
    assert settings.can_start([done(10, 40)], T0 + timedelta(hours=1))[0]
    allowed, reason = settings.can_start([done(10, 40), done(30, 50)], T0 + timedelta(hours=1))
    assert not allowed and reason.code == "no_attempts_left"
    assert str(reason) == "You have used all 2 attempts."


def test_wait_between_attempts_counts_from_the_last_finish():
    settings = QuizSettings(wait_minutes=60)
    attempts = [done(10, 40), done(30, 50)]
    allowed, reason = settings.can_start(attempts, T0 + timedelta(minutes=89))
    assert not allowed and reason.code == "wait" and reason.params["until"] == T0 + timedelta(minutes=90)
    assert settings.can_start(attempts, T0 + timedelta(minutes=90)) == (True, None)
    text = reason.translate(lambda msgid, **kw: msgid % kw, until="22-11-2026 10:30")
    assert text == "You can start a new attempt from 22-11-2026 10:30."


def test_counting_attempt_per_rule():
    attempts = [done(10, 60), done(20, 80), done(30, 80), done(40, 75), AttemptRecord(T0 + timedelta(hours=2))]
    assert QuizSettings(counting="highest").counting_attempt(attempts) is attempts[1]   # earliest of the 80s
    assert QuizSettings(counting="last").counting_attempt(attempts) is attempts[3]      # running one ignored
    assert QuizSettings(counting="first_pass").counting_attempt(attempts) is attempts[1]
    failing = [done(10, 60), done(20, 65), done(30, 50)]
    assert QuizSettings(counting="first_pass").counting_attempt(failing) is failing[1]  # no pass yet: highest
    assert QuizSettings().counting_attempt([AttemptRecord(T0)]) is None


def test_deadline_with_extra_time():
    assert QuizSettings().deadline(T0) is None
    timed = QuizSettings(time_limit_minutes=30)
    assert timed.deadline(T0) == T0 + timedelta(minutes=30)
    assert timed.deadline(T0, 1.5) == T0 + timedelta(minutes=45)
    for bad in (0.5, 5, "2"):
        with pytest.raises(SettingsError):
            timed.deadline(T0, bad)


def test_review_policies():
    first, running = done(10, 50), AttemptRecord(T0 + timedelta(hours=1))
    assert QuizSettings(review="immediately").may_review(first, [first], passed=False)
    assert not QuizSettings(review="immediately").may_review(running, [first, running], passed=False)
    assert not QuizSettings(review="after_passing").may_review(first, [first], passed=False)
    assert QuizSettings(review="after_passing").may_review(first, [first], passed=True)
    last = QuizSettings(review=ReviewPolicy.AFTER_LAST_ATTEMPT, attempt_limit=2)
    assert not last.may_review(first, [first], passed=False)
    second = done(30, 60)
    assert last.may_review(first, [first, second], passed=False)
    assert not QuizSettings(review="never").may_review(first, [first], passed=True)
