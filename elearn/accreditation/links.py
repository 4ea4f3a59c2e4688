"""What a pass earns, as the learner's pages outside accreditation show it: a record's certificate
links, the parts of the claim form still needed, and the claims after a passed post-test.

A module of its own (not accreditation.views) so that the module page (learning) and the quiz result
page (quizzes) import no view module of another package.
"""
from __future__ import annotations

from flask import current_app, url_for

from elearn.accreditation import completion, operations
from elearn.accreditation.models import Activity, ProfessionalIdentity
from elearn.accreditation.registers import REGISTERS
from elearn.certificates.records import verification_url
from elearn.extensions import db


def certificate_links(code: str) -> dict:
    """Certificate and credential URLs, when the certificates feature is installed."""
    views = current_app.view_functions
    links = {}
    if "certificates.pdf" in views:
        links["pdf"] = url_for("certificates.pdf", code=code)
    if "certificates.credential" in views:
        links["credential"] = url_for("certificates.credential", code=code)
    if "certificates.verify_code" in views:
        links["verify"] = verification_url(code)
    return links


def claim_steps(activity: Activity, state: completion.Status, identity: ProfessionalIdentity | None) -> dict:
    """Which parts of the one claim form the learner still has to fill in."""
    unmet = {r.key for r in state.requirements if not r.met}
    return {"identity": identity is None or operations.missing_identifier(activity, identity) is not None,
            "evaluation": "evaluation" in unmet, "attestation": "attestation" in unmet}


def claims_after_test(module_id: str, user_id: int) -> list[dict]:
    """For the result page of a passed post-test: each accredited activity of the module, its record
    and certificate when written, else what is still needed for the points."""
    claims = []
    for activity in operations.activities_for_module(module_id):
        record = operations.try_record(activity, user_id)
        state = completion.status(activity, user_id)
        steps = claim_steps(activity, state, db.session.get(ProfessionalIdentity, user_id))
        missing = [r.key for r in state.requirements if not r.met]
        if steps["identity"]:
            missing.append("identity")
        claims.append({"activity": activity, "register": REGISTERS[activity.register], "record": record,
                       "missing": [] if record else missing, "form_needed": any(steps.values()),
                       "within_period": state.within_period,
                       "links": certificate_links(record.record_code) if record else {}})
    return claims
