"""Learner pages of accreditation: claim points for an activity, the transcript, one's own data."""
from __future__ import annotations

import io
import json
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import select

from elearn import csvsafe
from elearn.accreditation import completion, ledger, operations
from elearn.accreditation.links import certificate_links, claim_steps
from elearn.accreditation.forms import EVALUATION, LIKERT, ClaimForm, EraseForm
from elearn.accreditation.models import Activity, LedgerEntry, ProfessionalIdentity, RecordSubject
from elearn.accreditation.portfolio import portfolio_of
from elearn.accreditation.registers import IDENTIFIERS, PROFESSIONS, REGISTERS, points_label
from elearn.catalog.labels import content_lang, pick
from elearn.certificates import portfolio_pdf as document
from elearn.certificates.records import absolute
from elearn.extensions import db
from elearn.launch.models import User
from elearn.launch.session import current_launch, fresh_launch_required, launch_required
from elearn.launch.form_guard import require_genuine_form
from elearn.notices import redirect_with
from elearn.privacy import erase_person, export_person

bp = Blueprint("accreditation", __name__, url_prefix="/accreditation")


@bp.app_template_filter("todate")
def _todate_filter(iso: str):
    """An ISO date string as a date, for |dateformat."""
    return date.fromisoformat(str(iso))


@bp.app_template_filter("points")
def _points_filter(points, kind=None) -> str:
    """{{ activity.points|points(activity.points_kind) }} → '1,5 accreditatie-uren'."""
    return points_label(points, kind)

def _activity(activity_id: int) -> Activity:
    """The activity, or 404."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


@bp.get("/activities/<int:activity_id>")
@launch_required()
def claim(activity_id: int, errors: dict | None = None, status_code: int = 200, typed: dict | None = None):
    """What the activity credits, what is still needed, the one form for it, and the record; after a
    refusal, the errors and what the learner typed (`typed`)."""
    activity = _activity(activity_id)
    launch = current_launch()
    identity = db.session.get(ProfessionalIdentity, launch.user_id)
    record = operations.try_record(activity, launch.user_id)
    state = completion.status(activity, launch.user_id)
    facts = ledger.current_facts(record.record_code) if record else None
    return render_template(
        "accreditation/claim.html", activity=activity, title=pick(activity.title, content_lang()),
        register=REGISTERS[activity.register], state=state, identity=identity, record=record, facts=facts,
        steps=claim_steps(activity, state, identity), professions=PROFESSIONS,
        identifiers=IDENTIFIERS, errors=errors or {}, evaluation=EVALUATION, likert=LIKERT,
        links=certificate_links(record.record_code) if record else {},
        form=typed if errors and typed else {}), status_code


@bp.post("/activities/<int:activity_id>/claim")
@launch_required()
def submit_claim(activity_id: int):
    """The one step after the post-test: details for the register with consent, the evaluation and the
    time spent, whichever are still needed, checked together; saved only when all are right, then
    the record is written when the rule is met."""
    require_genuine_form()
    activity = _activity(activity_id)
    user_id = current_launch().user_id
    identity = db.session.get(ProfessionalIdentity, user_id)
    if operations.try_record(activity, user_id) is not None:
        return redirect_with("points-recorded", "accreditation.claim", activity_id=activity_id)
    steps = claim_steps(activity, completion.status(activity, user_id), identity)
    form = ClaimForm()
    errors = form.problems(activity, steps)
    if errors:
        return claim(activity_id, errors, 422, form.typed())
    if steps["identity"]:
        operations.save_identity(user_id, form.registered_name.data or "", form.profession.data or "",
                                 form.identifiers(), commit=False)
    if steps["evaluation"]:
        operations.submit_evaluation(user_id, activity, form.evaluation_answers(), commit=False)
    if steps["attestation"]:
        operations.attest(user_id, activity, form.minutes.data, commit=False)
    db.session.commit()
    if operations.try_record(activity, user_id) is not None:
        return redirect_with("points-recorded", "accreditation.claim", activity_id=activity_id, _anchor="record")
    return redirect_with("claim-saved", "accreditation.claim", activity_id=activity_id)


def _records(user_id: int, participation: bool = False) -> list[tuple[LedgerEntry, dict]]:
    """The learner's accredited records (or, with `participation`, all records) with their current
    facts, newest first."""
    query = select(LedgerEntry).filter_by(user_id=user_id, kind="record").order_by(LedgerEntry.seq.desc())
    if not participation:
        query = query.where(LedgerEntry.activity_id.is_not(None))
    return [(e, ledger.current_facts(e.record_code)) for e in db.session.scalars(query)]


@bp.get("/transcript")
@launch_required()
def transcript():
    """All the learner's accreditation records across modules."""
    records = _records(current_launch().user_id)
    return render_template("accreditation/transcript.html", records=records, registers=REGISTERS,
                           links={e.record_code: certificate_links(e.record_code) for e, _f in records})


def _portfolio():
    """The launched learner's portfolio in the page language."""
    user = db.session.get(User, current_launch().user_id)
    return portfolio_of(user.id, content_lang(), fallback_name=(user.name or "") if user else "")


@bp.get("/portfolio")
@launch_required()
def portfolio():
    """Every module the learner completed, with roles, hours and their reflection; the PDF to download."""
    found = _portfolio()
    return render_template("accreditation/portfolio.html", portfolio=found, lang=content_lang(),
                           links={item.code: certificate_links(item.code) for item in found.items})


@bp.get("/portfolio.pdf")
@launch_required()
def portfolio_pdf():
    """The portfolio as one PDF in the learner's language, for upload to a training portfolio."""
    lang = content_lang()
    body = document.render(_portfolio(), lang, absolute("certificates.verify"),
                           font_dir=current_app.config.get("CERTIFICATE_FONT_DIR"))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document.filename(lang)}.pdf"',
        "Cache-Control": "private, no-store"})


@bp.get("/transcript.csv")
@launch_required()
def transcript_csv():
    """The transcript as CSV."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\n")
    writer.writerow(["verification_code", "activity", "register", "accreditation_id", "points", "points_kind",
                     "completed_on", "post_test_percent"])
    for entry, facts in _records(current_launch().user_id):
        writer.writerow([entry.record_code, pick(facts["activity_title"], content_lang()), facts["register"],
                         facts["accreditation_id"], facts["points"], facts["points_kind"], facts["completed_on"],
                         facts.get("post_test_percent")])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="accreditation-transcript.csv"'})


@bp.get("/my-data.json")
@launch_required()
@fresh_launch_required(as_json=True)
def my_data():
    """Everything the tool holds about the learner (AVG/GDPR access request)."""
    data = export_person(current_launch().user_id)
    return Response(json.dumps(data, indent=2, ensure_ascii=False, default=str), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="vbhc-academy-my-data.json"'})


@bp.get("/privacy")
@launch_required()
def privacy():
    """What the tool keeps about the learner; download it, or ask for erasure."""
    identity = db.session.get(ProfessionalIdentity, current_launch().user_id)
    return render_template("accreditation/privacy.html", identity=identity,
                           records=len(_records(current_launch().user_id, participation=True)))


@bp.post("/erase")
@launch_required()
@fresh_launch_required()
def erase():
    """Erase the learner's personal data; the ledger stays verifiable (pseudonymised entries)."""
    require_genuine_form()
    if not EraseForm().confirmed():
        return redirect_with("confirm-erase", "accreditation.privacy")

    erase_person(current_launch().user_id)
    return render_template("accreditation/erased.html")


def record_subject(code: str) -> RecordSubject | None:
    """The personal data behind a record (None after erasure)."""
    return db.session.get(RecordSubject, code)
