"""Attendance lists for the registers, per activity and period, from the ledger.

Each register takes its own columns; the generic CSV and JSON carry everything a record holds.
Records whose person asked for erasure have no personal data left and are listed as such in the
generic formats only (a register cannot credit them any more).
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from elearn import csvsafe
from elearn.accreditation import ledger
from elearn.accreditation.models import Activity, LedgerEntry, RecordSubject
from elearn.extensions import db

FORMATS = ("gaia", "pe-online", "eacceme", "csv", "json")


def rows(activity: Activity, start: date, end: date) -> list[dict]:
    """Every record of the activity completed in [start, end], corrections applied."""
    found = []
    for entry in db_records(activity.id):
        facts = ledger.current_facts(entry.record_code)
        completed = date.fromisoformat(facts["completed_on"])
        if not start <= completed <= end:
            continue
        subject = _subject(entry.record_code)
        found.append({"code": entry.record_code, "facts": facts, "subject": subject})
    return sorted(found, key=lambda r: (r["facts"]["completed_on"], r["code"]))


def db_records(activity_id: int) -> list[LedgerEntry]:
    """The activity's record entries in ledger order."""
    return list(db.session.scalars(select(LedgerEntry).filter_by(activity_id=activity_id, kind="record")
                                   .order_by(LedgerEntry.seq)))


def _subject(code: str) -> dict | None:
    row = db.session.get(RecordSubject, code)
    return row.subject if row else None


def _dutch_date(iso: str) -> str:
    """2026-11-02 → 02-11-2026, as Dutch registers write dates."""
    return date.fromisoformat(iso).strftime("%d-%m-%Y")


@dataclass(frozen=True)
class RegisterList:
    """One register's attendance list: the identifier it keys on, its columns, its CSV dialect."""

    identifier: str
    header: tuple[str, ...]
    row: Callable[[dict, dict], list]      # (facts, subject) → the row after the identifier
    delimiter: str = ";"


REGISTER_LISTS = {
    "gaia": RegisterList("big", ("BIG-nummer", "Naam", "Datum", "Punten", "Accreditatienummer"),
                         lambda f, s: [s["name"], _dutch_date(f["completed_on"]), _points(f["points"], True),
                                       f["accreditation_id"]]),
    "pe-online": RegisterList("krf", ("Registratienummer", "Naam", "Datum", "Punten", "Activiteit-ID"),
                              lambda f, s: [s["name"], _dutch_date(f["completed_on"]), _points(f["points"], True),
                                            f["accreditation_id"]]),
    "eacceme": RegisterList("eacceme", ("UEMS-EACCME ID", "Name", "Profession", "Completion date", "ECMEC credits",
                                        "Event code"),
                            lambda f, s: [s["name"], s["profession"], f["completed_on"], _points(f["points"], False),
                                          f["accreditation_id"]], delimiter=","),
}


def _register_list(out, records: list[dict], spec: RegisterList) -> None:
    """The rows a register can credit: only people who gave its identifier (and were not erased)."""
    writer = csvsafe.writer(out, delimiter=spec.delimiter, lineterminator="\r\n")
    writer.writerow(spec.header)
    for r in records:
        identifier = (r["subject"] or {}).get("identifiers", {}).get(spec.identifier)
        if identifier:
            writer.writerow([identifier, *spec.row(r["facts"], r["subject"])])


def _points(value: float, comma: bool) -> str:
    """Points as registers write them: no needless decimals; a decimal comma for Dutch lists."""
    text = f"{value:g}"
    return text.replace(".", ",") if comma else text


def export(activity: Activity, start: date, end: date, fmt: str) -> tuple[str, str, str]:
    """(body, mimetype, file name) of one export."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    records = rows(activity, start, end)
    name = f"{activity.accreditation_id}-{fmt}-{start.isoformat()}-{end.isoformat()}"
    if fmt == "json":
        body = json.dumps([{"verification_code": r["code"], **{k: v for k, v in r["facts"].items()
                                                                if k != "subject_commitment"},
                            "person": r["subject"]} for r in records], indent=2, ensure_ascii=False)
        return body + "\n", "application/json", name + ".json"
    out = io.StringIO()
    if fmt in REGISTER_LISTS:
        _register_list(out, records, REGISTER_LISTS[fmt])
    else:
        writer = csvsafe.writer(out, lineterminator="\n")
        writer.writerow(["verification_code", "name", "profession", "identifiers", "activity", "register",
                         "accreditation_id", "points", "points_kind", "completed_on", "post_test_percent",
                         "evaluation_done", "attested_minutes", "corrected"])
        for r in records:
            f, s = r["facts"], r["subject"]
            writer.writerow([r["code"], s["name"] if s else "(erased)", s["profession"] if s else "",
                             json.dumps(s["identifiers"], sort_keys=True) if s else "", f["activity_title"]["nl"],
                             f["register"], f["accreditation_id"], _points(f["points"], False), f["points_kind"],
                             f["completed_on"], f.get("post_test_percent"), f.get("evaluation_done"),
                             f.get("attested_minutes") or "", "yes" if _corrected(r["code"]) else "no"])
    return out.getvalue(), "text/csv", name + ".csv"


def _corrected(code: str) -> bool:
    return db.session.scalar(select(LedgerEntry.seq).filter_by(record_code=code, kind="correction").limit(1)) \
        is not None
