"""Accreditation data: activities (with their audit trail), identities, evaluations, attestations,
and the ledger of records.

The ledger is append-only: each entry stores the hash of the previous one. Personal data is not in
the hashed payload but in `RecordSubject`, committed to by a salted hash; erasing a person deletes
that row and leaves every hash intact, so `flask accreditation verify` stays green.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from elearn.dbtypes import UtcDateTime
from elearn.extensions import db
from lti.models import utcnow


class Activity(db.Model):
    """An accredited activity: one module or a bundle, or one event (`event_id`, then `module_ids` is
    empty), at one register, with its completion rule."""

    __tablename__ = "accreditation_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict] = mapped_column(JSON)                  # {nl, en}
    module_ids: Mapped[list] = mapped_column(JSON)             # one module, or a bundle
    # An event's attendance instead of modules (elearn.events); no database FK, like the catalog's
    # current_version_id: SQLite cannot add one to an existing table without rebuilding it.
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    register: Mapped[str] = mapped_column(String(32))          # registers.REGISTERS key
    accreditation_id: Mapped[str] = mapped_column(String(64))  # the body's id of the activity
    points: Mapped[float] = mapped_column(Float)
    points_kind: Mapped[str] = mapped_column(String(64))       # e.g. "accreditation hours", "ECMEC"
    study_load_minutes: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    professions: Mapped[list] = mapped_column(JSON, default=list)
    rule: Mapped[dict] = mapped_column(JSON, default=dict)     # see completion.Rule
    retention_years: Mapped[int] = mapped_column(Integer, default=5)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ActivityChange(db.Model):
    """Who changed an activity's settings, when, from what to what (the audit trail)."""

    __tablename__ = "accreditation_activity_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("accreditation_activities.id", ondelete="CASCADE"),
                                             index=True)
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)


class Administrator(db.Model):
    """A tool-side accreditation administrator (not an LMS role): signs in with a password."""

    __tablename__ = "accreditation_admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AdminSession(db.Model):
    """One sign-in of an administrator, kept server-side so that it can end (idle, too old, logout,
    password change) whoever holds a copy of the cookie; the cookie carries the token, we its hash."""

    __tablename__ = "accreditation_admin_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)   # sha256 hex of the cookie's token
    admin_id: Mapped[int] = mapped_column(ForeignKey("accreditation_admins.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ProfessionalIdentity(db.Model):
    """What a learner gave, once per platform account, to have points registered."""

    __tablename__ = "accreditation_identities"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    registered_name: Mapped[str] = mapped_column(String(255))
    profession: Mapped[str] = mapped_column(String(64))
    identifiers: Mapped[dict] = mapped_column(JSON, default=dict)   # {"big": "…", "vvn": "…", "orcid": "…"}
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class EvaluationResponse(db.Model):
    """Course evaluation answers, deliberately without the learner: anonymous from the record."""

    __tablename__ = "accreditation_evaluation_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("accreditation_activities.id", ondelete="CASCADE"),
                                             index=True)
    answers: Mapped[dict] = mapped_column(JSON)
    submitted_on: Mapped[date] = mapped_column(Date)   # the day only, so times cannot link it to a learner


class EvaluationDone(db.Model):
    """That a learner completed the evaluation of an activity (not what they answered)."""

    __tablename__ = "accreditation_evaluations_done"
    __table_args__ = (UniqueConstraint("user_id", "activity_id", name="uq_accreditation_evaluation_done"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("accreditation_activities.id", ondelete="CASCADE"))
    done_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Attestation(db.Model):
    """A learner's statement of the time they actually spent on an activity."""

    __tablename__ = "accreditation_attestations"
    __table_args__ = (UniqueConstraint("user_id", "activity_id", name="uq_accreditation_attestation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("accreditation_activities.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(Integer)
    attested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LedgerEntry(db.Model):
    """One entry of the append-only ledger: a record, a correction of one, or an erasure note.

    A record is either accredited (of an activity: `activity_id`) or a participation record (of one
    completed module, no points, no register: `module_id`, see accreditation.participation); the
    payload's `record_type` says which. `payload` holds no personal data (only `subject_commitment`);
    `hash` = sha256 of the previous hash and the canonical JSON of (seq, kind, record_code, payload,
    created_at).
    """

    __tablename__ = "accreditation_ledger"
    __table_args__ = (UniqueConstraint("activity_id", "user_id", "kind", "corrects_seq",
                                       name="uq_accreditation_ledger_once"),
                      UniqueConstraint("module_id", "user_id", "kind", "corrects_seq",
                                       name="uq_accreditation_ledger_participation_once"))

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))              # "record" | "correction" | "erasure"
    record_code: Mapped[str] = mapped_column(String(32), index=True)   # the verification code
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("accreditation_activities.id"))   # None: participation
    module_id: Mapped[str | None] = mapped_column(String(64))   # a participation record's module; None otherwise
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    corrects_seq: Mapped[int] = mapped_column(Integer, default=0)   # 0 for records; the corrected seq otherwise
    payload: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RecordSubject(db.Model):
    """The personal data behind a record's `subject_commitment`; deleted on erasure."""

    __tablename__ = "accreditation_record_subjects"

    record_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    subject: Mapped[dict] = mapped_column(JSON)                # name, profession, identifiers as given
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LedgerHead(db.Model):
    """The last entry's seq and hash, written with every append: deleting the newest entries
    leaves no gap in the chain, but it no longer reaches this head."""

    __tablename__ = "accreditation_ledger_head"

    id: Mapped[int] = mapped_column(primary_key=True)          # always 1
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class LedgerCheckpoint(db.Model):
    """A signed statement of the ledger's head (see accreditation.checkpoints): the trust is in the
    signature with a key outside the database, not in this row, so nothing here is taken unchecked."""

    __tablename__ = "accreditation_ledger_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)      # for finding the latest; the statement's counts
    statement: Mapped[str] = mapped_column(Text)               # the canonical JSON that was signed
    signature: Mapped[str] = mapped_column(String(128))        # Ed25519, base64url
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
