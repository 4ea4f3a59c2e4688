"""`flask --app elearn accreditation …`: administrators, the ledger check, register exports."""
from __future__ import annotations

import json
import secrets
import sys
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from elearn.accreditation import admin_sessions, checkpoints, exports, ledger
from elearn.accreditation.admin import audit, snapshot
from elearn.accreditation.models import Activity, ActivityChange, Administrator, LedgerEntry
from elearn.catalog.models import live_courses, live_modules
from elearn.extensions import db

DEMO_ADMIN = "admin@demo.local"


@click.group(cls=AppGroup)
def accreditation():
    """Accredited activities, records and the registers."""


@accreditation.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.password_option()
def create_admin(email: str, name: str, password: str):
    """Add (or reset the password of) an accreditation administrator; a reset signs out every session."""
    email = email.strip().lower()
    admin = db.session.scalar(select(Administrator).filter_by(email=email)) or Administrator(email=email)
    admin.name, admin.password_hash = name, generate_password_hash(password)
    db.session.add(admin)
    db.session.flush()
    # Whoever signed in with the old password (or holds a copy of a cookie) is out.
    ended = admin_sessions.revoke_all(admin.id)
    db.session.commit()
    click.echo(f"administrator {email} can sign in at /admin/login"
               + (f"; {ended} session(s) signed out" if ended else ""))


@accreditation.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.File("r", encoding="utf-8"),
              help="A checkpoint file (from `accreditation checkpoint`) to check the chain against; "
                   "default: the latest one stored.")
@click.option("--public-key", "key_file", type=click.File("r", encoding="utf-8"),
              help="The ledger's public key (JWK, as at /.well-known/vbhc-ledger-key.json) an auditor kept; "
                   "default: the key this server signs with.")
def verify(checkpoint_file, key_file):
    """Check the whole ledger; name every entry that was changed, deleted or moved (exit 1)."""
    try:
        jwk = json.load(key_file) if key_file else None
        checkpoint = checkpoints.from_document(checkpoint_file.read(), jwk) if checkpoint_file else None
    except checkpoints.CheckpointError as error:
        click.echo(f"FAILED: the checkpoint cannot be trusted: {error}", err=True)
        sys.exit(1)
    except ValueError:
        raise click.ClickException("the public key file is not JSON (a JWK)") from None
    problems = ledger.verify(checkpoint)
    for problem in problems:
        click.echo(f"entry {problem.seq}: {problem.message}", err=True)
    if problems:
        click.echo(f"FAILED: {len(problems)} problem(s) in {ledger.count()} entries", err=True)
        sys.exit(1)
    against = f"checkpoint of entry {checkpoint.seq} signed {checkpoint.signed_at}" if checkpoint else \
        "the latest signed checkpoint"
    click.echo(f"OK: {ledger.count()} entries, the chain is intact and matches {against}")


@accreditation.command("checkpoint")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the checkpoint file ('-': standard output); default: "
                   "ledger-checkpoint-SEQ.json here.")
@click.option("--accept-current-chain", is_flag=True,
              help="Sign the chain as it is even if it no longer matches the latest signed checkpoint "
                   "(after changing the key on purpose, once `verify --checkpoint` against your last file passed).")
def checkpoint(output: str | None, accept_current_chain: bool):
    """Sign the ledger's head now and write the checkpoint for an auditor to keep outside this system."""
    try:
        checkpoints.signing_key()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    problems = [p for p in ledger.verify() if not p.unsigned]   # an unsigned tail is what this signs
    if problems and not accept_current_chain:
        for problem in problems:
            click.echo(f"entry {problem.seq}: {problem.message}", err=True)
        raise click.ClickException("the ledger does not verify, so it is not signed (see `accreditation verify`)")
    head = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()
    seq = head.seq if head else 0
    head_hash = ledger.recompute(1, seq) if head else ledger.GENESIS   # from content, as verify compares it
    if head_hash is None:
        raise click.ClickException("entries are missing from the ledger, so it cannot be signed")
    row = checkpoints.sign(seq, head_hash)
    db.session.commit()
    body = json.dumps(checkpoints.to_document(row), indent=2, sort_keys=True) + "\n"
    if output == "-":
        click.echo(body, nl=False)
        return
    path = output or f"ledger-checkpoint-{row.seq}.json"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(body)
    click.echo(f"checkpoint of entry {seq} (head {head_hash}) written to {path}; keep it outside this system")


@accreditation.command("ledger-key")
def ledger_key():
    """Print the public key that checkpoints are signed with (JWK), for an auditor to keep."""
    try:
        click.echo(json.dumps(checkpoints.public_key(), indent=2, sort_keys=True))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


@accreditation.command("export")
@click.argument("activity_id", type=int)
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="csv", show_default=True)
@click.option("--from", "start", help="First completion date (YYYY-MM-DD); default: start of validity.")
@click.option("--to", "end", help="Last completion date (YYYY-MM-DD); default: today.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def export(activity_id: int, fmt: str, start: str | None, end: str | None, output):
    """Write the attendance list of an activity in a register's format."""
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise click.ClickException(f"no activity {activity_id}")
    try:
        body, _mime, _name = exports.export(activity, date.fromisoformat(start) if start else activity.valid_from,
                                            date.fromisoformat(end) if end else date.today(), fmt)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    output.write(body)


SEED_BY = "flask accreditation seed-demo"   # who the audit trail names for what the demo seed does


def demo_accreditation_id(module_id: str) -> str:
    """The demo's made-up accreditation id of a module: the whole module id, never cut short."""
    return f"DEMO-{module_id.upper()}"


def _repair_demo_activities() -> None:
    """Demo databases seeded before: give every seeded activity its full id (older seeds cut the module
    id at 20 characters) and an audit entry, so the audit trail names the seed as the author."""
    for activity in db.session.scalars(select(Activity).where(Activity.accreditation_id.startswith("DEMO-"))):
        if len(activity.module_ids) != 1:
            continue
        full = demo_accreditation_id(activity.module_ids[0])
        has_trail = db.session.scalar(select(ActivityChange.id).filter_by(activity_id=activity.id).limit(1))
        if not has_trail:
            audit(activity, SEED_BY, None)
        if activity.accreditation_id != full and full.startswith(activity.accreditation_id):
            before = snapshot(activity)
            activity.accreditation_id = full
            audit(activity, SEED_BY, before)
    db.session.commit()


@accreditation.command("seed-demo")
def seed_demo():
    """Demo only: accredit the phase C modules (GAIA, demo ids); give admin@demo.local a new random password."""
    if not current_app.config.get("DEMO_LMS"):
        raise click.ClickException("seed-demo is for the demo (DEMO_LMS on) only")
    if db.session.scalar(select(Activity.id).limit(1)) is None:
        modules = {m.id: m for m in live_modules()}
        for course in live_courses():
            if course.phase != "C":
                continue
            for module_id in course.module_ids:
                module = modules.get(module_id)
                if module is None:
                    continue
                content = module.current_version.content
                minutes = int(content["study_load_minutes"])
                activity = Activity(
                    title=content["title"], module_ids=[module_id], register="gaia",
                    accreditation_id=demo_accreditation_id(module_id), points=max(0.25, int(minutes / 15) / 4),
                    points_kind="accreditation hours", study_load_minutes=minutes,
                    valid_from=date.today() - timedelta(days=30), valid_until=date.today() + timedelta(days=365),
                    professions=["doctor", "medical-specialist", "general-practitioner"],
                    rule={"lessons": True, "activities": True, "post_test": True, "evaluation": True})
                db.session.add(activity)
                audit(activity, SEED_BY, None)
        db.session.commit()
    _repair_demo_activities()
    # A fresh random password at every start, printed once: a fixed demo password would let anyone
    # who can reach the demo sign in as its accreditation administrator.
    password = secrets.token_urlsafe(12)
    admin = db.session.scalar(select(Administrator).filter_by(email=DEMO_ADMIN))
    if admin is None:
        admin = Administrator(email=DEMO_ADMIN, name="Demo administrator", password_hash="")
        db.session.add(admin)
    admin.password_hash = generate_password_hash(password)
    db.session.commit()
    click.echo(f"demo accreditation: phase C modules accredited; sign in at /admin/login as {DEMO_ADMIN} "
               f"with the password {password} (new at every start)")


@accreditation.command("correct")
@click.argument("code")
@click.option("--points", type=float, help="The right number of points.")
@click.option("--completed-on", help="The right completion date (YYYY-MM-DD).")
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@click.option("--by", "by", required=True, help="Who corrects (kept in the ledger).")
def correct(code: str, points: float | None, completed_on: str | None, reason: str, by: str):
    """Correct a record: a new ledger entry that names the record; the original stays as written."""
    changes = {}
    if points is not None:
        changes["points"] = points
    if completed_on:
        changes["completed_on"] = date.fromisoformat(completed_on).isoformat()
    if not changes:
        raise click.UsageError("give --points and/or --completed-on")
    try:
        entry = ledger.correct(code.replace(" ", "").upper(), changes, reason, by)
    except LookupError:
        raise click.ClickException(f"no record {code}") from None
    click.echo(f"entry {entry.seq} corrects record {entry.record_code}: {changes}")
