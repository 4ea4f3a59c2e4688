"""Signed checkpoints of the ledger: its head (entry count and last hash) signed with a key the database never holds.

The hash chain has no key: whoever can write to the database can rewrite an entry and recompute every
later hash. A checkpoint is the statement {ledger, seq, head_hash, signed_at, kid}, signed with the
Ed25519 key LEDGER_SIGNING_KEY (a PEM, or the path of a PEM file; generated once into instance/ when
unset). Nobody without that key can sign a checkpoint over a rewritten chain.

One is signed with every append (one signature, in the append's transaction), but only when the chain
still reaches the previous signed head, so the tool never signs over a chain rewritten behind its back.
They are stored so that /verify checks a record against the latest one; `flask accreditation
checkpoint` writes one to a file for an auditor to keep elsewhere, and `flask accreditation verify
--checkpoint FILE` checks the chain against it. The public key is at /.well-known/vbhc-ledger-key.json.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from sqlalchemy import select

from elearn.accreditation.canonical import canonical
from elearn.accreditation.models import LedgerCheckpoint
from elearn.certificates.keys import ALGORITHM, public_jwk
from elearn.config import ROOT
from elearn.extensions import db
from lti.models import utcnow

FORMAT = "vbhc-ledger-checkpoint/1"
LOCAL_KEY_FILE = "ledger-signing-key.pem"
log = logging.getLogger(__name__)


class CheckpointError(Exception):
    """A checkpoint that cannot be trusted: unreadable, signed with another key, or a wrong signature."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose signature was checked: the chain's first `seq` entries end in `head_hash`."""

    ledger: str
    seq: int
    head_hash: str
    signed_at: str
    kid: str


def _b64url_decode(text: str) -> bytes:
    """base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _local_key_path() -> Path:
    """Where the key lives when LEDGER_SIGNING_KEY is unset: instance/, beside the local secret key."""
    return ROOT / "instance" / LOCAL_KEY_FILE


def _create_local_key(path: Path) -> None:
    """Write a new key readable by this user only; a key another process wrote first wins."""
    path.parent.mkdir(exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ledger-key-")
    try:
        os.write(handle, pem)
        os.close(handle)
        os.link(temporary, path)   # atomic and never overwrites: two workers starting at once keep one key
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def _read_key(setting: str) -> Ed25519PrivateKey:
    """The private key the setting names (a PEM, or the path of one), or the local one."""
    if setting.startswith("-----BEGIN"):
        pem, origin = setting.encode(), "LEDGER_SIGNING_KEY"
    else:
        path = Path(setting) if setting else _local_key_path()
        if not setting:
            if not path.exists():
                _create_local_key(path)
            config = current_app.config
            if not (config.get("TESTING") or config.get("DEMO_LMS") or current_app.debug):
                log.warning("LEDGER_SIGNING_KEY is not set: ledger checkpoints are signed with %s, a key generated "
                            "on this server. Set LEDGER_SIGNING_KEY to a key kept outside the database and the "
                            "server's disk (see README, Security), or checkpoints stop verifying when it is lost.",
                            path)
        try:
            pem, origin = path.read_bytes(), str(path)
        except OSError as error:
            raise RuntimeError(f"LEDGER_SIGNING_KEY names {path}, which cannot be read: {error}") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise RuntimeError(f"the ledger signing key from {origin} is not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"the ledger signing key from {origin} is not an Ed25519 key")
    return key


def signing_key() -> Ed25519PrivateKey:
    """The ledger's private key, read once per application (and setting)."""
    setting = (current_app.config.get("LEDGER_SIGNING_KEY") or "").strip()
    cache = current_app.extensions.setdefault("ledger_signing_key", {})
    if setting not in cache:
        cache[setting] = _read_key(setting)
    return cache[setting]


def public_key() -> dict:
    """The public half of the ledger key as a JWK: what an auditor checks checkpoints with."""
    return public_jwk(signing_key())


def ledger_name() -> str:
    """Which ledger a checkpoint speaks of: the tool's public URL, else its name."""
    return current_app.config.get("TOOL_BASE_URL") or current_app.config.get("TOOL_NAME") or "VBHC Academy"


def sign(seq: int, head_hash: str) -> LedgerCheckpoint:
    """A signed checkpoint of the chain's first `seq` entries ending in `head_hash` (added; caller commits)."""
    key = signing_key()
    statement = canonical({"ledger": ledger_name(), "seq": seq, "head_hash": head_hash,
                                  "signed_at": utcnow().isoformat(timespec="seconds"),
                                  "kid": public_jwk(key)["kid"]})
    signature = base64.urlsafe_b64encode(key.sign(statement.encode())).rstrip(b"=").decode()
    row = LedgerCheckpoint(seq=seq, statement=statement, signature=signature)
    db.session.add(row)
    return row


def check(statement: str, signature: str, jwk: dict | None = None) -> Checkpoint:
    """The checkpoint if `signature` over `statement` verifies with `jwk` (default: the ledger's own key)."""
    try:
        jwk = jwk or public_key()
    except RuntimeError as error:
        raise CheckpointError(str(error)) from None
    try:
        fields = json.loads(statement)
        claimed = Checkpoint(ledger=str(fields["ledger"]), seq=int(fields["seq"]), head_hash=str(fields["head_hash"]),
                             signed_at=str(fields["signed_at"]), kid=str(fields["kid"]))
        raw_signature = _b64url_decode(signature)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise CheckpointError("the checkpoint cannot be read") from None
    try:
        verifier = jwt.PyJWK(jwk, ALGORITHM).key
    except (jwt.PyJWTError, AttributeError, TypeError, ValueError):
        raise CheckpointError("the public key is not an Ed25519 JWK") from None
    if claimed.kid != jwk.get("kid"):
        raise CheckpointError(f"it was signed with key {claimed.kid}, not with the ledger key {jwk.get('kid')}")
    try:
        verifier.verify(raw_signature, statement.encode())
    except InvalidSignature:
        raise CheckpointError("its signature does not match its content (it was changed or forged)") from None
    return claimed


def check_row(row: LedgerCheckpoint) -> Checkpoint:
    """A stored checkpoint, checked: its signature, and that its seq column says what it signed."""
    checked = check(row.statement, row.signature)
    if checked.seq != row.seq:
        raise CheckpointError(f"the stored row says entry {row.seq}, the signed statement entry {checked.seq}")
    return checked


def rows() -> list[LedgerCheckpoint]:
    """Every stored checkpoint, oldest first."""
    return list(db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.seq, LedgerCheckpoint.id)))


def latest() -> LedgerCheckpoint | None:
    """The stored checkpoint of the longest chain (the newest of those)."""
    return db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.seq.desc(),
                                                                LedgerCheckpoint.id.desc()).limit(1)).first()


def sign_after_append(seq: int, head_hash: str, structural_problems: Callable[[], list],
                      recompute: Callable[[int, int, str], str | None]) -> LedgerCheckpoint | None:
    """Sign the head a new entry made, if the chain still reaches the last signed head; else log why not.

    `structural_problems` and `recompute` are the ledger's own chain checks, passed in by the ledger
    (which imports this module) so that signing never imports the ledger back.
    Never raises: the entry (a learner's record) is kept either way, and `verify` reports the unsigned tail.
    """
    try:
        last = latest()
        if last is None:
            problems = structural_problems()
            if problems:
                log.error("accreditation ledger: not signing a first checkpoint, the chain is broken at entry %s: %s",
                          problems[0].seq, problems[0].message)
                return None
        else:
            trusted = check_row(last)
            if recompute(trusted.seq + 1, seq, trusted.head_hash) != head_hash:
                log.error("accreditation ledger: not signing entry %s: the chain no longer reaches the head signed "
                          "at entry %s (entries were changed in the database)", seq, trusted.seq)
                return None
        return sign(seq, head_hash)
    except CheckpointError as error:
        log.error("accreditation ledger: not signing entry %s: the latest checkpoint cannot be trusted: %s", seq, error)
    except RuntimeError as error:   # the key cannot be read: said once per append, in the log
        log.error("accreditation ledger: not signing entry %s: %s", seq, error)
    return None


def to_document(row: LedgerCheckpoint) -> dict:
    """A checkpoint as the file an auditor keeps: the signed statement, the signature, the public key."""
    return {"format": FORMAT, "statement": json.loads(row.statement), "signature": row.signature,
            "public_key": public_key()}


def from_document(text: str, jwk: dict | None = None) -> Checkpoint:
    """A checkpoint file, checked against `jwk` (an auditor's copy of the key) or the ledger's own key.

    The key inside the file is never trusted: anyone could write a file with their own key in it.
    """
    try:
        document = json.loads(text)
        if document.get("format") != FORMAT:
            raise CheckpointError(f"not a ledger checkpoint (format {document.get('format')!r}, not {FORMAT!r})")
        statement, signature = canonical(document["statement"]), str(document["signature"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CheckpointError("the file is not a ledger checkpoint (JSON with statement and signature)") from None
    return check(statement, signature, jwk)

