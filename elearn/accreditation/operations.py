"""Accreditation operations the pages call: identity, evaluation, attestation, and the record."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from elearn.accreditation import completion, ledger, participation
from elearn.accreditation.models import (Activity, Attestation, EvaluationDone, EvaluationResponse,
                                         ProfessionalIdentity)
from elearn.accreditation.registers import IDENTIFIERS, PROFESSIONS, REGISTERS
from elearn.extensions import db


class IdentityError(ValueError):
    """A field of the identity form is not acceptable; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def activities_for_module(module_id: str, today: date | None = None) -> list[Activity]:
    """Accredited activities this module is part of, valid today."""
    today = today or date.today()
    return [a for a in db.session.scalars(select(Activity).order_by(Activity.id))
            if module_id in a.module_ids and a.valid_from <= today <= a.valid_until]


def clean_identity(name: str, profession: str, identifiers: dict[str, str]) -> tuple[str, str, dict, dict]:
    """(name, profession, identifiers) as they would be stored, and {field: problem} for every field
    that is not acceptable (BIG: 11 digits; others by their format), so a form can name them all."""
    name = " ".join(name.split())
    problems = {}
    if not 2 <= len(name) <= 200:
        problems["registered_name"] = "Give your name as it is registered."
    if profession not in PROFESSIONS:
        problems["profession"] = "Choose your profession."
    cleaned = {}
    for key, value in identifiers.items():
        value = value.strip().replace(" ", "") if key != "eacceme" else value.strip()
        if not value:
            continue
        if key not in IDENTIFIERS or not IDENTIFIERS[key][1].match(value):
            problems[key] = "invalid"
            continue
        cleaned[key] = value
    return name, profession, cleaned, problems


def save_identity(user_id: int, name: str, profession: str, identifiers: dict[str, str],
                  commit: bool = True) -> ProfessionalIdentity:
    """Validate and store what the learner gives; IdentityError names the first field that is wrong."""
    name, profession, cleaned, problems = clean_identity(name, profession, identifiers)
    for field, message in problems.items():
        raise IdentityError(field, message)
    identity = db.session.get(ProfessionalIdentity, user_id) or ProfessionalIdentity(user_id=user_id)
    identity.registered_name, identity.profession, identity.identifiers = name, profession, cleaned
    identity = db.session.merge(identity)
    if commit:
        db.session.commit()
    return identity


def missing_identifier(activity: Activity, identity: ProfessionalIdentity | None) -> str | None:
    """The identifier the activity's register needs that the learner has not given."""
    needed = REGISTERS[activity.register].identifier
    if identity is None or not identity.identifiers.get(needed):
        return needed
    return None


def submit_evaluation(user_id: int, activity: Activity, answers: dict, commit: bool = True) -> None:
    """Keep the answers without the learner, and separately that the learner did it (once)."""
    if db.session.scalar(select(EvaluationDone.id).filter_by(user_id=user_id, activity_id=activity.id)):
        return
    db.session.add(EvaluationResponse(activity_id=activity.id, answers=answers, submitted_on=date.today()))
    db.session.add(EvaluationDone(user_id=user_id, activity_id=activity.id))
    if commit:
        db.session.commit()


def attest(user_id: int, activity: Activity, minutes: int, commit: bool = True) -> None:
    """The learner's statement of the time spent (kept; capped when points are computed)."""
    row = db.session.scalar(select(Attestation).filter_by(user_id=user_id, activity_id=activity.id))
    if row is None:
        row = Attestation(user_id=user_id, activity_id=activity.id, minutes=minutes)
        db.session.add(row)
    row.minutes = minutes
    if commit:
        db.session.commit()


def try_record(activity: Activity, user_id: int):
    """The record when the rule is met and the learner gave their identity; None otherwise."""
    identity = db.session.get(ProfessionalIdentity, user_id)
    if identity is None or missing_identifier(activity, identity):
        return None
    existing = ledger.find_record(activity.id, user_id)
    if existing is not None:
        return existing
    state = completion.status(activity, user_id)
    if not state.complete:
        return None
    subject = {"name": identity.registered_name, "profession": identity.profession,
               "identifiers": dict(identity.identifiers)}
    return ledger.record_once(activity.id, user_id, subject, state.facts)


def after_progress(user_id: int, module_id: str) -> None:
    """A learner finished a lesson, an answer or a post-test: record the module's participation
    when it is now complete, and any accredited activity now complete."""
    participation.try_record(user_id, module_id)
    # Early exit: an accredited record needs the learner's identity (try_record refuses without
    # one), so without it no activity can have become recordable and the activities need not be read.
    if db.session.get(ProfessionalIdentity, user_id) is None:
        return
    for activity in activities_for_module(module_id):
        try_record(activity, user_id)
