"""The accrediting bodies and registers the tool can report to, and the identifiers they need.

Extensible: add an entry here (and, if it takes a new file format, an exporter in `exports`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import format_decimal, lazy_gettext as _l, ngettext


@dataclass(frozen=True)
class Register:
    """A register that credits points: who it is for and which identifier names a professional."""

    code: str
    name: str
    professions: tuple[str, ...]
    identifier: str            # the key in ProfessionalIdentity.identifiers it needs
    export_format: str         # "gaia" | "pe-online" | "eacceme" | "generic"


REGISTERS: dict[str, Register] = {r.code: r for r in (
    Register("gaia", "GAIA (ABAN / KNMG)", ("doctor", "medical-specialist", "general-practitioner", "resident"),
             "big", "gaia"),
    Register("vvn", "V&VN Kwaliteitsregister", ("nurse", "nurse-practitioner"), "vvn", "generic"),
    Register("pe-online", "PE-online (paramedici)", ("physiotherapist", "dietitian", "occupational-therapist",
                                                     "speech-therapist"), "krf", "pe-online"),
    Register("eacceme", "EACCME® (UEMS), ECMEC®", ("doctor", "medical-specialist", "general-practitioner"),
             "eacceme", "eacceme"),
)}

PROFESSIONS = {
    "doctor": _l("Doctor"), "medical-specialist": _l("Medical specialist"),
    "general-practitioner": _l("General practitioner"), "resident": _l("Resident (doctor in training)"),
    "nurse": _l("Nurse"), "nurse-practitioner": _l("Nurse practitioner"),
    "physiotherapist": _l("Physiotherapist"), "dietitian": _l("Dietitian"),
    "occupational-therapist": _l("Occupational therapist"), "speech-therapist": _l("Speech therapist"),
    "other": _l("Other"),
}

IDENTIFIERS = {
    "big": (_l("BIG number"), re.compile(r"^\d{11}$")),
    "vvn": (_l("V&VN Kwaliteitsregister number"), re.compile(r"^\d{4,10}$")),
    "krf": (_l("KRF / PE-online registration number"), re.compile(r"^[A-Za-z0-9-]{4,20}$")),
    "eacceme": (_l("EACCME / UEMS account"), re.compile(r"^[A-Za-z0-9@._-]{3,64}$")),
    "orcid": (_l("ORCID iD"), re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")),
}

# The kinds of points an activity may credit (the administrator's choices), in the reader's language.
POINT_KINDS = {"accreditation hours": _l("accreditation hours"), "accreditation points": _l("accreditation points"),
               "hours": _l("hours"), "points": _l("points"), "credits": _l("credits"), "ecmec": "ECMEC®"}
# Other spellings typed before the kinds were a choice, Dutch and singular ones included.
POINT_KIND_ALIASES = {
    "accreditatie-uren": "accreditation hours", "accreditatie-uur": "accreditation hours",
    "accreditation hour": "accreditation hours", "accreditatiepunten": "accreditation points",
    "accreditation point": "accreditation points", "uur": "hours", "uren": "hours", "hour": "hours",
    "punten": "points", "point": "points", "credit": "credits", "ecmec®": "ecmec", "ecmecs": "ecmec",
}


def canonical_kind(kind: str | None) -> str | None:
    """The key in POINT_KINDS of a stored kind of points ('Accreditatie-uren' → 'accreditation hours')."""
    key = (kind or "").strip().lower()
    key = POINT_KIND_ALIASES.get(key, key)
    return key if key in POINT_KINDS else None


def plural_count(points: float) -> int:
    """A whole number that picks the right plural form for the points as shown: gettext's plural
    rules take integers, and 1,5 or 0,25 hours are plural in Dutch and English alike."""
    number = float(points)
    return int(number) if number.is_integer() else 2


def points_label(points: float, kind: str | None) -> str:
    """'1 accreditatie-uur', '1,5 accreditatie-uren' / '1.5 accreditation hours': the number in the
    page's locale, the kind in the plural form the number takes (kinds not known: as typed)."""
    shown, count = format_decimal(points, format="#,##0.##"), plural_count(points)
    key = canonical_kind(kind)
    if key == "accreditation hours":
        return ngettext("%(points)s accreditation hour", "%(points)s accreditation hours", count, points=shown)
    if key == "accreditation points":
        return ngettext("%(points)s accreditation point", "%(points)s accreditation points", count, points=shown)
    if key == "hours":
        return ngettext("%(points)s hour", "%(points)s hours", count, points=shown)
    if key == "points":
        return ngettext("%(points)s point", "%(points)s points", count, points=shown)
    if key == "credits":
        return ngettext("%(points)s credit", "%(points)s credits", count, points=shown)
    if key == "ecmec":
        return ngettext("%(points)s ECMEC®", "%(points)s ECMEC®s", count, points=shown)
    return f"{shown} {kind or ''}".strip()
