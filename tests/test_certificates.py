"""Certificates: the PDF (text in nl and en, a QR code to the verification page), the signed Open Badges
credential (checked offline with the published key set, refused after one changed byte), the public
verification page (valid, corrected, erased, unknown) and who may download what."""
from __future__ import annotations

import base64
import io
import json
import secrets
from datetime import date, timedelta

import pypdf
import pypdfium2
import pytest
import requests
import zxingcpp
from sqlalchemy import select

from elearn.accreditation import ledger
from elearn.accreditation.models import Activity, RecordSubject
from elearn.certificates import credential as vc
from elearn.certificates import keys
from elearn.extensions import db
from elearn.launch.models import LaunchSession, User
from elearn.launch.operations import make_token
from lti.models import Platform, utcnow

NAME = "Renée Ëlsinga-van den Brœk"
BIG = "12345678901"
TITLE = {"nl": "Waardegedreven zorg: de zorgcyclus in de praktijk", "en": "Value-based healthcare: the care cycle in practice"}
FACTS = {"activity_title": TITLE, "register": "gaia", "accreditation_id": "483920", "points": 4.0,
         "points_kind": "accreditation points", "completed_on": "2026-03-12", "post_test_percent": 85.0,
         "module_versions": {"care-cycle": 3}, "evaluation_done": True, "attested_minutes": None,
         "provider": "VBHC Academy"}


# ---------------------------------------------------------------------------------------------- helpers

def make_learner(app, sub: str, name: str) -> int:
    """A user of one (stored) platform; its id."""
    with app.app_context():
        platform = db.session.scalar(select(Platform).filter_by(issuer="https://lms.example.edu"))
        if platform is None:
            platform = Platform(issuer="https://lms.example.edu", client_id="cert-tests", name="Test LMS",
                                auth_login_url="https://lms.example.edu/auth", auth_token_url="https://lms.example.edu/token",
                                key_set_url="https://lms.example.edu/jwks")
            db.session.add(platform)
            db.session.flush()
        user = User(platform_id=platform.id, sub=sub, name=name)
        db.session.add(user)
        db.session.commit()
        return user.id


def launch_token(app, user_id: int, locale: str = "nl") -> str:
    """An in-frame launch token (lt) of a learner, as a launch from the LMS leaves it."""
    with app.app_context():
        user = db.session.get(User, user_id)
        row = LaunchSession(secret=secrets.token_urlsafe(24), user_id=user.id, platform_id=user.platform_id,
                            deployment_id="1", message_type="LtiResourceLinkRequest", roles="learner",
                            lti_roles=[], locale=locale, expires_at=utcnow() + timedelta(hours=1))
        db.session.add(row)
        db.session.commit()
        return make_token(row)


def make_record(app, user_id: int, name: str = NAME, facts: dict | None = None) -> str:
    """An accreditation record of the learner (GAIA, BIG number); its verification code."""
    with app.app_context():
        activity = Activity(title=TITLE, module_ids=["care-cycle"], register="gaia", accreditation_id="483920",
                            points=4.0, points_kind="accreditation points", study_load_minutes=240,
                            valid_from=date(2026, 1, 1), valid_until=date(2027, 12, 31), professions=["medical-specialist"],
                            rule={"lessons": True, "post_test": True, "evaluation": True})
        db.session.add(activity)
        db.session.commit()
        subject = {"name": name, "profession": "medical-specialist", "identifiers": {"big": BIG, "orcid": ""}}
        entry = ledger.record_once(activity.id, user_id, subject, dict(FACTS, activity_id=activity.id, **(facts or {})))
        return entry.record_code


def grouped(code: str) -> str:
    return " ".join(code[i:i + 4] for i in range(0, 12, 4))


def pdf_text(body: bytes) -> str:
    """The text pypdf extracts from the first page."""
    return pypdf.PdfReader(io.BytesIO(body)).pages[0].extract_text()


def qr_urls(body: bytes) -> list[str]:
    """What the QR codes on the first page say (rendered with pdfium, decoded with zxing-cpp)."""
    image = pypdfium2.PdfDocument(body)[0].render(scale=2).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def tamper(jws: str) -> str:
    """The same JWS with one byte of its payload changed (the points 4.0 become 5.0)."""
    head, payload, signature = jws.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    at = raw.index(b'"creditsEarned":4.0') + len(b'"creditsEarned":')
    raw[at] = ord("5")
    return ".".join([head, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode(), signature])


@pytest.fixture()
def ann(app):
    """A learner with a record, and her launch token."""
    user_id = make_learner(app, "ann", "Ann Learner")
    code = make_record(app, user_id)
    return {"id": user_id, "code": code, "lt": launch_token(app, user_id, "nl")}


# ------------------------------------------------------------------------------------------------ PDF

def test_certificate_pdf_in_dutch_carries_the_record_and_a_qr_code_to_the_verification_page(app, client, ann):
    code = ann["code"]
    resp = client.get(f"/certificates/{code}.pdf?lt={ann['lt']}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert f'filename="certificaat-{code}.pdf"' in resp.headers["Content-Disposition"]
    assert "no-store" in resp.headers["Cache-Control"]
    text = pdf_text(resp.data)
    for expected in ("Certificaat", NAME, "Medisch specialist", f"BIG-nummer {BIG}", TITLE["nl"].split(":")[0],
                     "GAIA (ABAN / KNMG)", "483920", "4 accreditatiepunten", "12 maart 2026", "85%",
                     "VBHC Academy", grouped(code), "VERIFICATIECODE", "AFGEROND OP"):
        assert expected in text.replace("\n", " "), expected
    assert qr_urls(resp.data) == [f"http://localhost/verify/{code}"]   # absolute, and no launch token in it


def test_certificate_pdf_in_english_with_the_public_base_url(app, client, ann):
    app.config["TOOL_BASE_URL"] = "https://academy.example.org"
    resp = client.get(f"/certificates/{ann['code']}.pdf?lt={ann['lt']}&lang=en")
    assert resp.status_code == 200
    assert f'filename="certificate-{ann["code"]}.pdf"' in resp.headers["Content-Disposition"]
    text = pdf_text(resp.data).replace("\n", " ")
    for expected in ("Certificate", NAME, "Medical specialist", f"BIG number {BIG}", "Value-based healthcare",
                     "GAIA (ABAN / KNMG)", "Accreditation ID".upper(), "483920", "4 accreditation points",
                     "12 March 2026", "VBHC Academy", grouped(ann["code"]), "Verification code".upper()):
        assert expected in text, expected
    assert "accreditatiepunten" not in text
    assert qr_urls(resp.data) == [f"https://academy.example.org/verify/{ann['code']}"]


def test_certificate_pdf_without_dejavu_falls_back_to_core_fonts_and_keeps_accents(app, client, ann, tmp_path):
    app.config["CERTIFICATE_FONT_DIR"] = str(tmp_path)   # no fonts there, as on a bare CI machine
    resp = client.get(f"/certificates/{ann['code']}.pdf?lt={ann['lt']}")
    assert resp.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts & {"/Helvetica", "/Helvetica-Bold"} and not any("DejaVu" in f for f in fonts)
    text = pdf_text(resp.data)
    assert "Renée Ëlsinga-van den Broek" in text      # é and Ë as they are; œ spelled out
    assert qr_urls(resp.data) == [f"http://localhost/verify/{ann['code']}"]


def test_only_the_learner_of_a_record_gets_its_certificate_and_credential(app, client, ann):
    ben = make_learner(app, "ben", "Ben Other")
    ben_lt = launch_token(app, ben)
    for path in (f"/certificates/{ann['code']}.pdf", f"/certificates/{ann['code']}/credential.json",
                 f"/certificates/{ann['code']}/credential.jwt"):
        refused = client.get(f"{path}?lt={ben_lt}")
        assert refused.status_code == 403 and b"%PDF" not in refused.data
        assert b"eyJhbGciOiJFZERTQSIs" not in refused.data      # the start of a signed credential
        assert 'data-reason="not_yours"' in refused.text and NAME not in refused.text
        assert client.get(path).status_code == 401                       # no launch at all
        assert client.get(f"{path}?lt={ann['lt']}").status_code == 200
    assert client.get(f"/certificates/ABCDEFGHJKLM.pdf?lt={ann['lt']}").status_code == 404


def test_no_certificate_or_credential_after_erasure(app, client, ann):
    with app.app_context():
        assert ledger.erase_person(ann["id"], by="privacy officer") == 1
        assert ledger.verify() == []
    for path in (f"/certificates/{ann['code']}.pdf", f"/certificates/{ann['code']}/credential.jwt"):
        resp = client.get(f"{path}?lt={ann['lt']}")
        assert resp.status_code == 410 and 'data-reason="erased"' in resp.text and NAME not in resp.text


# ----------------------------------------------------------------------------------------- credential

def test_credential_verifies_offline_with_the_published_keys_and_fails_after_one_changed_byte(app, live_server, ann):
    base = live_server.url
    jws = requests.get(f"{base}/certificates/{ann['code']}/credential.jwt", params={"lt": ann["lt"], "lang": "en"},
                       timeout=10)
    assert jws.status_code == 200 and jws.headers["Content-Type"].startswith("application/vc+jwt")
    token = jws.text
    published = requests.get(f"{base}/.well-known/vbhc-credential-keys.json", timeout=10)
    assert published.headers["Access-Control-Allow-Origin"] == "*"
    key_set = published.json()
    assert all("d" not in k and k["kty"] == "OKP" and k["crv"] == "Ed25519" for k in key_set["keys"])
    lti_kids = {k["kid"] for k in requests.get(f"{base}/lti/jwks", timeout=10).json()["keys"]}

    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "vc+jwt" and header["alg"] == "EdDSA" and header["cty"] == "vc"
    assert header["kid"] in {k["kid"] for k in key_set["keys"]} and header["kid"] not in lti_kids

    claims = vc.verify_credential(token, key_set)       # nothing but the fetched key set
    assert claims["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["id"] == f"{base}/verify/{ann['code']}" == claims["jti"]
    assert claims["issuer"] == {"id": f"{base}/", "type": ["Profile"], "name": "VBHC Academy", "url": f"{base}/"}
    assert claims["iss"] == f"{base}/" and claims["validFrom"].endswith("Z")
    subject = claims["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and subject["creditsEarned"] == 4.0
    assert subject["activityEndDate"] == "2026-03-12T00:00:00Z"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["name"] == TITLE["en"]
    assert achievement["creditsAvailable"] == 4.0 and achievement["humanCode"] == "483920"
    assert achievement["criteria"]["narrative"] and achievement["inLanguage"] == "en"
    name, big = subject["identifier"]
    assert name == {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": NAME}
    assert big["hashed"] is True and big["identityHash"] == vc.identity_hash(BIG, big["salt"])
    assert BIG not in json.dumps(claims)                  # the BIG number only as a salted hash
    assert subject["result"][0]["value"] == "85"

    with pytest.raises(vc.CredentialError) as changed:
        vc.verify_credential(tamper(token), key_set)
    assert changed.value.code == "bad_signature"
    head, payload, signature = token.split(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    with pytest.raises(vc.CredentialError):
        vc.verify_credential(".".join([head, flipped, signature]), key_set)
    with pytest.raises(vc.CredentialError) as foreign:
        vc.verify_credential(token, {"keys": []})
    assert foreign.value.code == "unknown_key"


def test_credential_json_is_the_enveloped_form_of_the_same_jws(app, client, ann):
    jwt_text = client.get(f"/certificates/{ann['code']}/credential.jwt?lt={ann['lt']}").text
    wrapped = client.get(f"/certificates/{ann['code']}/credential.json?lt={ann['lt']}")
    assert wrapped.status_code == 200 and "attachment" in wrapped.headers["Content-Disposition"]
    assert wrapped.json == {"@context": "https://www.w3.org/ns/credentials/v2",
                            "type": "EnvelopedVerifiableCredential", "id": f"data:application/vc+jwt,{jwt_text}"}
    assert vc.extract_jws(wrapped.text) == jwt_text     # Ed25519 is deterministic: the same credential each time


def test_a_new_key_signs_and_credentials_signed_before_still_verify(app, client, ann, runner):
    before = client.get(f"/certificates/{ann['code']}/credential.jwt?lt={ann['lt']}").text
    result = runner.invoke(args=["certificates", "new-key"])
    assert result.exit_code == 0 and "2 keys published" in result.output
    after = client.get(f"/certificates/{ann['code']}/credential.jwt?lt={ann['lt']}").text
    key_set = client.get("/.well-known/vbhc-credential-keys.json").json
    assert len(key_set["keys"]) == 2
    kid = lambda token: json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]  # noqa: E731
    assert kid(after) == key_set["keys"][0]["kid"] != kid(before)
    assert vc.verify_credential(before, key_set)["id"] == vc.verify_credential(after, key_set)["id"]
    listed = runner.invoke(args=["certificates", "keys"])           # newest (the signing one) first
    assert listed.exit_code == 0 and listed.output.split() == [k["kid"] for k in key_set["keys"]]


def test_credentials_of_another_kind_are_refused_with_a_reason():
    refused = lambda call, *args: pytest.raises(vc.CredentialError, call, *args).value.code  # noqa: E731
    assert refused(vc.verify_credential, "not-a-jws", {"keys": []}) == "malformed"
    unsigned = json.dumps({"@context": [vc.VC_CONTEXT], "type": vc.TYPES, "credentialSubject": {}})
    assert refused(vc.extract_jws, unsigned) == "unsigned"
    with_proof = json.dumps({"credentialSubject": {}, "proof": {"type": "DataIntegrityProof"}})
    assert refused(vc.extract_jws, with_proof) == "unsupported_proof"
    assert refused(vc.extract_jws, "  ") == "empty"
    assert vc.extract_jws('"a.b.c"') == "a.b.c"


# ------------------------------------------------------------------------------------ verification page

def test_verification_page_of_a_valid_record_shows_the_certificate_but_no_identifiers(app, client, ann):
    resp = client.get(f"/verify/{ann['code']}?lang=en")
    assert resp.status_code == 200 and 'data-status="valid"' in resp.text
    for expected in (NAME, TITLE["en"], "GAIA (ABAN / KNMG)", "483920", "4 accreditation points", "12 March 2026",
                     grouped(ann["code"])):
        assert expected in resp.text, expected
    assert BIG not in resp.text and "Medical specialist" not in resp.text
    assert resp.headers["X-Robots-Tag"] == "noindex" and "no-store" in resp.headers["Cache-Control"]


def test_verification_page_of_a_corrected_record_shows_the_corrected_facts(app, client, ann):
    with app.app_context():
        ledger.correct(ann["code"], {"points": 3.5}, "study load was 3.5 hours", by="admin@academy.example.org")
    resp = client.get(f"/verify/{ann['code']}?lang=en")
    assert resp.status_code == 200 and 'data-status="corrected"' in resp.text
    assert "3.5 accreditation points" in resp.text and "4 accreditation points" not in resp.text
    assert "admin@academy.example.org" not in resp.text and NAME in resp.text


def test_verification_page_after_erasure_says_valid_record_without_the_person(app, client, ann):
    with app.app_context():
        ledger.erase_person(ann["id"], by="privacy officer")
        assert db.session.get(RecordSubject, ann["code"]) is None
    resp = client.get(f"/verify/{ann['code']}?lang=en")
    assert resp.status_code == 200 and 'data-status="erased"' in resp.text
    assert "personal data erased on request" in resp.text
    assert NAME not in resp.text and "483920" in resp.text


def test_verification_page_of_an_unknown_or_mistyped_code(app, client, ann):
    for code in ("ABCDEFGHJKLM", "not-a-code"):
        resp = client.get(f"/verify/{code}")
        assert resp.status_code == 404 and 'data-status="not_found"' in resp.text
    typed = ann["code"].lower()
    resp = client.get(f"/verify?code={typed[:4]} {typed[4:8]}-{typed[8:]}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/verify/{ann['code']}")
    assert client.get("/verify").status_code == 200


def test_verification_links_never_carry_the_launch_token(app, ann):
    from flask import url_for

    with app.test_request_context(f"/accreditation/transcript?lt={ann['lt']}"):
        assert "lt=" in url_for("accreditation.transcript")
        assert url_for("certificates.verify_code", code=ann["code"], _external=True) == \
            f"http://localhost/verify/{ann['code']}"


def test_the_verification_page_checks_an_uploaded_or_posted_credential(app, client, ann):
    token = client.get(f"/certificates/{ann['code']}/credential.jwt?lt={ann['lt']}").text
    wrapped = client.get(f"/certificates/{ann['code']}/credential.json?lt={ann['lt']}").text
    upload = client.post("/verify/credential?lang=en", data={"file": (io.BytesIO(wrapped.encode()), "c.json")},
                         content_type="multipart/form-data")
    assert upload.status_code == 200 and 'data-status="verified"' in upload.text and NAME in upload.text
    assert BIG not in upload.text
    pasted = client.post("/verify/credential?lang=en", data={"credential": tamper(token)})
    assert pasted.status_code == 422 and 'data-status="not_verified"' in pasted.text
    assert client.post("/verify/credential", data={"credential": ""}).status_code == 422

    api = client.post("/verify/credential", data=token, content_type="application/vc+jwt")
    assert api.json == {"verified": True, "problem": None, "detail": None, "record_status": "valid",
                        "matches_record": True}
    with app.app_context():
        ledger.correct(ann["code"], {"points": 3.0}, "capped", by="admin")
    api = client.post("/verify/credential", json=json.loads(wrapped))
    assert api.json["verified"] is True and api.json["record_status"] == "corrected"
    assert api.json["matches_record"] is False
    bad = client.post("/verify/credential", data=tamper(token), content_type="application/vc+jwt")
    assert bad.status_code == 422 and bad.json["problem"] == "bad_signature"


def test_a_refused_credential_form_says_why_at_the_field_and_keeps_the_pasted_text(app, client, ann):
    token = client.get(f"/certificates/{ann['code']}/credential.jwt?lt={ann['lt']}").text
    empty = client.post("/verify/credential?lang=en", data={"credential": "  "})
    assert empty.status_code == 422 and "Choose a credential file or paste the credential." in empty.text
    assert 'aria-invalid="true"' in empty.text and 'data-status="not_verified"' not in empty.text
    huge = client.post("/verify/credential?lang=en", data={"file": (io.BytesIO(b"x" * (64 * 1024 + 1)), "c.jwt")},
                       content_type="multipart/form-data")
    assert huge.status_code == 422 and "larger than any credential VBHC Academy issues" in huge.text
    dutch = client.post("/verify/credential?lang=nl", data={"credential": ""})
    assert dutch.status_code == 422 and "Kies een" in dutch.text
    tampered = tamper(token)
    refused = client.post("/verify/credential?lang=en", data={"credential": tampered})
    assert refused.status_code == 422 and 'data-status="not_verified"' in refused.text
    textarea = refused.text.split('name="credential"', 1)[1].split("</textarea>", 1)[0]
    assert textarea.endswith(tampered)                                           # kept, to correct and send again
    verified = client.post("/verify/credential?lang=en", data={"credential": token})
    assert verified.status_code == 200 and token not in verified.text        # a fresh form for the next one


def test_credential_keys_are_kept_apart_from_lti_keys(app, client):
    key_set = client.get("/.well-known/vbhc-credential-keys.json").json
    assert len(key_set["keys"]) == 1   # made on first use, so a verifier never sees an empty set
    with app.app_context():
        assert keys.signing_key().kid == key_set["keys"][0]["kid"] == keys.thumbprint(key_set["keys"][0])
