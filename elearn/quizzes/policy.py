"""Quiz settings and the rules built on them: starting, counting, time limits, review.

Attempts are anything with `started_at`, `finished_at` (None while in progress),
`percent` and `passed` (None until finished) — the attempt model, or `AttemptRecord`.
Pass times as all-aware (preferred, UTC) or all-naive datetimes, never mixed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from elearn.questions.messages import N_, Message, SettingsError

MAX_EXTRA_TIME = 4.0   # a per-learner multiplier beyond ×4 is a typo, not an accommodation


class CountingRule(StrEnum):
    """Which finished attempt counts for the grade and the pass."""

    HIGHEST = "highest"        # best percentage; the earliest of equals
    FIRST_PASS = "first_pass"  # the first passing attempt; before any pass, the highest
    LAST = "last"              # the latest finished attempt


class ReviewPolicy(StrEnum):
    """When a finished attempt may be reviewed with the right answers and feedback."""

    IMMEDIATELY = "immediately"
    AFTER_PASSING = "after_passing"
    AFTER_LAST_ATTEMPT = "after_last_attempt"   # needs an attempt limit
    NEVER = "never"


class AttemptLike(Protocol):
    """What the rules read from an attempt."""

    started_at: datetime
    finished_at: datetime | None
    percent: float | None
    passed: bool | None


@dataclass(frozen=True)
class AttemptRecord:
    """A plain attempt, for callers and tests without the attempt model."""

    started_at: datetime
    finished_at: datetime | None = None
    percent: float | None = None
    passed: bool | None = None


@dataclass(frozen=True)
class QuizSettings:
    """Validated quiz settings (SettingsError on construction when inconsistent)."""

    pass_mark: float = 70
    draw: int = 8
    attempt_limit: int | None = None          # None: unlimited
    wait_minutes: int = 0                     # between the end of one attempt and the next
    counting: CountingRule = CountingRule.HIGHEST
    time_limit_minutes: int | None = None     # None: untimed
    review: ReviewPolicy = ReviewPolicy.AFTER_PASSING

    def __post_init__(self) -> None:
        """Accept enum values as strings; refuse inconsistent settings."""
        try:
            object.__setattr__(self, "counting", CountingRule(self.counting))
            object.__setattr__(self, "review", ReviewPolicy(self.review))
        except ValueError:
            raise SettingsError("bad_rule", N_("Unknown counting rule or review policy.")) from None
        if not _number(self.pass_mark) or not 0 < self.pass_mark <= 100:
            raise SettingsError("bad_pass_mark", N_("The pass mark must be a percentage above 0 and at most 100."))
        if not _whole(self.draw, 1):
            raise SettingsError("bad_draw", N_("The number of questions drawn must be at least 1."))
        if self.attempt_limit is not None and not _whole(self.attempt_limit, 1):
            raise SettingsError("bad_attempt_limit", N_("The attempt limit must be at least 1, or unlimited."))
        if not _whole(self.wait_minutes, 0):
            raise SettingsError("bad_wait", N_("The wait between attempts must be zero or more minutes."))
        if self.time_limit_minutes is not None and not _whole(self.time_limit_minutes, 1):
            raise SettingsError("bad_time_limit", N_("The time limit must be at least 1 minute, or none."))
        if self.review is ReviewPolicy.AFTER_LAST_ATTEMPT and self.attempt_limit is None:
            raise SettingsError("review_needs_limit",
                                N_("Review after the last attempt needs an attempt limit."))

    @classmethod
    def from_quiz(cls, quiz: Mapping[str, Any], **overrides: Any) -> QuizSettings:
        """Settings from a quiz.yaml dict (pass_mark, draw), with overrides (e.g. the course's)."""
        values = {"pass_mark": quiz.get("pass_mark", 70), "draw": quiz.get("draw", 8), **overrides}
        settings = cls(**values)
        if settings.draw > len(quiz.get("items", ())):
            raise SettingsError("draw_exceeds_pool", N_("The quiz draws more questions than its pool has."))
        return settings

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (enums as their values)."""
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    def can_start(self, attempts: Sequence[AttemptLike], now: datetime) -> tuple[bool, Message | None]:
        """May a new attempt start now? (False, reason) when one is in progress, none are left,
        or the wait since the last one has not passed (reason.params["until"] is a datetime)."""
        if any(a.finished_at is None for a in attempts):
            return False, Message("in_progress", N_("You have an attempt in progress. Continue that one."))
        if self.attempt_limit is not None and len(attempts) >= self.attempt_limit:
            return False, Message("no_attempts_left", N_("You have used all %(limit)s attempts."),
                                  {"limit": self.attempt_limit})
        if attempts and self.wait_minutes:
            until = max(a.finished_at for a in attempts) + timedelta(minutes=self.wait_minutes)
            if now < until:
                return False, Message("wait", N_("You can start a new attempt from %(until)s."),
                                      {"until": until})
        return True, None

    def counting_attempt(self, attempts: Sequence[AttemptLike]) -> AttemptLike | None:
        """The finished attempt that counts under the counting rule; None before any is finished."""
        done = sorted((a for a in attempts if a.finished_at is not None and a.percent is not None),
                      key=lambda a: a.finished_at)
        if not done:
            return None
        if self.counting is CountingRule.LAST:
            return done[-1]
        if self.counting is CountingRule.FIRST_PASS:
            passing = [a for a in done if a.passed]
            if passing:
                return passing[0]
        return max(done, key=lambda a: a.percent)   # max() keeps the first (earliest) of equals

    def deadline(self, started_at: datetime, extra: float = 1.0) -> datetime | None:
        """When a timed attempt ends, with the learner's extra-time multiplier; None if untimed."""
        if not _number(extra) or not 1.0 <= extra <= MAX_EXTRA_TIME:
            raise SettingsError("bad_extra_time", N_("Extra time must be a multiplier from 1 to 4."))
        if self.time_limit_minutes is None:
            return None
        return started_at + timedelta(minutes=self.time_limit_minutes * extra)

    def may_review(self, attempt: AttemptLike, attempts: Sequence[AttemptLike], passed: bool) -> bool:
        """May the learner see right answers and feedback of this attempt? Never while it runs."""
        if attempt.finished_at is None:
            return False
        if self.review is ReviewPolicy.IMMEDIATELY:
            return True
        if self.review is ReviewPolicy.AFTER_PASSING:
            return bool(passed)
        if self.review is ReviewPolicy.AFTER_LAST_ATTEMPT:
            return (len(attempts) >= self.attempt_limit
                    and all(a.finished_at is not None for a in attempts))
        return False


def _number(value: Any) -> bool:
    """A real number (bools are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: Any, minimum: int) -> bool:
    """An int (not a bool) of at least `minimum`."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
