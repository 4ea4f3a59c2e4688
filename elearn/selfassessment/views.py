"""The team self-assessment page: one form, results per domain, radar chart, recommended modules."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select

from elearn.catalog.labels import content_lang
from elearn.catalog.models import CatalogDocument
from elearn.extensions import db
from elearn.launch.session import current_launch
from elearn.launch.form_guard import require_genuine_form
from elearn.refusal import Refusal
from elearn.selfassessment.models import SelfAssessmentResult
from elearn.selfassessment.scoring import WEAK_BELOW, read_answers, score
from lti.models import utcnow

bp = Blueprint("selfassessment", __name__, url_prefix="/self-assessment")


def current_definition() -> tuple[dict | None, str | None]:
    """(self-assessment.yaml as loaded, its hash) or (None, None) before the first load."""
    row = db.session.get(CatalogDocument, "self-assessment")
    return (row.data, row.content_hash) if row else (None, None)


def loaded_definition() -> tuple[dict, str]:
    """(self-assessment.yaml as loaded, its hash); before the first `courses load` the page that says so, 503."""
    definition, definition_hash = current_definition()
    if definition is None:
        raise Refusal(503, "selfassessment_not_loaded", template="selfassessment/page.html", definition=None)
    return definition, definition_hash


def _page(definition, answers, missing=(), results=None, status=200, saved_at=None):
    """Render the form, with results when there are any."""
    weak = [r for r in results or [] if r.weak]
    return render_template("selfassessment/page.html", definition=definition, answers=answers,
                           missing=list(missing), results=results, weak=weak, weak_below=WEAK_BELOW,
                           lang=content_lang(), saved_at=saved_at), status


@bp.get("")
def form():
    """The questionnaire; a launched user also sees their latest stored result."""
    definition, _hash = loaded_definition()
    launch = current_launch()
    stored = None
    if launch is not None:
        stored = db.session.scalar(select(SelfAssessmentResult).where(SelfAssessmentResult.user_id == launch.user_id))
    if stored is None:
        return _page(definition, {})
    results = score(definition, stored.answers, content_lang())
    return _page(definition, stored.answers, results=results, saved_at=stored.updated_at)


@bp.post("")
def submit():
    """Score the answers; keep them only for a launched user (the latest result per user)."""
    definition, definition_hash = loaded_definition()
    require_genuine_form()
    answers, missing = read_answers(definition, request.form)
    if missing:
        return _page(definition, answers, missing=missing, status=422)
    results = score(definition, answers, content_lang())
    launch = current_launch()
    if launch is None:
        return _page(definition, answers, results=results)
    _store(launch.user_id, definition_hash, answers, {r.id: r.percent for r in results})
    return redirect(url_for("selfassessment.form", _anchor="results"), code=303)


def _store(user_id: int, definition_hash: str, answers: dict, scores: dict) -> None:
    """Replace the user's stored result."""
    row = db.session.scalar(select(SelfAssessmentResult).where(SelfAssessmentResult.user_id == user_id))
    if row is None:
        row = SelfAssessmentResult(user_id=user_id)
        db.session.add(row)
    row.definition_hash, row.answers, row.scores, row.updated_at = definition_hash, answers, scores, utcnow()
    db.session.commit()
