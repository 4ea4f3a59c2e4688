"""Learner pages of accreditation: claim points for an activity, the transcript, one's own data."""
from __future__ import annotations

import io
import json
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from elearn import csvsafe
from elearn.accreditation import completion, ledger, operations
from elearn.accreditation.models import Activity, LedgerEntry, ProfessionalIdentity, RecordSubject
from elearn.accreditation.portfolio import portfolio_of
from elearn.accreditation.registers import IDENTIFIERS, PROFESSIONS, REGISTERS, points_label
from elearn.catalog.labels import content_lang, pick
from elearn.certificates import portfolio_pdf as document
from elearn.certificates.records import absolute, verification_url
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

EVALUATION = (
    ("relevance", _l("The module is relevant to my daily practice.")),
    ("quality", _l("The content is accurate and of good quality.")),
    ("objectives", _l("The learning objectives were met.")),
    ("independence", _l("The module is free of commercial influence.")),
)
LIKERT = ((1, _l("strongly disagree")), (2, _l("disagree")), (3, _l("neutral")), (4, _l("agree")),
          (5, _l("strongly agree")))


def _activity(activity_id: int) -> Activity:
    """The activity, or 404."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    return activity


def _certificate_links(code: str) -> dict:
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


def _steps(activity: Activity, state: completion.Status, identity: ProfessionalIdentity | None) -> dict:
    """Which parts of the one claim form the learner still has to fill in."""
    unmet = {r.key for r in state.requirements if not r.met}
    return {"identity": identity is None or operations.missing_identifier(activity, identity) is not None,
            "evaluation": "evaluation" in unmet, "attestation": "attestation" in unmet}


@bp.get("/activities/<int:activity_id>")
@launch_required()
def claim(activity_id: int, errors: dict | None = None, status_code: int = 200):
    """What the activity credits, what is still needed, the one form for it, and the record."""
    activity = _activity(activity_id)
    launch = current_launch()
    identity = db.session.get(ProfessionalIdentity, launch.user_id)
    record = operations.try_record(activity, launch.user_id)
    state = completion.status(activity, launch.user_id)
    facts = ledger.current_facts(record.record_code) if record else None
    return render_template(
        "accreditation/claim.html", activity=activity, title=pick(activity.title, content_lang()),
        register=REGISTERS[activity.register], state=state, identity=identity, record=record, facts=facts,
        steps=_steps(activity, state, identity), professions=PROFESSIONS,
        identifiers=IDENTIFIERS, errors=errors or {}, evaluation=EVALUATION, likert=LIKERT,
        links=_certificate_links(record.record_code) if record else {},
        form=request.form if errors else {}), status_code


def _identity_errors(activity: Activity, form) -> dict:
    """What is wrong with the details for the register in the posted form, field by field."""
    _name, _profession, cleaned, problems = operations.clean_identity(
        form.get("registered_name", ""), form.get("profession", ""), {key: form.get(key, "") for key in IDENTIFIERS})
    messages = {"registered_name": _("Give your name as it is registered."), "profession": _("Choose your profession."),
                "big": _("A BIG number has 11 digits.")}
    errors = {field: messages.get(field, _("This number is not valid.")) for field in problems}
    needed = REGISTERS[activity.register].identifier
    if needed not in errors and not cleaned.get(needed):
        errors[needed] = _("This register needs this number to credit your points.")
    if form.get("consent") != "yes":
        errors["consent"] = _("Tick the box to agree that these details are sent.")
    return errors


def _evaluation_answers(form) -> dict | None:
    """The evaluation's answers from the form, or None when a statement is not answered."""
    answers = {}
    for key, _label in EVALUATION:
        value = form.get(key, "")
        if value not in {"1", "2", "3", "4", "5"}:
            return None
        answers[key] = int(value)
    answers["comment"] = form.get("comment", "").strip()[:2000]
    return answers


def _attested_minutes(form) -> int | None:
    """The attested minutes from the form, or None when they are not a whole number from 1 to 1440."""
    raw = form.get("minutes", "").strip()
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 24 * 60 else None


def claims_after_test(module_id: str, user_id: int) -> list[dict]:
    """For the result page of a passed post-test: each accredited activity of the module, its record
    and certificate when written, else what is still needed for the points."""
    claims = []
    for activity in operations.activities_for_module(module_id):
        record = operations.try_record(activity, user_id)
        state = completion.status(activity, user_id)
        steps = _steps(activity, state, db.session.get(ProfessionalIdentity, user_id))
        missing = [r.key for r in state.requirements if not r.met]
        if steps["identity"]:
            missing.append("identity")
        claims.append({"activity": activity, "register": REGISTERS[activity.register], "record": record,
                       "missing": [] if record else missing, "form_needed": any(steps.values()),
                       "within_period": state.within_period,
                       "links": _certificate_links(record.record_code) if record else {}})
    return claims


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
    steps = _steps(activity, completion.status(activity, user_id), identity)
    form = request.form
    errors = _identity_errors(activity, form) if steps["identity"] else {}
    answers = _evaluation_answers(form) if steps["evaluation"] else None
    if steps["evaluation"] and answers is None:
        errors["evaluation"] = _("Answer every statement.")
    minutes = _attested_minutes(form) if steps["attestation"] else None
    if steps["attestation"] and minutes is None:
        errors["attestation"] = _("Give the time you spent in whole minutes.")
    if errors:
        return claim(activity_id, errors, 422)
    if steps["identity"]:
        operations.save_identity(user_id, form.get("registered_name", ""), form.get("profession", ""),
                                 {key: form.get(key, "") for key in IDENTIFIERS}, commit=False)
    if answers is not None:
        operations.submit_evaluation(user_id, activity, answers, commit=False)
    if minutes is not None:
        operations.attest(user_id, activity, minutes, commit=False)
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
                           links={e.record_code: _certificate_links(e.record_code) for e, _f in records})


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
                           links={item.code: _certificate_links(item.code) for item in found.items})


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
    if request.form.get("confirm") != "erase":
        return redirect_with("confirm-erase", "accreditation.privacy")

    erase_person(current_launch().user_id)
    return render_template("accreditation/erased.html")


def record_subject(code: str) -> RecordSubject | None:
    """The personal data behind a record (None after erasure)."""
    return db.session.get(RecordSubject, code)
