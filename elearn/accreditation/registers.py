"""The accrediting bodies and registers the tool can report to, and the identifiers they need.

Extensible: add an entry here (and, if it takes a new file format, an exporter in `exports`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


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

# Kinds of points an administrator may type, shown in the reader's language (others as typed).
POINT_KINDS = {"accreditation hours": _l("accreditation hours"), "accreditatie-uren": _l("accreditation hours"),
               "points": _l("points"), "uur": _l("hours"), "hours": _l("hours")}


def points_label(points: float, kind: str | None) -> str:
    """'1,5 accreditatie-uren' / '1.5 accreditation hours': the number in the page's locale."""
    from flask_babel import format_decimal

    label = POINT_KINDS.get((kind or "").strip().lower(), kind or "")
    return f"{format_decimal(points, format='#,##0.##')} {label}".strip()
