"""Certificate routes: the learner's PDF and credential, the public verification page, the key set.

    GET  /certificates/<code>.pdf                 the certificate (the record's own learner, via the launch)
    GET  /certificates/<code>/credential.json     the Open Badges 3.0 credential, as an EnvelopedVerifiableCredential
    GET  /certificates/<code>/credential.jwt      the same credential as a compact JWS (application/vc+jwt)
    GET  /verify, /verify?code=…                  the public verification form
    GET  /verify/<code>                           validity of a record: what the certificate shows, no identifiers
    POST /verify/credential                       check a credential (file, pasted text, or a JSON/JWS body)
    GET  /.well-known/vbhc-credential-keys.json   the credential keys (JWKS), for checking offline
    GET  /.well-known/vbhc-ledger-key.json        the key that signs the ledger's checkpoints (JWK), for auditors
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from elearn.accreditation import checkpoints
from elearn.accreditation.models import Activity
from elearn.catalog import canmeds
from elearn.certificates import credential as vc
from elearn.certificates import keys, records, texts
from elearn.certificates.forms import GIVE_ONE, CredentialForm, too_large
from elearn.extensions import db
from elearn.launch.session import current_launch, launch_required
from elearn.refusal import Refusal

bp = Blueprint("certificates", __name__)

PUBLIC = {"certificates.verify", "certificates.verify_code", "certificates.verify_credential",
          "certificates.jwks", "certificates.ledger_key"}

FIELD_LABELS = {
    "points": _l("Points"), "points_kind": _l("Kind of points"), "completed_on": _l("Completion date"),
    "accreditation_id": _l("Accreditation ID"), "register": _l("Register"), "activity_title": _l("Activity"),
    "post_test_percent": _l("Post-test result"), "attested_minutes": _l("Attested time"),
    "evaluation_done": _l("Course evaluation"), "module_versions": _l("Content version"),
}
PROBLEMS = {
    "empty": GIVE_ONE,
    "malformed": _l("This is not a credential this page can read: give the signed credential (.jwt) or its JSON "
                    "form (.json) as downloaded from VBHC Academy."),
    "not_a_credential": _l("This is a signed token, but not a verifiable credential."),
    "unknown_key": _l("It was not signed with a key VBHC Academy has published."),
    "bad_algorithm": _l("It was signed with an algorithm that does not fit VBHC Academy's key."),
    "bad_signature": _l("The signature does not match the content: the credential was changed after it was "
                        "issued, or it is not genuine."),
    "not_yet_valid": _l("The credential is not valid yet."),
    "expired": _l("The credential has expired."),
    "not_open_badge": _l("The signature is genuine, but this is not an Open Badges 3.0 credential."),
    "claims_conflict": _l("The credential contradicts its own signed claims."),
    "unsupported_proof": _l("This credential carries an embedded proof, which this page does not check. Use the "
                            "signed credential (.jwt) from VBHC Academy."),
    "unsigned": _l("This credential carries no signature, so it cannot be verified."),
}


@bp.url_defaults
def _no_launch_token_in_public_urls(endpoint: str, values: dict) -> None:
    """Public pages never carry the learner's launch token (it would leak through a QR code or a link)."""
    if endpoint in PUBLIC:
        values.pop("lt", None)


def _lang() -> str:
    """The certificate's language: the launch's (?lang= switches it), nl or en."""
    return texts.lang_of(str(get_locale() or "nl"))


class CertificateUnavailable(Refusal):
    """A certificate that cannot be given out: the certificates page that names the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(status, reason, template="certificates/unavailable.html",
                         headers={"Cache-Control": "no-store"}, reason=reason)


def _own_record(code: str):
    """The launched learner's own record that still has its person; CertificateUnavailable otherwise."""
    record = records.load(code)
    if record is None:
        raise CertificateUnavailable(404, "not_found")
    if record.status == records.ERASED:
        raise CertificateUnavailable(410, "erased")
    launch = current_launch()
    if record.entry.user_id is None or record.entry.user_id != launch.user_id:
        raise CertificateUnavailable(403, "not_yours")
    if not record.intact:
        raise CertificateUnavailable(409, "damaged")
    return record


def _private(response: Response, filename: str, disposition: str = "attachment") -> Response:
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/certificates/<code>.pdf")
@launch_required()
def pdf(code: str):
    """The certificate of one's own record, in the learner's language."""
    record = _own_record(code)
    lang = _lang()
    # fpdf2 (with fontTools) is ~19 MB per process: imported by the first certificate, not by every worker.
    from elearn.certificates.pdf import certificate_data, render

    body = render(certificate_data(record, lang, records.verification_url(record.code)),
                  font_dir=current_app.config.get("CERTIFICATE_FONT_DIR"))
    name = texts.participation(lang, "filename") if record.is_participation else texts.t(lang, "filename")
    return _private(Response(body, mimetype="application/pdf"), f"{name}-{record.code}.pdf", disposition="inline")


def _signed(record) -> str:
    activity_id = record.facts.get("activity_id")     # none for a participation record
    activity = db.session.get(Activity, activity_id) if activity_id is not None else None
    credential = vc.build(record, records.base_url(), _lang(), rule=activity.rule if activity else None)
    return vc.sign(credential)


@bp.get("/certificates/<code>/credential.json")
@launch_required()
def credential(code: str):
    """The credential in its JSON form: a VC Data Model 2.0 EnvelopedVerifiableCredential around the JWS."""
    record = _own_record(code)
    response = jsonify(vc.enveloped(_signed(record)))
    return _private(response, f"vbhc-academy-{record.code}.credential.json")


@bp.get("/certificates/<code>/credential.jwt")
@launch_required()
def credential_jwt(code: str):
    """The credential as a compact JWS (application/vc+jwt), as wallets import it."""
    record = _own_record(code)
    return _private(Response(_signed(record), mimetype=vc.MEDIA_TYPE), f"vbhc-academy-{record.code}.jwt")


@bp.get("/.well-known/vbhc-credential-keys.json")
def jwks():
    """Every credential key ever used (public halves): what a verifier needs to check a credential offline."""
    keys.signing_key()   # publish a key before the first credential is signed
    response = jsonify(keys.published_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/.well-known/vbhc-ledger-key.json")
def ledger_key():
    """The public key of the ledger's signed checkpoints: an auditor checks a checkpoint file with it offline."""
    response = jsonify(checkpoints.public_key())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _public(html: str, status: int = 200):
    return html, status, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _verify_page(form: CredentialForm | None = None, **context) -> str:
    """The verification page; its credential form blank unless a refused one is shown again."""
    shown = CredentialForm(formdata=None) if form is None else form
    return render_template("certificates/verify.html", form=shown, **context)


@bp.get("/verify")
def verify():
    """The verification form; a typed code goes to its page."""
    typed = request.args.get("code", "")
    if typed.strip():
        code = records.normalise_code(typed)
        if code is not None:
            return redirect(url_for("certificates.verify_code", code=code))
        return _public(_verify_page(view=None, typed=typed[:40], bad_code=True), 404)
    return _public(_verify_page(view=None, typed="", bad_code=False))


def _view(record: records.Record) -> dict:
    """What the public page shows of a record: the certificate's facts and name, never identifiers."""
    lang = _lang()
    facts = record.facts
    percent = facts.get("post_test_percent")
    return {
        "participation": record.is_participation,
        "document": texts.participation(lang, "document") if record.is_participation else None,
        "roles": canmeds.labels(facts.get("canmeds"), lang),
        "study_load": texts.hours(facts.get("study_load_minutes"), lang),
        "code": record.code, "grouped": records.grouped(record.code), "status": record.status,
        "intact": record.intact,
        "name": record.subject.get("name") if record.subject and record.intact else None,
        "title": texts.title(facts, lang), "register": texts.register_name(facts.get("register")),
        "accreditation_id": facts.get("accreditation_id"),
        "points": texts.points(facts.get("points"), lang),
        "points_kind": texts.points_kind(facts.get("points_kind"), lang, facts.get("points")),
        "completed_on": texts.long_date(record.completed_on, lang),
        "post_test": f"{texts.points(percent, lang)}%" if percent is not None else None,
        "provider": facts.get("provider") or "VBHC Academy",
        "issued_on": texts.long_date(record.issued_at.date(), lang),
        "corrected_on": [texts.long_date(e.created_at.date(), lang) for e in record.corrections],
        "changed": [str(FIELD_LABELS.get(key, key)) for key in record.changed_fields],
        "erased_on": texts.long_date(record.erased_on, lang) if record.erased_on else None,
    }


@bp.get("/verify/<code>")
def verify_code(code: str):
    """Whether a certificate's record stands: valid, corrected, personal data erased, or not found."""
    record = records.load(code)
    if record is None:
        return _public(_verify_page(view=None, typed=code[:40], bad_code=True), 404)
    return _public(_verify_page(view=_view(record), typed="", bad_code=False))


def _summary(claims: dict) -> dict:
    """The facts of a verified credential, as the credential states them."""
    subject = claims.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    names = [i.get("identityHash") for i in subject.get("identifier") or []
             if isinstance(i, dict) and i.get("identityType") == "name" and not i.get("hashed")]
    issuer = claims.get("issuer") or {}
    return {"name": names[0] if names else None, "title": achievement.get("name"),
            "accreditation_id": achievement.get("humanCode"), "points": subject.get("creditsEarned"),
            "completed_on": (subject.get("activityEndDate") or "")[:10] or None,
            "issuer": issuer.get("name") if isinstance(issuer, dict) else issuer,
            "valid_from": claims.get("validFrom")}


def _check(text: str) -> dict:
    """Verify a submitted credential and set it against the ledger."""
    try:
        claims = vc.verify_credential(vc.extract_jws(text), keys.published_jwks())
    except vc.CredentialError as error:
        return {"ok": False, "problem": error.code, "detail": str(error)}
    result = {"ok": True, "credential": _summary(claims), "record": None, "matches": None}
    record = records.load(vc.record_code_of(claims))
    if record is not None:
        facts, stated = record.facts, result["credential"]
        result["record"] = _view(record)
        result["matches"] = (
            stated["accreditation_id"] == str(facts.get("accreditation_id") or facts.get("module_id") or "")
            and stated["completed_on"] == facts.get("completed_on")
            and (stated["points"] is None or facts.get("points") is None
                 or abs(float(stated["points"]) - float(facts["points"])) < 1e-9))
    return result


@bp.post("/verify/credential")
def verify_credential():
    """Check a credential (Open Badges 3.0, VC-JOSE) against the published keys and the ledger: from the
    page's form (a file or pasted text), or as the request body itself (a verifier's own tool)."""
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _verify_body(request.get_data(as_text=True))
    form = CredentialForm()
    if not form.validate():     # nothing given, or too much: said at the field, what was pasted kept
        form.credential.data = form.kept()
        return _public(_verify_page(form, view=None, typed="", bad_code=False), 422)
    result = _check(form.text())
    if result["ok"]:
        return _public(_verify_page(view=None, typed="", bad_code=False, checked=result))
    result["message"] = str(PROBLEMS.get(result["problem"], PROBLEMS["malformed"]))
    form.credential.data = form.kept()
    return _public(_verify_page(form, view=None, typed="", bad_code=False, checked=result), 422)


def _verify_body(text: str):
    """The JSON answer for a credential posted as the request body."""
    if too_large(text):
        result = {"ok": False, "problem": "malformed", "detail": "too large"}
    else:
        result = _check(text)
    answer = {"verified": result["ok"], "problem": result.get("problem"), "detail": result.get("detail"),
              "record_status": (result.get("record") or {}).get("status"), "matches_record": result.get("matches")}
    return answer, 200 if result["ok"] else 422, {"Cache-Control": "no-store"}
