"""Participation records: proof that a learner completed a module, accredited or not (a resident's
training portfolio needs it; only an LMS grade is not enough).

Written through the accreditation ledger like an accredited record (same chain, commitment,
signed checkpoints, verification page, erasure), but of a module rather than an activity: no
points, no register, no identity form. A module is complete when every lesson is done, every case
assignment and the reflection are answered (elearn.learning.activities), and its post-test is
passed at the quiz's own pass mark.
"""
from __future__ import annotations

from datetime import date

from elearn.accreditation import completion, ledger
from elearn.accreditation.models import LedgerEntry, ProfessionalIdentity
from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.launch.models import User
from elearn.learning.activities import activities_complete

RECORD_TYPE = "participation"
PROVIDER = "VBHC Academy"


def is_participation(facts: dict | None) -> bool:
    """Whether a record's facts are a participation record's."""
    return (facts or {}).get("record_type") == RECORD_TYPE


def module_facts(user_id: int, module: Module, today: date | None = None) -> dict | None:
    """The facts a participation record of this module would carry, or None while it is not complete."""
    done, total = completion.lessons_done(user_id, module)
    if done < total or not activities_complete(user_id, module):
        return None
    content = module.current_version.content
    attempt = completion.best_attempt(user_id, module.id, None)
    if module.current_version.quiz.get("items") and (attempt is None or not attempt.passed):
        return None
    return {"record_type": RECORD_TYPE, "module_id": module.id, "activity_title": dict(content["title"]),
            "canmeds": list(content.get("canmeds") or []), "study_load_minutes": content.get("study_load_minutes"),
            "completed_on": (today or date.today()).isoformat(),
            "post_test_percent": attempt.percent if attempt is not None else None,
            "module_versions": {module.id: attempt.version.number if attempt is not None
                                else module.current_version.number},
            "provider": PROVIDER}


def subject_of(user_id: int) -> dict:
    """Who the record is about: the name as registered when the learner gave one (for points),
    else the name the LMS sent; no identifiers (a participation record credits no register)."""
    identity = db.session.get(ProfessionalIdentity, user_id)
    if identity is not None:
        return {"name": identity.registered_name, "profession": identity.profession, "identifiers": {}}
    user = db.session.get(User, user_id)
    name = (user.name or " ".join(p for p in (user.given_name, user.family_name) if p)) if user else ""
    return {"name": name or "", "profession": None, "identifiers": {}}


def try_record(user_id: int, module_id: str) -> LedgerEntry | None:
    """The learner's participation record of the module: the existing one, a new one when the module
    is now complete, else None."""
    existing = ledger.find_participation(module_id, user_id)
    if existing is not None:
        return existing
    module = db.session.get(Module, module_id)
    if module is None or module.current_version is None:
        return None
    facts = module_facts(user_id, module)
    if facts is None:
        return None
    return ledger.participation_once(module_id, user_id, subject_of(user_id), facts)
