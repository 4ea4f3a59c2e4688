"""Rounds of the team self-assessment: a team (an LMS course) takes the checklist again and again.

An instructor opens a round (title, date); the course's learners answer it, each privately; the
instructor closes it, which freezes the round's aggregate. The team's result of a round is shown —
to the instructor and to the learners — only once it is closed and only when at least
SELFASSESSMENT_MIN_RESPONDENTS answered: a live aggregate would let someone who watches it change
after one more answer read that person's answers, and a small group's average is nearly a person's.
Erasing a person removes their answers; the frozen aggregate of a closed round keeps its counts
(it names no one), so a team's history does not change when someone leaves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from elearn.catalog.labels import pick
from elearn.events import operations as events
from elearn.events.views import when
from elearn.extensions import db
from elearn.selfassessment.models import SelfAssessmentAnswer, SelfAssessmentRound
from elearn.selfassessment.scoring import WEAK_BELOW, scale_values
from lti.models import utcnow

TITLE_MAX = 200
SHOWN_ON_RADAR = 4  # the latest rounds drawn over each other; more would be unreadable


class RoundError(Exception):
    """A round action that cannot be done: a stable `code`, the sentence to show and the HTTP status."""

    def __init__(self, code: str, message, status: int = 422):
        super().__init__(str(message))
        self.code, self.message, self.status = code, message, status


def upcoming_events_for_modules(module_ids: list[str], context_pk: int | None) -> list[dict]:
    """Upcoming events (workshops, masterclasses, visits, webinars) of these modules, soonest first,
    as the team's LMS course (`context_pk`) sees them on the module pages (events.operations.
    visible_upcoming: not cancelled, not ended, an instructor's events of this course only): dicts
    {"title" (the page's language), "starts_at" (aware), "when" (on the event's own clock),
    "mode", "module_id", "url" (the event's page; url_for adds the launch token)}, listed under each
    weak domain beside the modules' own pages."""
    found = []
    for event in events.visible_upcoming(module_ids, context_pk):
        starts, ends = events.local_times(event)
        found.append({"title": pick(event.title), "starts_at": starts, "when": when(starts, ends), "mode": event.mode,
                      "module_id": event.module_id, "url": url_for("events.event_page", event_id=event.id)})
    return found


def min_respondents() -> int:
    """How many must answer before a round's team result is shown (never fewer than 1)."""
    return max(1, int(current_app.config["SELFASSESSMENT_MIN_RESPONDENTS"]))


def change_points() -> int:
    """Percentage points a domain must move between two rounds to count as improved or declined."""
    return max(1, int(current_app.config["SELFASSESSMENT_CHANGE_POINTS"]))


def rounds_of(context_pk: int) -> list[SelfAssessmentRound]:
    """The course's rounds, oldest first."""
    return list(db.session.scalars(select(SelfAssessmentRound).where(SelfAssessmentRound.context_pk == context_pk)
                                   .order_by(SelfAssessmentRound.held_on, SelfAssessmentRound.id)))


def open_round_of(context_pk: int) -> SelfAssessmentRound | None:
    """The course's round that is open for answers, if any."""
    return db.session.scalar(select(SelfAssessmentRound).where(SelfAssessmentRound.context_pk == context_pk,
                                                               SelfAssessmentRound.closed_at.is_(None)))


def round_in(context_pk: int | None, round_id: int) -> SelfAssessmentRound | None:
    """A round of this course only (another course's round does not exist for this launch)."""
    row = db.session.get(SelfAssessmentRound, round_id)
    return row if row is not None and context_pk is not None and row.context_pk == context_pk else None


def open_round(context_pk: int, user_id: int, title: str, held_on: date, definition_hash: str) -> SelfAssessmentRound:
    """Open a new round; refused while another round of the course is still open."""
    if open_round_of(context_pk) is not None:
        raise RoundError("round_still_open", _l("A round is still open. Close it before you open the next one."), 409)
    row = SelfAssessmentRound(context_pk=context_pk, title=title, held_on=held_on, opened_by=user_id,
                              definition_hash=definition_hash, opened_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row


def close_round(row: SelfAssessmentRound, definition: dict) -> None:
    """Close an open round and freeze its aggregate; closing a closed round changes nothing."""
    if row.closed_at is not None:
        raise RoundError("round_closed", _l("This round is already closed."), 409)
    answers = [a.answers for a in answers_of_round(row.id)]
    row.aggregate, row.closed_at = aggregate(definition, answers), utcnow()
    db.session.commit()


def answers_of_round(round_id: int) -> list[SelfAssessmentAnswer]:
    """Every answer of a round (for the aggregate only; never shown one by one)."""
    return list(db.session.scalars(select(SelfAssessmentAnswer).where(SelfAssessmentAnswer.round_id == round_id)))


def respondent_count(round_id: int) -> int:
    """How many learners answered the round so far."""
    return len(answers_of_round(round_id))


def own_answer(round_id: int, user_id: int) -> SelfAssessmentAnswer | None:
    """This person's answers in the round."""
    return db.session.scalar(select(SelfAssessmentAnswer).filter_by(round_id=round_id, user_id=user_id))


def save_answer(row: SelfAssessmentRound, user_id: int, answers: dict, scores: dict) -> None:
    """Store or replace a learner's answers while the round is open."""
    if row.closed_at is not None:
        raise RoundError("answers_closed", _l("This round is closed; answers can no longer be given or changed."), 409)
    mine = own_answer(row.id, user_id)
    if mine is None:
        mine = SelfAssessmentAnswer(round_id=row.id, user_id=user_id)
        db.session.add(mine)
    mine.answers, mine.scores, mine.updated_at = answers, scores, utcnow()
    db.session.commit()


def aggregate(definition: dict, all_answers: list[dict]) -> dict:
    """The team's sums: respondents, per question the count of each value, per domain the points."""
    values = scale_values(definition) or [0, 1]
    low, high = min(values), max(values)
    questions, domains = {}, {}
    for domain in definition.get("domains", []):
        points = 0
        for question in domain["questions"]:
            counts = {str(v): 0 for v in values}
            for answers in all_answers:
                value = answers.get(question["id"], low)
                counts[str(value)] = counts.get(str(value), 0) + 1
                points += value - low
            questions[question["id"]] = counts
        domains[domain["id"]] = {"points": points, "maximum": (high - low) * len(domain["questions"]) * len(all_answers)}
    return {"respondents": len(all_answers), "questions": questions, "domains": domains}


def shown(row: SelfAssessmentRound) -> bool:
    """A round's team result may be shown: closed, with at least the minimum of respondents."""
    return row.aggregate is not None and row.aggregate["respondents"] >= min_respondents()


@dataclass
class TeamDomain:
    """One domain of a round's team result."""

    id: str
    title: str
    percent: int
    modules: list[str] = field(default_factory=list)   # module ids from self-assessment.yaml

    @property
    def weak(self) -> bool:
        """Below WEAK_BELOW, the same rule as a single result."""
        return self.percent < WEAK_BELOW


def team_result(definition: dict, row: SelfAssessmentRound, lang: str) -> list[TeamDomain]:
    """Per domain the team's percent of the maximum (every respondent's points together)."""
    domains = row.aggregate["domains"]
    result = []
    for domain in definition.get("domains", []):
        summed = domains.get(domain["id"], {"points": 0, "maximum": 0})
        percent = round(100 * summed["points"] / summed["maximum"]) if summed["maximum"] else 0
        result.append(TeamDomain(domain["id"], pick(domain["title"], lang), percent, list(domain.get("modules", []))))
    return result


@dataclass
class Change:
    """How one domain moved between the last two shown rounds."""

    title: str
    before: int
    after: int

    @property
    def points(self) -> int:
        """After minus before, in percentage points."""
        return self.after - self.before


def changes(previous: list[TeamDomain], latest: list[TeamDomain]) -> tuple[list[Change], list[Change]]:
    """(improved, declined) domains: those that moved at least change_points(), biggest move first."""
    before = {d.id: d.percent for d in previous}
    moved = [Change(d.title, before[d.id], d.percent) for d in latest if d.id in before]
    threshold = change_points()
    improved = sorted((c for c in moved if c.points >= threshold), key=lambda c: -c.points)
    declined = sorted((c for c in moved if c.points <= -threshold), key=lambda c: c.points)
    return improved, declined
