"""The record as an Open Badges 3.0 `OpenBadgeCredential`, secured with JOSE (VC-JOSE-COSE).

The compact JWS is the credential: its payload is the credential itself (W3C VC Data Model 2.0,
Open Badges 3.0 context), with the JWT claims iss/jti/nbf that mirror it; the header says
`typ: vc+jwt`, `cty: vc`, `alg: EdDSA` and the `kid` of a key in the tool's published key set
(`/.well-known/vbhc-credential-keys.json`). `verify_credential` needs nothing but that key set.

The person: the name as registered in plain text (the certificate shows it too), the register
identifier (e.g. BIG number) only as a salted SHA-256 hash, which a verifier who knows the number
can check and nobody else can read.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from datetime import datetime, timezone

import jwt

from elearn.catalog import canmeds
from elearn.certificates import texts
from elearn.certificates.keys import ALGORITHM, private_key, signing_key
from elearn.certificates.records import Record

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
MEDIA_TYPE = "application/vc+jwt"
JOSE_TYP = "vc+jwt"
ALGORITHMS = {"OKP": "EdDSA", "EC": "ES256"}     # what a key of each kind may sign with; never HS*/none
VERIFY_PATH = re.compile(r"/verify/([A-Z2-9]{12})$")


class CredentialError(Exception):
    """A credential that does not verify; `code` says why (for the page), the message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _identity_salt(record: Record, key: str) -> str:
    """A per-record, per-identifier salt derived from the record's own secret salt: the same
    credential every time it is downloaded, and hashes that cannot be linked across records."""
    return hmac.new((record.salt or "").encode(), f"openbadges:{key}".encode(), hashlib.sha256).hexdigest()[:32]


def identity_hash(value: str, salt: str) -> str:
    """Open Badges' hashed identity: 'sha256$' + hex(sha256(value + salt))."""
    return "sha256$" + hashlib.sha256((value + salt).encode()).hexdigest()


CANMEDS_FRAMEWORK = "https://www.royalcollege.ca/en/canmeds/canmeds-framework.html"


def _participation_achievement(record: Record, base: str, lang: str, issuer: dict) -> dict:
    """The Achievement of a participation record: the module completed (a Course, no credits),
    aligned to the CanMEDS roles it serves."""
    facts = record.facts
    title = texts.title(facts, lang)
    roles = canmeds.labels(facts.get("canmeds"), lang)
    return {
        "id": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/modules/{facts.get('module_id')}")),
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": title,
        "description": texts.participation(lang, "credential_description").format(
            title=title, hours=texts.hours(facts.get("study_load_minutes"), lang) or "—", roles=", ".join(roles)),
        "criteria": {"narrative": texts.participation(lang, "criteria")},
        "creator": issuer,
        "humanCode": str(facts.get("module_id") or ""),
        "fieldOfStudy": texts.t(lang, "field_of_study"),
        "inLanguage": lang,
        "tag": roles,
        "alignment": [{"type": ["Alignment"], "targetName": name, "targetFramework": "CanMEDS",
                       "targetCode": role, "targetType": "ext:CanMEDSRole", "targetUrl": CANMEDS_FRAMEWORK}
                      for role, name in zip([r for r in canmeds.IDS if r in (facts.get("canmeds") or [])], roles)],
    }


def build(record: Record, base: str, lang: str, rule: dict | None = None) -> dict:
    """The unsigned OpenBadgeCredential of a record that still has its person."""
    if record.subject is None:
        raise LookupError("the personal data of this record was erased")
    lang = texts.lang_of(lang)
    facts = record.facts
    if facts.get("record_type") == "participation":
        return _credential(record, base, lang, _participation_achievement(
            record, base, lang, _issuer(facts, base)))
    title = texts.title(facts, lang)
    register = texts.register_name(facts.get("register"))
    points = facts.get("points")
    kind = texts.points_kind(facts.get("points_kind"), lang, points)
    issuer = _issuer(facts, base)
    achievement_id = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/accreditation/activities/"
                                                                     f"{facts.get('activity_id')}"))
    achievement = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": title,
        "description": texts.t(lang, "credential_description").format(
            points=texts.points(points, lang), kind=kind, register=register, id=facts.get("accreditation_id"),
            title=title),
        "criteria": {"narrative": texts.t(lang, "criteria").format(rule=texts.rule_met(rule, lang))},
        "creator": issuer,
        "humanCode": str(facts.get("accreditation_id") or ""),
        "fieldOfStudy": texts.t(lang, "field_of_study"),
        "inLanguage": lang,
        "otherIdentifier": [{"type": "IdentifierEntry", "identifier": str(facts.get("accreditation_id") or ""),
                              "identifierType": f"ext:{facts.get('register')}"}],
    }
    if points is not None:
        achievement["creditsAvailable"] = float(points)
    return _credential(record, base, lang, achievement)


def _issuer(facts: dict, base: str) -> dict:
    """The academy as the credential's issuer (a Profile)."""
    return {"id": f"{base}/", "type": ["Profile"], "name": facts.get("provider") or "VBHC Academy", "url": f"{base}/"}


def _credential(record: Record, base: str, lang: str, achievement: dict) -> dict:
    """The credential around an achievement: the person, credits, completion date and post-test result."""
    facts = record.facts
    points = facts.get("points")
    achievement_id = achievement["id"]
    versions = facts.get("module_versions") or {}
    if versions:
        achievement["version"] = ", ".join(f"{module} v{number}" for module, number in sorted(versions.items()))
    subject: dict = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                        "identityHash": record.subject.get("name", "")}],
        "achievement": achievement,
    }
    main = texts.main_identifier(facts.get("register"), record.subject.get("identifiers"))
    if main is not None:
        salt = _identity_salt(record, main[0])
        subject["identifier"].append({"type": "IdentityObject", "identityType": f"ext:{main[0]}", "hashed": True,
                                      "identityHash": identity_hash(main[1], salt), "salt": salt})
    if points is not None:
        subject["creditsEarned"] = float(points)
    if record.completed_on is not None:
        subject["activityEndDate"] = f"{record.completed_on.isoformat()}T00:00:00Z"
    if facts.get("post_test_percent") is not None:
        description = f"{achievement_id}#post-test"
        achievement["resultDescription"] = [{"id": description, "type": ["ResultDescription"],
                                             "name": texts.t(lang, "post_test_name"), "resultType": "Percent",
                                             "valueMin": "0", "valueMax": "100"}]
        subject["result"] = [{"type": ["Result"], "resultDescription": description,
                              "value": texts.points(facts["post_test_percent"], "en")}]
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"{base}/verify/{record.code}",
        "type": list(TYPES),
        "name": achievement["name"],
        "description": achievement["description"],
        "issuer": achievement["creator"],
        "validFrom": _iso(record.issued_at),
        "credentialSubject": subject,
    }


def sign(credential: dict) -> str:
    """The credential as a compact JWS (VC-JOSE), signed with the newest credential key."""
    key = signing_key()
    claims = dict(credential, iss=credential["issuer"]["id"], jti=credential["id"],
                  nbf=int(datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00")).timestamp()))
    return jwt.encode(claims, private_key(key), algorithm=ALGORITHM,
                      headers={"kid": key.kid, "typ": JOSE_TYP, "cty": "vc"})


def enveloped(jws: str) -> dict:
    """The JSON form of a JOSE-secured credential: a VC Data Model 2.0 EnvelopedVerifiableCredential."""
    return {"@context": VC_CONTEXT, "id": f"data:{MEDIA_TYPE},{jws}", "type": "EnvelopedVerifiableCredential"}


def verify_credential(jws: str, jwks: dict) -> dict:
    """Check a compact-JWS credential against a published key set; the credential on success.

    Works offline: only `jwks` (the document at /.well-known/vbhc-credential-keys.json) is needed.
    Raises CredentialError saying why a credential does not verify.
    """
    jws = (jws or "").strip()
    if jws.count(".") != 2:
        raise CredentialError("malformed", "not a compact JWS (three dot-separated parts)")
    try:
        header = jwt.get_unverified_header(jws)
    except jwt.PyJWTError as error:
        raise CredentialError("malformed", f"the header cannot be read: {error}") from None
    if header.get("typ") != JOSE_TYP:
        raise CredentialError("not_a_credential", f"the header's typ is {header.get('typ')!r}, not {JOSE_TYP!r}")
    jwk = next((k for k in (jwks or {}).get("keys", []) if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise CredentialError("unknown_key", f"no published key has the kid {header.get('kid')!r}")
    algorithm = ALGORITHMS.get(jwk.get("kty"))
    if algorithm is None or header.get("alg") != algorithm or jwk.get("alg", algorithm) != algorithm:
        raise CredentialError("bad_algorithm", f"the algorithm {header.get('alg')!r} does not fit the key")
    try:
        claims = jwt.decode(jws, jwt.PyJWK(jwk, algorithm).key, algorithms=[algorithm],
                            options={"verify_aud": False, "require": ["iss", "nbf"]})
    except jwt.ImmatureSignatureError:
        raise CredentialError("not_yet_valid", "the credential is not valid yet") from None
    except jwt.ExpiredSignatureError:
        raise CredentialError("expired", "the credential has expired") from None
    except jwt.InvalidSignatureError:
        raise CredentialError("bad_signature", "the signature does not match the content") from None
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise CredentialError("malformed", f"the credential cannot be read: {error}") from None
    _check_shape(claims)
    return claims


def _check_shape(claims: dict) -> None:
    """An Open Badges 3.0 credential whose JWT claims agree with the credential they carry."""
    contexts = claims.get("@context") or []
    types = claims.get("type") or []
    if not isinstance(contexts, list) or contexts[:1] != [VC_CONTEXT] or OB_CONTEXT not in contexts \
            or not isinstance(types, list) or not set(TYPES) <= set(types):
        raise CredentialError("not_open_badge", "not an Open Badges 3.0 OpenBadgeCredential")
    issuer = claims.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if claims.get("iss") != issuer_id or ("jti" in claims and claims["jti"] != claims.get("id")):
        raise CredentialError("claims_conflict", "the JWT claims contradict the credential")
    subject = claims.get("credentialSubject")
    if not isinstance(subject, dict) or "AchievementSubject" not in (subject.get("type") or []) \
            or not isinstance(subject.get("achievement"), dict):
        raise CredentialError("not_open_badge", "the credential has no achievement subject")


def record_code_of(credential: dict) -> str | None:
    """The verification code a credential of this tool names (its id is the verification URL)."""
    match = VERIFY_PATH.search(str(credential.get("id") or ""))
    return match.group(1) if match else None


def extract_jws(text: str) -> str:
    """The compact JWS in what a verifier submits: the JWS itself, an EnvelopedVerifiableCredential,
    or JSON holding the JWS as a string. Raises CredentialError for anything else."""
    text = (text or "").strip().lstrip("\ufeff")
    if not text:
        raise CredentialError("empty", "nothing was submitted")
    if not text.startswith(("{", "[", '"')):
        return "".join(text.split())      # a JWS has no spaces: line breaks from pasting go
    try:
        data = json.loads(text)
    except ValueError:
        raise CredentialError("malformed", "this is not valid JSON") from None
    if isinstance(data, str):
        return data
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict):
        if data.get("type") == "EnvelopedVerifiableCredential" or str(data.get("id", "")).startswith("data:"):
            value = str(data.get("id", ""))
            if value.startswith(f"data:{MEDIA_TYPE},"):
                return value.split(",", 1)[1]
            raise CredentialError("malformed", "the enveloped credential is not a vc+jwt")
        if "proof" in data:
            raise CredentialError("unsupported_proof", "embedded proofs (Data Integrity) are not checked here; "
                                                       "use the signed credential (.jwt) of VBHC Academy")
        if "credentialSubject" in data:
            raise CredentialError("unsigned", "this credential carries no signature")
    raise CredentialError("malformed", "no credential found in this JSON")
