"""The words on a certificate and in a credential, in Dutch and English.

Kept here rather than in the interface catalogue: a certificate must come out in the learner's
language whatever state the catalogue is in, and it is a document, not an interface.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import force_locale

from elearn.accreditation.completion import RULE_KEYS
from elearn.accreditation.registers import IDENTIFIERS, PROFESSIONS, REGISTERS, canonical_kind

LANGS = ("nl", "en")
DATE_LOCALES = {"nl": "nl_NL", "en": "en_GB"}   # 12 March 2026: the European English of the registers

TEXT = {
    "nl": {
        "title": "Certificaat",
        "subtitle": "Geaccrediteerde nascholing · waardegedreven zorg",
        "certify": "Hierbij verklaart VBHC Academy dat",
        "completed": "de geaccrediteerde e-learning met goed gevolg heeft afgerond",
        "register": "Register",
        "accreditation_id": "Accreditatienummer",
        "points": "Punten",
        "completed_on": "Afgerond op",
        "post_test": "Toetsresultaat",
        "provider": "Aanbieder",
        "provider_line": "Aanbieder van geaccrediteerd onderwijs in waardegedreven zorg",
        "code": "Verificatiecode",
        "verify": "Controleer dit certificaat",
        "scan": "Scan de QR-code of ga naar",
        "electronic": "Elektronisch uitgegeven en geldig zonder handtekening. De gegevens staan in het "
                      "accreditatieregister van VBHC Academy; de QR-code laat zien of ze nog kloppen.",
        "issued": "Uitgegeven op",
        "filename": "certificaat",
        "document": "Certificaat van accreditatie",
        "credential_description": "{points} {kind} bij {register}, accreditatienummer {id}, voor het afronden van de "
                                  "geaccrediteerde e-learning “{title}” van VBHC Academy.",
        "field_of_study": "Waardegedreven zorg",
        "criteria": "Voldaan aan de afrondingsregel van de geaccrediteerde activiteit: {rule}.",
        "rule_lessons": "alle lessen afgerond",
        "rule_activities": "de casusopdrachten en de reflectie gemaakt",
        "rule_post_test": "de eindtoets gehaald",
        "rule_evaluation": "de cursusevaluatie ingevuld",
        "rule_attestation": "de werkelijk bestede tijd verklaard",
        "post_test_name": "Eindtoets",
    },
    "en": {
        "title": "Certificate",
        "subtitle": "Accredited continuing education · value-based healthcare",
        "certify": "VBHC Academy hereby certifies that",
        "completed": "has successfully completed the accredited e-learning activity",
        "register": "Register",
        "accreditation_id": "Accreditation ID",
        "points": "Points",
        "completed_on": "Completed on",
        "post_test": "Post-test result",
        "provider": "Provider",
        "provider_line": "Provider of accredited education in value-based healthcare",
        "code": "Verification code",
        "verify": "Verify this certificate",
        "scan": "Scan the QR code or go to",
        "electronic": "Issued electronically and valid without signature. The details are held in the "
                      "accreditation register of VBHC Academy; the QR code shows whether they still stand.",
        "issued": "Issued on",
        "filename": "certificate",
        "document": "Certificate of accreditation",
        "credential_description": "{points} {kind} with {register}, accreditation ID {id}, for completing the "
                                  "accredited e-learning activity “{title}” of VBHC Academy.",
        "field_of_study": "Value-based healthcare",
        "criteria": "Met the completion rule of the accredited activity: {rule}.",
        "rule_lessons": "all lessons completed",
        "rule_activities": "the case assignments and the reflection done",
        "rule_post_test": "post-test passed",
        "rule_evaluation": "course evaluation completed",
        "rule_attestation": "time actually spent attested",
        "post_test_name": "Post-test",
    },
}

# A participation record's certificate (elearn.accreditation.participation): these words replace
# the accredited certificate's, and its facts are the module's, not a register's.
PARTICIPATION = {
    "nl": {
        "title": "Bewijs van deelname",
        "subtitle": "Onderwijs in waardegedreven zorg",
        "certify": "Hierbij verklaart VBHC Academy dat",
        "completed": "de e-learningmodule volledig heeft afgerond",
        "canmeds": "CanMEDS-rollen",
        "study_load": "Studiebelasting",
        "hours": "{hours} uur",
        "hour": "1 uur",
        "document": "Bewijs van deelname",
        "filename": "bewijs-van-deelname",
        "electronic": "Elektronisch uitgegeven en geldig zonder handtekening. Afgerond: alle lessen, de "
                      "casusopdrachten en de reflectie, en de eindtoets gehaald. Geen accreditatiepunten; de "
                      "QR-code laat zien of de gegevens nog kloppen.",
        "credential_description": "Bewijs van deelname aan de e-learningmodule “{title}” van VBHC Academy "
                                  "({hours} studiebelasting; CanMEDS-rollen: {roles}).",
        "criteria": "Alle lessen afgerond, de casusopdrachten en de reflectie gemaakt en de eindtoets gehaald.",
    },
    "en": {
        "title": "Certificate of participation",
        "subtitle": "Education in value-based healthcare",
        "certify": "VBHC Academy hereby certifies that",
        "completed": "has completed the whole e-learning module",
        "canmeds": "CanMEDS roles",
        "study_load": "Study load",
        "hours": "{hours} hours",
        "hour": "1 hour",
        "document": "Certificate of participation",
        "filename": "certificate-of-participation",
        "electronic": "Issued electronically and valid without signature. Completed: every lesson, the case "
                      "assignments and the reflection, and the post-test passed. No accreditation points; the QR "
                      "code shows whether the details still stand.",
        "credential_description": "Certificate of participation in the e-learning module “{title}” of VBHC Academy "
                                  "({hours} of study; CanMEDS roles: {roles}).",
        "criteria": "Completed every lesson, the case assignments and the reflection, and passed the post-test.",
    },
}

# Dutch names of professions and identifiers, so that a certificate is Dutch for nl even before the
# interface catalogue has them; professions added later fall back to the catalogue.
PROFESSIONS_NL = {
    "doctor": "Arts", "medical-specialist": "Medisch specialist", "general-practitioner": "Huisarts",
    "resident": "Arts in opleiding tot specialist", "nurse": "Verpleegkundige",
    "nurse-practitioner": "Verpleegkundig specialist", "physiotherapist": "Fysiotherapeut",
    "dietitian": "Diëtist", "occupational-therapist": "Ergotherapeut", "speech-therapist": "Logopedist",
    "other": "Overig",
}
IDENTIFIERS_NL = {
    "big": "BIG-nummer", "vvn": "V&VN Kwaliteitsregister-nummer", "krf": "KRF / PE-online-registratienummer",
    "eacceme": "EACCME / UEMS-account", "orcid": "ORCID iD",
}
# The common kinds of points in both languages, one form per plural category of the language (CLDR
# through Babel: 1 → one, 0, 1,5 and 2 → other). Kinds not listed are shown as typed.
POINTS_KINDS = {
    "accreditation hours": {"nl": {"one": "accreditatie-uur", "other": "accreditatie-uren"},
                            "en": {"one": "accreditation hour", "other": "accreditation hours"}},
    "accreditation points": {"nl": {"one": "accreditatiepunt", "other": "accreditatiepunten"},
                             "en": {"one": "accreditation point", "other": "accreditation points"}},
    "hours": {"nl": {"one": "uur", "other": "uur"}, "en": {"one": "hour", "other": "hours"}},
    "points": {"nl": {"one": "punt", "other": "punten"}, "en": {"one": "point", "other": "points"}},
    "credits": {"nl": {"one": "credit", "other": "credits"}, "en": {"one": "credit", "other": "credits"}},
    "ecmec": {"nl": {"one": "ECMEC®", "other": "ECMEC®'s"}, "en": {"one": "ECMEC®", "other": "ECMEC®s"}},
}


def participation(lang: str, key: str) -> str:
    """One text of the certificate of participation."""
    return PARTICIPATION[lang_of(lang)][key]


def hours(minutes, lang: str) -> str:
    """A study load in hours: 90 → '1,5 uur' / '1.5 hours'; '' when unknown."""
    if not minutes:
        return ""
    if minutes == 60:
        return participation(lang, "hour")
    return participation(lang, "hours").format(hours=points(minutes / 60, lang))


def lang_of(value: str | None) -> str:
    """nl or en (Dutch for anything else)."""
    return value if value in LANGS else "nl"


def t(lang: str, key: str) -> str:
    """One text in one language."""
    return TEXT[lang_of(lang)][key]


def _catalogue(lazy, lang: str) -> str:
    with force_locale(lang):
        return str(lazy)


def profession(key: str | None, lang: str) -> str:
    """A profession's name."""
    if not key:
        return ""
    if lang == "nl" and key in PROFESSIONS_NL:
        return PROFESSIONS_NL[key]
    return _catalogue(PROFESSIONS[key], lang) if key in PROFESSIONS else key


def identifier_label(key: str, lang: str) -> str:
    """What an identifier is called (BIG number, …)."""
    if lang == "nl" and key in IDENTIFIERS_NL:
        return IDENTIFIERS_NL[key]
    return _catalogue(IDENTIFIERS[key][0], lang) if key in IDENTIFIERS else key


def main_identifier(register_code: str | None, identifiers: dict | None) -> tuple[str, str] | None:
    """(key, value) of the identifier the register credits the points to, else the first one given."""
    identifiers = {k: v for k, v in (identifiers or {}).items() if v}
    register = REGISTERS.get(register_code or "")
    if register is not None and identifiers.get(register.identifier):
        return register.identifier, identifiers[register.identifier]
    for key, value in identifiers.items():
        return key, value
    return None


def register_name(code: str | None) -> str:
    """The register's name (proper names: the same in both languages)."""
    register = REGISTERS.get(code or "")
    return register.name if register else (code or "")


def points(value, lang: str) -> str:
    """4 → '4', 1.5 → '1,5' (nl) / '1.5' (en)."""
    if value is None:
        return ""
    return format_decimal(float(value), format="#,##0.##", locale=lang_of(lang))


def plural_category(value, lang: str) -> str:
    """'one' or 'other' for the number as it is shown (1 → one; 1,5 and 2 → other)."""
    number = float(value)
    shown = int(number) if number.is_integer() else Decimal(format_decimal(number, format="0.##", locale="en"))
    return Locale.parse(DATE_LOCALES[lang_of(lang)]).plural_form(shown)


def points_kind(kind: str | None, lang: str, value=None) -> str:
    """The kind of points in the certificate's language and in the plural form the value takes
    (1 accreditatie-uur, 2 accreditatie-uren), when it is one of the common ones; else as typed."""
    if not kind:
        return ""
    forms = POINTS_KINDS.get(canonical_kind(kind) or "")
    if forms is None:
        return kind
    category = plural_category(value, lang) if value is not None else "other"
    return forms[lang_of(lang)].get(category, forms[lang_of(lang)]["other"])


def long_date(value: date | None, lang: str) -> str:
    """12 maart 2026 / 12 March 2026."""
    return format_date(value, format="long", locale=DATE_LOCALES[lang_of(lang)]) if value else ""


def title(facts: dict, lang: str) -> str:
    """The activity's title in the language, else the other one."""
    titles = facts.get("activity_title") or {}
    if isinstance(titles, str):
        return titles
    return titles.get(lang) or titles.get("nl") or titles.get("en") or ""


def rule_met(rule: dict | None, lang: str) -> str:
    """The activity's completion rule in words (lessons, post-test, evaluation, attestation)."""
    parts = [t(lang, f"rule_{key}") for key in RULE_KEYS if (rule or {}).get(key)]
    return "; ".join(parts) or t(lang, "rule_lessons")
