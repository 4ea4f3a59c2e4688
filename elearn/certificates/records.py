"""One record as the certificate, the credential and the verification page see it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, request, url_for
from sqlalchemy import select

from elearn.accreditation import ledger
from elearn.accreditation.models import LedgerEntry, RecordSubject
from elearn.extensions import db

CODE_PATTERN = re.compile(rf"^[{ledger.CODE_ALPHABET}]{{12}}$")


def normalise_code(text: str | None) -> str | None:
    """A code as typed from paper ('abcd efgh-jklm') → 'ABCDEFGHJKLM'; None when it cannot be one."""
    if not text:
        return None
    code = re.sub(r"[\s\-.]", "", text).upper()
    return code if CODE_PATTERN.match(code) else None


def grouped(code: str) -> str:
    """ABCD EFGH JKLM: how the code is printed, easy to read out and type."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


# A record's status, as Record.status gives it (the verify page's CSS classes use the same words).
VALID, CORRECTED, ERASED = "valid", "corrected", "erased"


@dataclass
class Record:
    """A record with its corrections applied, and whether its entries are still intact."""

    code: str
    entry: LedgerEntry
    facts: dict
    subject: dict | None            # name, profession, identifiers; None after erasure
    salt: str | None
    corrections: list[LedgerEntry] = field(default_factory=list)
    erased_on: date | None = None
    intact: bool = True

    @property
    def status(self) -> str:
        """'valid', 'corrected' or 'erased' (personal data gone, the record stands)."""
        if self.erased_on is not None or self.subject is None:
            return ERASED
        return CORRECTED if self.corrections else VALID

    @property
    def is_participation(self) -> bool:
        """A participation record (a completed module, no points) rather than an accredited one."""
        return self.facts.get("record_type") == "participation"

    @property
    def changed_fields(self) -> list[str]:
        """The facts that corrections changed, in order of first change."""
        seen: list[str] = []
        for entry in self.corrections:
            for key in entry.payload.get("changes", {}):
                if key not in seen:
                    seen.append(key)
        return seen

    @property
    def completed_on(self) -> date | None:
        """The completion date as a date."""
        value = self.facts.get("completed_on")
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    @property
    def issued_at(self) -> datetime:
        """When the record was written (the credential's validFrom)."""
        return self.entry.created_at


def load(code: str | None) -> Record | None:
    """The record a verification code names, or None."""
    code = normalise_code(code)
    if code is None:
        return None
    entries = list(db.session.scalars(select(LedgerEntry).filter_by(record_code=code).order_by(LedgerEntry.seq)))
    if not entries or entries[0].kind != "record":
        return None
    facts = ledger.current_facts(code) or {}
    subject_row = db.session.get(RecordSubject, code)
    record = Record(code=code, entry=entries[0], facts=facts,
                    subject=dict(subject_row.subject) if subject_row else None,
                    salt=subject_row.salt if subject_row else None,
                    corrections=[e for e in entries[1:] if e.kind == "correction"])
    for entry in entries:
        if entry.kind == "erasure" and record.erased_on is None:
            record.erased_on = entry.created_at.date()
        recomputed = ledger.entry_hash(entry.prev_hash, entry.seq, entry.kind, entry.record_code, entry.payload,
                                       entry.created_at)
        if recomputed != entry.hash:
            record.intact = False
    if subject_row is not None and ledger.commitment(subject_row.salt, subject_row.subject) != \
            entries[0].payload.get("subject_commitment"):
        record.intact = False
    # The entries' own hashes can be recomputed by whoever edits the database; the signed head cannot.
    if record.intact and not ledger.covered(entries[0].seq, entries[-1].seq):
        record.intact = False
    if facts.get("erased"):
        record.subject = None
    return record


def base_url() -> str:
    """The tool's public base URL: TOOL_BASE_URL when set, else the host of this request."""
    return (current_app.config.get("TOOL_BASE_URL") or request.host_url).rstrip("/")


def absolute(endpoint: str, **values) -> str:
    """An absolute public URL of the tool (never with a launch token in it)."""
    return base_url() + url_for(endpoint, **values, lt=None)


def verification_url(code: str) -> str:
    """The public verification page of a record: what the QR code and the credential point to."""
    return absolute("certificates.verify_code", code=code)
