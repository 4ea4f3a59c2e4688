"""Signed ledger checkpoints: whoever can write the database can rewrite an entry and recompute every
later hash (the unkeyed chain then checks out), but not sign a head without the key kept outside it.
Each attack is done the way an intruder with database access would: in SQL."""
from __future__ import annotations

import base64
import json
import logging
from datetime import date

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text

from elearn import create_app
from elearn.accreditation import checkpoints, ledger
from elearn.accreditation.models import Activity, LedgerCheckpoint, LedgerEntry
from elearn.certificates.keys import public_jwk
from elearn.extensions import db
from elearn.launch.models import User
from lti.models import Platform

FACTS = {"activity_title": {"nl": "Waarde", "en": "Value"}, "register": "gaia", "accreditation_id": "483920",
         "points": 4.0, "points_kind": "accreditation points", "completed_on": "2026-03-12"}


def _records(app, n: int = 3) -> list[str]:
    """`n` learners with a record each (entries 1..n); their verification codes."""
    with app.app_context():
        platform = db.session.scalar(select(Platform).filter_by(client_id="cp")) or Platform(
            issuer="https://lms.example.edu", client_id="cp", auth_login_url="https://lms.example.edu/a",
            auth_token_url="https://lms.example.edu/t", key_set_url="https://lms.example.edu/k")
        activity = Activity(title=FACTS["activity_title"], module_ids=["care-cycle"], register="gaia",
                            accreditation_id="483920", points=4.0, points_kind="accreditation points",
                            study_load_minutes=240, valid_from=date(2026, 1, 1), valid_until=date(2027, 12, 31),
                            professions=["doctor"], rule={"post_test": True})
        db.session.add_all([platform, activity])
        db.session.commit()
        codes, before = [], db.session.scalar(select(func.count()).select_from(User))
        for i in range(before, before + n):
            user = User(platform_id=platform.id, sub=f"learner-{i}", name=f"Learner {i}")
            db.session.add(user)
            db.session.commit()
            subject = {"name": f"Learner {i}", "profession": "doctor", "identifiers": {"big": f"1901234560{i}"}}
            codes.append(ledger.record_once(activity.id, user.id, subject,
                                            dict(FACTS, activity_id=activity.id)).record_code)
        return codes


def _rewrite_in_sql(app, seq: int, **changes) -> None:
    """The attack: change entry `seq` and recompute every later hash with the chain's own hash function,
    head row included, all in SQL, so that the chain's own checks find nothing."""
    with app.app_context():
        prev, updates = ledger.GENESIS, []
        for entry in db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)):
            payload = dict(entry.payload, **changes) if entry.seq == seq else dict(entry.payload)
            new_hash = ledger.entry_hash(prev, entry.seq, entry.kind, entry.record_code, payload, entry.created_at)
            updates.append({"seq": entry.seq, "payload": json.dumps(payload), "prev": prev, "hash": new_hash})
            prev = new_hash
        db.session.rollback()
        as_json = "CAST(:payload AS JSON)" if db.engine.dialect.name == "postgresql" else ":payload"
        for values in updates:
            db.session.execute(text(f"UPDATE accreditation_ledger SET payload = {as_json}, prev_hash = :prev, "
                                    "hash = :hash WHERE seq = :seq"), values)
        db.session.execute(text("UPDATE accreditation_ledger_head SET hash = :hash WHERE id = 1"), {"hash": prev})
        db.session.commit()
        db.session.expire_all()
        assert ledger.structural_problems() == []     # the unkeyed chain cannot tell: the old verify said OK


def _status(page: str) -> str:
    """The verdict of a verification page."""
    return page.split('class="card verdict', 1)[1].split('data-status="', 1)[1].split('"', 1)[0]


def test_a_rewritten_entry_with_every_later_hash_recomputed_is_caught_by_the_checkpoint(app, runner, live_server,
                                                                                       tmp_path):
    codes = _records(app)
    saved = runner.invoke(args=["accreditation", "checkpoint", "-o", str(tmp_path / "checkpoint.json")])
    assert saved.exit_code == 0 and "checkpoint of entry 3" in saved.output, saved.output
    assert _status(requests.get(f"{live_server.url}/verify/{codes[1]}", timeout=10).text) == "valid"
    assert runner.invoke(args=["accreditation", "verify", "--checkpoint", str(tmp_path / "checkpoint.json")]) \
        .exit_code == 0

    _rewrite_in_sql(app, 2, points=40.0)

    against_file = runner.invoke(args=["accreditation", "verify", "--checkpoint", str(tmp_path / "checkpoint.json")])
    assert against_file.exit_code == 1 and "entry 2: it was changed and the hashes after it recomputed" \
        in against_file.output, against_file.output
    stored = runner.invoke(args=["accreditation", "verify"])
    assert stored.exit_code == 1 and "entry 2: it was changed" in stored.output, stored.output
    page = requests.get(f"{live_server.url}/verify/{codes[1]}", timeout=10)
    assert page.status_code == 200 and _status(page.text) == "damaged" and "Learner 1" not in page.text
    # A record written after the rewritten entry still checks out: the head signed before it vouches for
    # what came earlier, and its own part of the chain is untouched.
    assert _status(requests.get(f"{live_server.url}/verify/{codes[2]}", timeout=10).text) == "valid"


def test_rewriting_the_checkpoints_too_does_not_help_without_the_private_key(app, runner, client):
    codes = _records(app)
    _rewrite_in_sql(app, 2, points=40.0)
    with app.app_context():
        forged_head = db.session.get(LedgerEntry, 3).hash
        row = checkpoints.latest()
        latest_id, statement = row.id, json.loads(row.statement)
        statement["head_hash"] = forged_head
        forged = ledger.canonical(statement)
        for r in checkpoints.rows():               # every stored checkpoint now states the forged heads
            db.session.execute(text("UPDATE accreditation_ledger_checkpoints SET statement = :s WHERE id = :id"),
                               {"s": forged if r.id == latest_id else r.statement, "id": r.id})
        db.session.commit()
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "signature does not match" in result.output, result.output
    assert _status(client.get(f"/verify/{codes[1]}").text) == "damaged"
    with app.app_context():                       # a correct signature, by the intruder's own key
        mine = Ed25519PrivateKey.generate()
        statement["kid"] = public_jwk(mine)["kid"]
        forged = ledger.canonical(statement)
        own_signature = base64.urlsafe_b64encode(mine.sign(forged.encode())).rstrip(b"=").decode()
        db.session.execute(text("UPDATE accreditation_ledger_checkpoints SET statement = :s, signature = :g "
                                "WHERE id = :id"), {"s": forged, "g": own_signature, "id": latest_id})
        db.session.commit()
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "not with the ledger key" in result.output, result.output
    assert _status(client.get(f"/verify/{codes[1]}").text) == "damaged"


def test_a_record_added_in_sql_at_the_end_of_the_chain_is_not_confirmed(app, runner, client):
    codes = _records(app, 2)
    with app.app_context():
        last = db.session.get(LedgerEntry, 2)
        db.session.execute(text("INSERT INTO accreditation_ledger (seq, kind, record_code, activity_id, corrects_seq, "
                                "payload, prev_hash, hash, created_at) SELECT 3, 'record', 'ABCDEFGHJKLM', "
                                "activity_id, 0, payload, :prev, '', created_at FROM accreditation_ledger "
                                "WHERE seq = 2"), {"prev": last.hash})
        db.session.commit()
        db.session.expire_all()
        # Same content as entry 2 but a new code: its hash, computed as the tool would, completes the chain.
        row = db.session.get(LedgerEntry, 3)
        row_hash = ledger.entry_hash(last.hash, 3, "record", "ABCDEFGHJKLM", row.payload, row.created_at)
        db.session.execute(text("UPDATE accreditation_ledger SET hash = :h WHERE seq = 3"), {"h": row_hash})
        db.session.execute(text("UPDATE accreditation_ledger_head SET seq = 3, hash = :h WHERE id = 1"), {"h": row_hash})
        db.session.commit()
        db.session.expire_all()
        assert ledger.structural_problems() == []
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "entries 3–3 are not covered by a signed checkpoint" in result.output
    assert _status(client.get("/verify/ABCDEFGHJKLM").text) == "damaged"
    assert _status(client.get(f"/verify/{codes[0]}").text) == "valid"


def test_the_tool_never_signs_over_a_chain_rewritten_behind_its_back(app, runner, client, caplog):
    codes = _records(app)
    _rewrite_in_sql(app, 1, points=40.0)
    with app.app_context():
        signed_before = db.session.scalar(select(func.count()).select_from(LedgerCheckpoint))
    with caplog.at_level(logging.ERROR, logger="elearn.accreditation.checkpoints"):
        fourth = _records(app, 1)[0]          # a learner's next record is kept, but not signed over
    assert "no longer reaches the head signed at entry 3" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerCheckpoint)) == signed_before
        assert ledger.find_record(db.session.scalar(select(LedgerEntry.activity_id).where(LedgerEntry.seq == 4)),
                                  db.session.scalar(select(LedgerEntry.user_id).where(LedgerEntry.seq == 4))) \
            is not None
    assert _status(client.get(f"/verify/{fourth}").text) == "damaged"
    assert _status(client.get(f"/verify/{codes[0]}").text) == "damaged"
    refused = runner.invoke(args=["accreditation", "checkpoint", "-o", "-"])
    assert refused.exit_code == 1 and "not signed" in refused.output


def test_a_checkpoint_file_is_checked_with_the_auditors_key_not_the_one_inside_it(app, runner, tmp_path):
    _records(app, 2)
    path = tmp_path / "checkpoint.json"
    assert runner.invoke(args=["accreditation", "checkpoint", "-o", str(path)]).exit_code == 0
    document = json.loads(path.read_text())
    key_file = tmp_path / "ledger-key.json"
    key_file.write_text(runner.invoke(args=["accreditation", "ledger-key"]).output)
    assert document["public_key"] == json.loads(key_file.read_text())
    ok = runner.invoke(args=["accreditation", "verify", "--checkpoint", str(path), "--public-key", str(key_file)])
    assert ok.exit_code == 0 and "matches checkpoint of entry 2" in ok.output, ok.output

    # A file an intruder wrote: their own head, their own key inside, a valid signature by that key.
    mine = Ed25519PrivateKey.generate()
    document["statement"].update(head_hash="f" * 64, kid=public_jwk(mine)["kid"])
    document["signature"] = base64.urlsafe_b64encode(mine.sign(ledger.canonical(document["statement"]).encode())) \
        .rstrip(b"=").decode()
    document["public_key"] = public_jwk(mine)
    path.write_text(json.dumps(document))
    for extra in ([], ["--public-key", str(key_file)]):
        result = runner.invoke(args=["accreditation", "verify", "--checkpoint", str(path), *extra])
        assert result.exit_code == 1 and "cannot be trusted" in result.output, result.output
    key_file.write_text('["not", "a", "key"]')
    result = runner.invoke(args=["accreditation", "verify", "--checkpoint", str(path), "--public-key", str(key_file)])
    assert result.exit_code == 1 and "not an Ed25519 JWK" in result.output, result.output
    path.write_text("not a checkpoint")
    result = runner.invoke(args=["accreditation", "verify", "--checkpoint", str(path)])
    assert result.exit_code == 1 and "not a ledger checkpoint" in result.output


def test_the_signing_key_comes_from_the_setting_and_never_lands_in_the_database(app_config, _schema, tmp_path):
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    (tmp_path / "ledger.pem").write_text(pem)
    for setting in (str(tmp_path / "ledger.pem"), pem):
        app = create_app(dict(app_config, LEDGER_SIGNING_KEY=setting))
        with app.app_context():
            from conftest import _empty_all_tables

            _empty_all_tables()
        _records(app, 2)
        published = app.test_client().get("/.well-known/vbhc-ledger-key.json")
        assert published.status_code == 200 and published.get_json() == public_jwk(key)
        with app.app_context():
            checked = checkpoints.check_row(checkpoints.latest())
            assert checked.seq == 2 and checked.kid == public_jwk(key)["kid"]
            body = "".join(pem.splitlines()[1:-1])
            for table in db.metadata.sorted_tables:
                for row in db.session.execute(table.select()):
                    assert body[:40] not in str(tuple(row)), table.name
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_unreadable_key_is_a_clear_error_and_loses_no_record(app_config, _schema, tmp_path, caplog):
    app = create_app(dict(app_config, LEDGER_SIGNING_KEY=str(tmp_path / "missing.pem")))
    with app.app_context():
        from conftest import _empty_all_tables

        _empty_all_tables()
    with caplog.at_level(logging.ERROR, logger="elearn.accreditation.checkpoints"):
        codes = _records(app, 1)
    assert "cannot be read" in caplog.text
    runner = app.test_cli_runner()
    result = runner.invoke(args=["accreditation", "checkpoint", "-o", "-"])
    assert result.exit_code == 1 and "missing.pem, which cannot be read" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        assert ledger.current_facts(codes[0])["points"] == 4.0
        db.session.remove()
        db.engine.dispose()
    (tmp_path / "missing.pem").write_text("not a key")
    app = create_app(dict(app_config, LEDGER_SIGNING_KEY=str(tmp_path / "missing.pem")))
    result = app.test_cli_runner().invoke(args=["accreditation", "ledger-key"])
    assert result.exit_code == 1 and "is not a PEM private key" in result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    # Once the key is there, the operator signs the unsigned tail and the ledger verifies again.
    (tmp_path / "missing.pem").write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    app = create_app(dict(app_config, LEDGER_SIGNING_KEY=str(tmp_path / "missing.pem")))
    runner = app.test_cli_runner()
    unsigned = runner.invoke(args=["accreditation", "verify"])
    assert unsigned.exit_code == 1 and "no signed checkpoint covers the ledger" in unsigned.output
    assert runner.invoke(args=["accreditation", "checkpoint", "-o", "-"]).exit_code == 0
    assert runner.invoke(args=["accreditation", "verify"]).exit_code == 0
    assert _status(app.test_client().get(f"/verify/{codes[0]}").text) == "valid"


@pytest.mark.parametrize("command", [["accreditation", "verify"], ["accreditation", "checkpoint", "-o", "-"]])
def test_an_intact_ledger_verifies_and_checkpoints_at_every_write(app, runner, command):
    _records(app, 3)
    with app.app_context():
        assert [json.loads(r.statement)["seq"] for r in checkpoints.rows()] == [1, 2, 3]
    result = runner.invoke(args=command)
    assert result.exit_code == 0, result.output
