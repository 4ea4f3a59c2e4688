"""The append-only ledger of accreditation records: append, correct, erase, verify.

Each entry's hash covers the previous entry's hash and the entry's own canonical JSON, so a changed
amount, a deleted entry or two entries swapped break the chain at a point `verify` can name.
Personal data stays out of the chain: the payload carries a salted hash of it (the commitment);
the data itself lives in RecordSubject until the person asks for erasure.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from elearn.accreditation.models import LedgerEntry, LedgerHead, RecordSubject
from elearn.extensions import db
from lti.models import utcnow

GENESIS = "0" * 64
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud and typed from paper


def canonical(value) -> str:
    """JSON with sorted keys and no spaces: the bytes that are hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, kind: str, record_code: str, payload: dict, created_at: datetime) -> str:
    """sha256 over the previous hash and this entry's content."""
    body = canonical({"seq": seq, "kind": kind, "record_code": record_code, "payload": payload,
                      "created_at": created_at.isoformat(timespec="microseconds")})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def commitment(salt: str, subject: dict) -> str:
    """The salted hash that binds a record to its person without holding their data."""
    return hmac.new(salt.encode(), canonical(subject).encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    """A verification code printed on certificates: 12 characters, ~60 bits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


def _lock() -> None:
    """One writer at a time appends (PostgreSQL: a transaction-scoped advisory lock)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7412093)"))


def _append(kind: str, record_code: str, activity_id: int, user_id: int | None, payload: dict,
            corrects_seq: int = 0) -> LedgerEntry:
    """Add one entry at the end of the chain (caller commits)."""
    _lock()
    last = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()
    seq = (last.seq if last else 0) + 1
    created_at = utcnow()
    entry = LedgerEntry(seq=seq, kind=kind, record_code=record_code, activity_id=activity_id, user_id=user_id,
                        corrects_seq=corrects_seq, payload=payload, prev_hash=last.hash if last else GENESIS,
                        created_at=created_at)
    entry.hash = entry_hash(entry.prev_hash, seq, kind, record_code, payload, created_at)
    db.session.add(entry)
    head = db.session.get(LedgerHead, 1) or LedgerHead(id=1)
    head.seq, head.hash = seq, entry.hash
    db.session.add(head)
    db.session.flush()
    return entry


def record_once(activity_id: int, user_id: int, subject: dict, facts: dict, tries: int = 5) -> LedgerEntry:
    """The record of this learner for this activity, created if there is none (safe under races)."""
    for _ in range(tries):
        existing = find_record(activity_id, user_id)
        if existing is not None:
            return existing
        code, salt = new_code(), secrets.token_hex(16)
        try:
            entry = _append("record", code, activity_id, user_id,
                            dict(facts, subject_commitment=commitment(salt, subject)))
            db.session.add(RecordSubject(record_code=code, salt=salt, subject=subject))
            db.session.commit()
            return entry
        except IntegrityError:   # another request appended first (same seq, or the same record)
            db.session.rollback()
    existing = find_record(activity_id, user_id)
    if existing is None:
        raise RuntimeError("could not append to the accreditation ledger")
    return existing


def correct(record_code: str, changes: dict, reason: str, by: str) -> LedgerEntry:
    """A correction: a new entry naming the record it corrects, with the changed facts."""
    original = db.session.scalar(select(LedgerEntry).filter_by(record_code=record_code, kind="record"))
    if original is None:
        raise LookupError(record_code)
    entry = _append("correction", record_code, original.activity_id, original.user_id,
                    {"changes": changes, "reason": reason, "by": by}, corrects_seq=original.seq)
    db.session.commit()
    return entry


def find_record(activity_id: int, user_id: int) -> LedgerEntry | None:
    """A learner's record for an activity."""
    return db.session.scalar(select(LedgerEntry).filter_by(activity_id=activity_id, user_id=user_id, kind="record"))


def current_facts(record_code: str) -> dict | None:
    """The record's facts with every correction applied, in order."""
    entries = list(db.session.scalars(select(LedgerEntry).filter_by(record_code=record_code)
                                      .order_by(LedgerEntry.seq)))
    if not entries or entries[0].kind != "record":
        return None
    facts = dict(entries[0].payload)
    for entry in entries[1:]:
        if entry.kind == "correction":
            facts.update(entry.payload["changes"])
        elif entry.kind == "erasure":
            facts["erased"] = True
    return facts


def erase_person(user_id: int, by: str) -> int:
    """Delete a person's data behind every record (the chain keeps its hashes); count erased."""
    records = list(db.session.scalars(select(LedgerEntry).filter_by(user_id=user_id, kind="record")))
    for record in records:
        subject = db.session.get(RecordSubject, record.record_code)
        if subject is not None:
            db.session.delete(subject)
        _append("erasure", record.record_code, record.activity_id, None, {"by": by, "reason": "data subject request"},
                corrects_seq=record.seq)
    for entry in db.session.scalars(select(LedgerEntry).filter_by(user_id=user_id)):
        entry.user_id = None   # not hashed: only the link to the account goes
    db.session.commit()
    return len(records)


@dataclass(frozen=True)
class Problem:
    """Where the chain breaks, and how."""

    seq: int
    message: str


def verify() -> list[Problem]:
    """Walk the chain: every hash recomputed, every link to the previous entry, no gaps in seq,
    and every stored person still matching the record's commitment."""
    problems: list[Problem] = []
    prev_hash, expected_seq = GENESIS, 1
    for entry in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)):
        if entry.seq != expected_seq:
            problems.append(Problem(entry.seq, f"entries {expected_seq}–{entry.seq - 1} are missing (deleted)"))
        if entry.prev_hash != prev_hash:
            problems.append(Problem(entry.seq, "does not follow the entry before it (reordered, or one deleted)"))
        recomputed = entry_hash(entry.prev_hash, entry.seq, entry.kind, entry.record_code, entry.payload,
                                entry.created_at)
        if recomputed != entry.hash:
            problems.append(Problem(entry.seq, "its content was changed after it was written"))
        if entry.kind == "record":
            subject = db.session.get(RecordSubject, entry.record_code)
            if subject is not None and commitment(subject.salt, subject.subject) != entry.payload.get(
                    "subject_commitment"):
                problems.append(Problem(entry.seq, "the person's data no longer matches the record"))
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    head = db.session.get(LedgerHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        problems.append(Problem(head.seq, f"the ledger ends at entry {expected_seq - 1}, but entry {head.seq} "
                                          "was the last one written (entries at the end were deleted)"))
    return problems


def count() -> int:
    """Entries in the ledger."""
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))
