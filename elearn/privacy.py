"""AVG/GDPR: everything the tool holds about a person, and erasing it.

Erasure removes names, e-mail, the LMS user id, the professional identity and the personal data
behind accreditation records, and the free-text answers to cases and reflections (which may tell
about the person or their workplace), and their self-assessment answers (the latest personal result and
every team round's answers; a closed round's frozen team aggregate keeps its counts, which name no one);
attempts, scores and lesson time stay, tied to an account that no longer names
anyone, and the accreditation ledger stays verifiable (its entries never held personal data).
"""
from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from elearn.accreditation import ledger
from elearn.accreditation.models import Attestation, EvaluationDone, LedgerEntry, ProfessionalIdentity, RecordSubject
from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.launch.models import LaunchSession, User
from elearn.learning.models import ActivityResponse, LessonProgress, LessonTime
from elearn.quizzes.models import Attempt
from elearn.selfassessment.models import SelfAssessmentAnswer, SelfAssessmentResult, SelfAssessmentRound


def _rows(model, **where) -> list[dict]:
    """Rows of a model as plain dicts of their columns."""
    return [{c.name: getattr(row, c.name) for c in model.__table__.columns}
            for row in db.session.scalars(select(model).filter_by(**where))]


def export_person(user_id: int) -> dict:
    """A person's data, grouped by what it is for."""
    user = db.session.get(User, user_id)
    identity = db.session.get(ProfessionalIdentity, user_id)
    records = []
    for entry in db.session.scalars(select(LedgerEntry).filter_by(user_id=user_id, kind="record")):
        subject = db.session.get(RecordSubject, entry.record_code)
        records.append({"verification_code": entry.record_code, "facts": ledger.current_facts(entry.record_code),
                        "as_registered": subject.subject if subject else None})
    return {
        "account": {"lms_user_id": user.sub, "name": user.name, "given_name": user.given_name,
                    "family_name": user.family_name, "email": user.email, "language": user.locale,
                    "first_seen": user.created_at, "last_launch": user.last_launch_at},
        "lessons": _rows(LessonProgress, user_id=user_id),
        "time_on_lessons": _rows(LessonTime, user_id=user_id),
        "case_and_reflection_answers": _rows(ActivityResponse, user_id=user_id),
        "post_test_attempts": _rows(Attempt, user_id=user_id),
        "grades_sent_to_the_lms": _rows(GradeDelivery, user_id=user_id),
        "self_assessments": _rows(SelfAssessmentResult, user_id=user_id),
        "team_self_assessment_answers": [
            dict(row, round_title=team_round.title, round_date=team_round.held_on)
            for row in _rows(SelfAssessmentAnswer, user_id=user_id)
            for team_round in [db.session.get(SelfAssessmentRound, row["round_id"])]],
        "professional_identity": ({"registered_name": identity.registered_name, "profession": identity.profession,
                                   "identifiers": identity.identifiers, "consent_at": identity.consent_at}
                                  if identity else None),
        "course_evaluations_done": _rows(EvaluationDone, user_id=user_id),
        "time_attested": _rows(Attestation, user_id=user_id),
        "accreditation_records": records,
    }


def erase_person(user_id: int, by: str = "the person themselves") -> None:
    """Remove a person's personal data (see the module docstring for what stays)."""
    ledger.erase_person(user_id, by)
    for model in (ProfessionalIdentity, Attestation, EvaluationDone, LaunchSession, ActivityResponse,
                  SelfAssessmentResult, SelfAssessmentAnswer):
        db.session.execute(delete(model).where(model.user_id == user_id))
    user = db.session.get(User, user_id)
    user.name = user.given_name = user.family_name = user.email = None
    user.sub = "erased-" + secrets.token_hex(8)
    db.session.commit()
