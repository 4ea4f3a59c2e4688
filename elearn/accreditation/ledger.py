"""The append-only ledger of accreditation records: append, correct, erase, verify.

Each entry's hash covers the previous entry's hash and the entry's own canonical JSON, so a changed
amount, a deleted entry or two entries swapped break the chain at a point `verify` can name.
Personal data stays out of the chain: the payload carries a salted hash of it (the commitment);
the data itself lives in RecordSubject until the person asks for erasure.

The chain alone has no key, so whoever can write the database could rewrite an entry and recompute
every later hash; signed checkpoints (accreditation.checkpoints) of the head catch that: `verify`
and `covered` recompute the chain from the entries' content up to a signed head.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from elearn.accreditation import checkpoints
from elearn.accreditation.canonical import canonical
from elearn.accreditation.models import LedgerCheckpoint, LedgerEntry, LedgerHead, RecordSubject
from elearn.extensions import db
from lti.models import utcnow

GENESIS = "0" * 64
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud and typed from paper


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


def _append(kind: str, record_code: str, activity_id: int | None, user_id: int | None, payload: dict,
            corrects_seq: int = 0, module_id: str | None = None) -> LedgerEntry:
    """Add one entry at the end of the chain (caller commits); a participation record's entries name
    its module instead of an activity."""
    _lock()
    last = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()
    seq = (last.seq if last else 0) + 1
    created_at = utcnow()
    entry = LedgerEntry(seq=seq, kind=kind, record_code=record_code, activity_id=activity_id, module_id=module_id,
                        user_id=user_id,
                        corrects_seq=corrects_seq, payload=payload, prev_hash=last.hash if last else GENESIS,
                        created_at=created_at)
    entry.hash = entry_hash(entry.prev_hash, seq, kind, record_code, payload, created_at)
    db.session.add(entry)
    head = db.session.get(LedgerHead, 1) or LedgerHead(id=1)
    head.seq, head.hash = seq, entry.hash
    db.session.add(head)
    db.session.flush()
    checkpoints.sign_after_append(seq, entry.hash, structural_problems, recompute)
    return entry


def record_once(activity_id: int, user_id: int, subject: dict, facts: dict, tries: int = 5) -> LedgerEntry:
    """The record of this learner for this activity, created if there is none (safe under races)."""
    return _once(lambda: find_record(activity_id, user_id), {"activity_id": activity_id}, user_id, subject, facts,
                 tries)


def participation_once(module_id: str, user_id: int, subject: dict, facts: dict, tries: int = 5) -> LedgerEntry:
    """The participation record of this learner for this module, created if there is none (safe under races)."""
    return _once(lambda: find_participation(module_id, user_id), {"activity_id": None, "module_id": module_id},
                 user_id, subject, facts, tries)


def _once(find, of: dict, user_id: int, subject: dict, facts: dict, tries: int) -> LedgerEntry:
    """The record `find` returns, else a new one appended for `of` (its activity or module)."""
    for _ in range(tries):
        existing = find()
        if existing is not None:
            return existing
        code, salt = new_code(), secrets.token_hex(16)
        try:
            entry = _append("record", code, user_id=user_id,
                            payload=dict(facts, subject_commitment=commitment(salt, subject)), **of)
            db.session.add(RecordSubject(record_code=code, salt=salt, subject=subject))
            db.session.commit()
            return entry
        except IntegrityError:   # another request appended first (same seq, or the same record)
            db.session.rollback()
    existing = find()
    if existing is None:
        raise RuntimeError("could not append to the accreditation ledger")
    return existing


def correct(record_code: str, changes: dict, reason: str, by: str, tries: int = 5) -> LedgerEntry:
    """A correction: a new entry with the changed facts, naming (corrects_seq) the entry it supersedes:
    the record for the first correction, the latest correction for every one after it. So a record
    may be corrected any number of times, the corrections form a chain of their own, and two
    corrections made at once cannot both supersede the same entry (the ledger's unique key on
    activity/module, user, kind and corrects_seq refuses the second, which then tries again on top
    of the first)."""
    for _ in range(tries):
        _lock()   # before reading the latest entry, so that it is still the latest when appending
        original = db.session.scalar(select(LedgerEntry).filter_by(record_code=record_code, kind="record"))
        if original is None:
            raise LookupError(record_code)
        latest = db.session.scalar(select(LedgerEntry).filter_by(record_code=record_code, kind="correction")
                                   .order_by(LedgerEntry.seq.desc()).limit(1)) or original
        try:
            entry = _append("correction", record_code, original.activity_id, original.user_id,
                            {"changes": changes, "reason": reason, "by": by}, corrects_seq=latest.seq,
                            module_id=original.module_id)
            db.session.commit()
            return entry
        except IntegrityError:   # another correction (or any entry) took this place first
            db.session.rollback()
    raise RuntimeError("could not append the correction to the accreditation ledger")


def find_record(activity_id: int, user_id: int) -> LedgerEntry | None:
    """A learner's record for an activity."""
    return db.session.scalar(select(LedgerEntry).filter_by(activity_id=activity_id, user_id=user_id, kind="record"))


def find_participation(module_id: str, user_id: int) -> LedgerEntry | None:
    """A learner's participation record for a module."""
    return db.session.scalar(select(LedgerEntry).filter_by(module_id=module_id, user_id=user_id, kind="record"))


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
                corrects_seq=record.seq, module_id=record.module_id)
    for entry in db.session.scalars(select(LedgerEntry).filter_by(user_id=user_id)):
        entry.user_id = None   # not hashed: only the link to the account goes
    db.session.commit()
    return len(records)


@dataclass(frozen=True)
class Problem:
    """Where the chain breaks, and how."""

    seq: int
    message: str
    unsigned: bool = False   # entries no checkpoint covers yet (signing them is what `checkpoint` is for)


def structural_problems() -> list[Problem]:
    """The chain's own checks: every hash recomputed, every link to the previous entry, no gaps in seq,
    the head reached, and every stored person still matching the record's commitment."""
    return _walk()[0]


def _walk(wanted: frozenset[int] = frozenset()) -> tuple[list[Problem], dict[int, str]]:
    """Walk the whole chain once: its problems, and the head hash recomputed from content at each `wanted` seq."""
    problems: list[Problem] = []
    reached: dict[int, str] = {}
    prev_hash, expected_seq, running = GENESIS, 1, GENESIS
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
        # What a signed head is compared with: content only, never the stored hashes an editor can recompute.
        running = entry_hash(running, entry.seq, entry.kind, entry.record_code, entry.payload, entry.created_at)
        if entry.seq in wanted:
            reached[entry.seq] = running
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    head = db.session.get(LedgerHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev_hash):
        problems.append(Problem(head.seq, f"the ledger ends at entry {expected_seq - 1}, but entry {head.seq} "
                                          "was the last one written (entries at the end were deleted)"))
    return problems, reached


def verify(checkpoint: checkpoints.Checkpoint | None = None) -> list[Problem]:
    """The chain's own checks, and the chain against a signed checkpoint: `checkpoint` (an auditor's
    file, already checked) or else the latest stored one, whose signature is checked here."""
    stored = checkpoints.rows()
    last_seq = db.session.scalar(select(func.max(LedgerEntry.seq))) or 0
    problems: list[Problem] = []
    if checkpoint is None and stored:
        try:
            checkpoint = checkpoints.check_row(stored[-1])
        except checkpoints.CheckpointError as error:
            problems.append(Problem(stored[-1].seq, f"the latest signed checkpoint cannot be trusted: {error}"))
    elif checkpoint is None and last_seq:
        problems.append(Problem(1, "no signed checkpoint covers the ledger (run `flask accreditation checkpoint`)",
                                unsigned=True))
    wanted = frozenset({row.seq for row in stored} | ({checkpoint.seq} if checkpoint else set()))
    structural, reached = _walk(wanted)
    problems[:0] = structural
    if checkpoint is not None:
        if reached.get(checkpoint.seq) != checkpoint.head_hash:
            problems.append(_where_rewritten(checkpoint, stored, reached))
        if checkpoint.seq < last_seq and (not stored or checkpoint.seq == stored[-1].seq):
            problems.append(Problem(checkpoint.seq + 1, f"entries {checkpoint.seq + 1}–{last_seq} are not covered by "
                                                        "a signed checkpoint (written without the ledger key)",
                                    unsigned=True))
    return problems


def _where_rewritten(checkpoint, stored: list, reached: dict[int, str]) -> Problem:
    """The first stored, validly signed checkpoint the chain no longer reaches names where it was rewritten."""
    if checkpoint.seq not in reached:
        return Problem(checkpoint.seq, f"the checkpoint signed on {checkpoint.signed_at} covers {checkpoint.seq} "
                                       "entries, but the ledger no longer has them all (entries were deleted)")
    good = 0
    for row in stored:
        if row.seq > checkpoint.seq or reached.get(row.seq) is None:
            continue
        try:
            signed = checkpoints.check_row(row)
        except checkpoints.CheckpointError:
            continue   # a forged or edited row says nothing; the trusted checkpoint still does
        if reached[row.seq] == signed.head_hash:
            good = row.seq
            continue
        where = "it" if row.seq == good + 1 else f"this or one of the entries up to {row.seq}"
        return Problem(good + 1, f"{where} was changed and the hashes after it recomputed (the chain no longer "
                                 f"reaches the head signed at entry {row.seq})")
    return Problem(checkpoint.seq, f"the chain up to entry {checkpoint.seq} no longer reaches the head signed on "
                                   f"{checkpoint.signed_at}: an entry was changed and the hashes after it recomputed")


def recompute(first: int, last: int, prev_hash: str | None = None) -> str | None:
    """The hash entries first..last chain to when rehashed from their content, starting from `prev_hash`
    (default: the genesis for entry 1, else entry `first`'s own link); None when one of them is missing."""
    running, expected = prev_hash, first
    for entry in db.session.scalars(select(LedgerEntry).where(LedgerEntry.seq.between(first, last))
                                    .order_by(LedgerEntry.seq)):
        if entry.seq != expected:
            return None
        if running is None:
            running = GENESIS if first == 1 else entry.prev_hash
        running = entry_hash(running, entry.seq, entry.kind, entry.record_code, entry.payload, entry.created_at)
        expected += 1
    return running if expected == last + 1 else None


def covered(first: int, last: int) -> bool:
    """Whether entries first..last lie within the latest signed checkpoint and the chain from `first`
    still reaches its signed head: O(entries after `first`), a chain walk per call. The walk starts from
    the head signed just before `first` when there is one, so a rewrite of an earlier entry (which
    changes `first`'s stored link) does not cast doubt on the records after it."""
    row = checkpoints.latest()
    if row is None:
        return False
    try:
        signed = checkpoints.check_row(row)
    except checkpoints.CheckpointError:
        return False
    return last <= signed.seq and recompute(first, signed.seq, _signed_head(first - 1)) == signed.head_hash


def _signed_head(seq: int) -> str | None:
    """The head hash a validly signed checkpoint states for entry `seq` (the genesis for 0), else None."""
    if seq == 0:
        return GENESIS
    for row in db.session.scalars(select(LedgerCheckpoint).filter_by(seq=seq)):
        try:
            return checkpoints.check_row(row).head_hash
        except checkpoints.CheckpointError:
            continue
    return None


def count() -> int:
    """Entries in the ledger."""
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))
