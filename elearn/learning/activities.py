"""A module's learning activities (cases, reflection, further reading) as its version carries them,
and the learner's answers to them, kept per placement (resource link)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from elearn.extensions import db
from elearn.learning.models import ActivityResponse
from lti.models import utcnow

MAX_ANSWER_CHARS = 20_000   # a long, thoughtful answer fits; a pasted book does not


class AnswerRefused(ValueError):
    """An answer that is not stored: empty or too long (`reason` is 'empty' or 'too_long')."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Activity:
    """One thing the learner writes: a case (with a model answer) or the reflection."""

    id: str
    kind: str           # case | reflection
    data: dict          # the case or reflection as the version carries it


def of_content(content: dict) -> dict | None:
    """content["activities"], or None for versions without them (older content)."""
    return content.get("activities") or None


def writable(content: dict) -> list[Activity]:
    """The cases, then the reflection: what a learner must answer to complete the module."""
    activities = of_content(content)
    if activities is None:
        return []
    found = [Activity(case["id"], "case", case) for case in activities.get("cases") or []]
    if activities.get("reflection"):
        found.append(Activity(activities["reflection"]["id"], "reflection", activities["reflection"]))
    return found


def find(content: dict, activity_id: str) -> Activity | None:
    """The case or reflection with this id in this version, or None."""
    return next((a for a in writable(content) if a.id == activity_id), None)


def clean_answer(text: str | None) -> str:
    """The answer as stored (line endings normalised, outer blank space trimmed), or AnswerRefused."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise AnswerRefused("empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerRefused("too_long")
    return text


def save_answer(user_id: int, resource_link_pk: int, module_id: str, activity: Activity, text: str) -> ActivityResponse:
    """Store (or replace) the learner's answer; keeps the first created_at; commits."""
    text = clean_answer(text)
    row = _row(user_id, resource_link_pk, module_id, activity.id)
    if row is None:
        try:
            with db.session.begin_nested():  # two tabs may save the first answer at once
                row = ActivityResponse(user_id=user_id, resource_link_pk=resource_link_pk, module_id=module_id,
                                       activity_id=activity.id, kind=activity.kind, text=text,
                                       created_at=utcnow(), updated_at=utcnow())
                db.session.add(row)
        except IntegrityError:
            row = _row(user_id, resource_link_pk, module_id, activity.id)
    row.text, row.kind, row.updated_at = text, activity.kind, utcnow()
    db.session.commit()
    return row


def answers_of(user_id: int, resource_link_pk: int | None, module_id: str) -> dict[str, ActivityResponse]:
    """The learner's answers in this placement, by activity id."""
    if resource_link_pk is None:
        return {}
    return {r.activity_id: r for r in db.session.scalars(select(ActivityResponse).where(
        ActivityResponse.user_id == user_id, ActivityResponse.resource_link_pk == resource_link_pk,
        ActivityResponse.module_id == module_id))}


def answers_in_placement(resource_link_pk: int, module_id: str) -> dict[int, dict[str, ActivityResponse]]:
    """Every learner's answers in one placement: user id → activity id → answer."""
    found: dict[int, dict[str, ActivityResponse]] = {}
    for row in db.session.scalars(select(ActivityResponse).where(
            ActivityResponse.resource_link_pk == resource_link_pk, ActivityResponse.module_id == module_id)):
        found.setdefault(row.user_id, {})[row.activity_id] = row
    return found


def done_count(content: dict, answered: set[str] | dict) -> int:
    """How many of the version's cases and reflection are among the answered activity ids."""
    return sum(1 for a in writable(content) if a.id in answered)


def activities_complete(user_id: int, module, resource_link_pk: int | None = None) -> bool:
    """Every case and the reflection of the module's current version answered (in this placement,
    or in any placement when none is given); True for a module without activities. For
    completion rules (elearn.accreditation) and progress pages."""
    required = {a.id for a in writable(module.current_version.content)}
    if not required:
        return True
    query = select(ActivityResponse.activity_id).where(
        ActivityResponse.user_id == user_id, ActivityResponse.module_id == module.id)
    if resource_link_pk is not None:
        query = query.where(ActivityResponse.resource_link_pk == resource_link_pk)
    return required <= set(db.session.scalars(query))


def _row(user_id: int, resource_link_pk: int, module_id: str, activity_id: str) -> ActivityResponse | None:
    return db.session.scalar(select(ActivityResponse).where(
        ActivityResponse.user_id == user_id, ActivityResponse.resource_link_pk == resource_link_pk,
        ActivityResponse.module_id == module_id, ActivityResponse.activity_id == activity_id))
