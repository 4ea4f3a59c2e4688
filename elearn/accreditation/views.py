"""Learner pages of accreditation: claim points for an activity, the transcript, one's own data."""
from __future__ import annotations

import io
import json

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from elearn import csvsafe
from elearn.accreditation import completion, ledger, operations
from elearn.accreditation.models import Activity, LedgerEntry, ProfessionalIdentity, RecordSubject
from elearn.accreditation.registers import IDENTIFIERS, PROFESSIONS, REGISTERS
from elearn.catalog.labels import content_lang, pick
from elearn.extensions import db
from elearn.launch.session import current_launch, fresh_launch_required, launch_required
from elearn.learning.guard import require_genuine_form
from elearn.notices import redirect_with

bp = Blueprint("accreditation", __name__, url_prefix="/accreditation")


@bp.app_template_filter("todate")
def _todate_filter(iso: str):
    """An ISO date string as a date, for |dateformat."""
    from datetime import date

    return date.fromisoformat(str(iso))


@bp.app_template_filter("points")
def _points_filter(points, kind=None) -> str:
    """{{ activity.points|points(activity.points_kind) }} → '1,5 accreditatie-uren'."""
    from elearn.accreditation.registers import points_label

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
        from elearn.certificates.records import verification_url

        links["verify"] = verification_url(code)
    return links


@bp.get("/activities/<int:activity_id>")
@launch_required()
def claim(activity_id: int, errors: dict | None = None, status_code: int = 200):
    """What the activity credits, what is still needed, the identity form, and the record."""
    activity = _activity(activity_id)
    launch = current_launch()
    identity = db.session.get(ProfessionalIdentity, launch.user_id)
    record = operations.try_record(activity, launch.user_id)
    state = completion.status(activity, launch.user_id)
    facts = ledger.current_facts(record.record_code) if record else None
    return render_template(
        "accreditation/claim.html", activity=activity, title=pick(activity.title, content_lang()),
        register=REGISTERS[activity.register], state=state, identity=identity, record=record, facts=facts,
        needed=operations.missing_identifier(activity, identity), professions=PROFESSIONS,
        identifiers=IDENTIFIERS, errors=errors or {}, evaluation=EVALUATION, likert=LIKERT,
        links=_certificate_links(record.record_code) if record else {},
        form=request.form if errors else {}), status_code


@bp.post("/activities/<int:activity_id>/identity")
@launch_required()
def identity(activity_id: int):
    """Save the learner's professional identity and consent."""
    require_genuine_form()
    activity = _activity(activity_id)
    form = request.form
    if form.get("consent") != "yes":
        return claim(activity_id, {"consent": _("Tick the box to agree that these details are sent.")}, 422)
    try:
        operations.save_identity(current_launch().user_id, form.get("registered_name", ""), form.get("profession", ""),
                                 {key: form.get(key, "") for key in IDENTIFIERS})
    except operations.IdentityError as error:
        messages = {"registered_name": _("Give your name as it is registered."),
                    "profession": _("Choose your profession."),
                    "big": _("A BIG number has 11 digits.")}
        return claim(activity_id, {error.field: messages.get(error.field, _("This number is not valid."))}, 422)
    if operations.missing_identifier(activity, db.session.get(ProfessionalIdentity, current_launch().user_id)):
        return claim(activity_id, {REGISTERS[activity.register].identifier: _(
            "This register needs this number to credit your points.")}, 422)
    return redirect_with("identity-saved", "accreditation.claim", activity_id=activity_id)


@bp.post("/activities/<int:activity_id>/evaluation")
@launch_required()
def evaluation(activity_id: int):
    """The course evaluation: answers kept apart from the learner."""
    require_genuine_form()
    activity = _activity(activity_id)
    answers = {}
    for key, _label in EVALUATION:
        value = request.form.get(key, "")
        if value not in {"1", "2", "3", "4", "5"}:
            return claim(activity_id, {"evaluation": _("Answer every statement.")}, 422)
        answers[key] = int(value)
    answers["comment"] = request.form.get("comment", "").strip()[:2000]
    operations.submit_evaluation(current_launch().user_id, activity, answers)
    return redirect_with("evaluation-saved", "accreditation.claim", activity_id=activity_id)


@bp.post("/activities/<int:activity_id>/attestation")
@launch_required()
def attestation(activity_id: int):
    """The learner attests the time they actually spent."""
    require_genuine_form()
    activity = _activity(activity_id)
    raw = request.form.get("minutes", "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 24 * 60:
        return claim(activity_id, {"attestation": _("Give the time you spent in whole minutes.")}, 422)
    operations.attest(current_launch().user_id, activity, int(raw))
    return redirect_with("attestation-saved", "accreditation.claim", activity_id=activity_id)


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
    from elearn.accreditation.portfolio import portfolio_of
    from elearn.launch.models import User

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
    from elearn.certificates import portfolio_pdf as document
    from elearn.certificates.records import absolute

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
    from elearn.privacy import export_person

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
    from elearn.privacy import erase_person

    erase_person(current_launch().user_id)
    return render_template("accreditation/erased.html")


def record_subject(code: str) -> RecordSubject | None:
    """The personal data behind a record (None after erasure)."""
    return db.session.get(RecordSubject, code)
