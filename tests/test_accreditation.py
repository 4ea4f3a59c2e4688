"""Accreditation: completion rules, one record per learner even under races, a ledger that names
every edit or deletion, register exports, and erasure that keeps the ledger verifiable."""
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from elearn.accreditation import completion, exports, ledger, operations
from elearn.accreditation.models import Activity, LedgerEntry, ProfessionalIdentity, RecordSubject
from elearn.extensions import db
from elearn.launch.models import User
from elearn.learning.models import LessonProgress
from elearn.quizzes.models import Attempt
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from lti.models import Platform, utcnow
from quiz_support import MODULE, launch_learner, loaded, take  # noqa: F401
from activities_support import ACTIVITY_IDS, give_activities, with_activities  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def _activity(rule: dict, **fields) -> Activity:
    values = dict(title={"nl": "Waarde en uitkomsten", "en": "Value and outcomes"}, module_ids=[MODULE],
                  register="gaia", accreditation_id="GAIA-123456", points=1.5, points_kind="accreditation hours",
                  study_load_minutes=90, valid_from=date.today() - timedelta(days=30),
                  valid_until=date.today() + timedelta(days=300), professions=["doctor"], rule=rule)
    values.update(fields)
    activity = Activity(**values)
    db.session.add(activity)
    db.session.commit()
    return activity


def _user(sub: str = "pro-1") -> User:
    platform = db.session.scalar(select(Platform)) or Platform(
        issuer="https://lms.example", client_id="c", auth_login_url="https://lms.example/a",
        auth_token_url="https://lms.example/t", key_set_url="https://lms.example/k")
    db.session.add(platform)
    db.session.flush()
    user = User(platform_id=platform.id, sub=sub, name="Dr. A. de Boer")
    db.session.add(user)
    db.session.commit()
    return user


def _identity(user: User, **identifiers) -> None:
    operations.save_identity(user.id, "A. de Boer", "medical-specialist", identifiers or {"big": "19012345601"})


def _read_all_lessons(user: User) -> None:
    from elearn.catalog.models import Module

    module = db.session.get(Module, MODULE)
    for lesson in module.current_version.content["lessons"]["nl"]:
        db.session.add(LessonProgress(user_id=user.id, module_id=MODULE, lesson_id=lesson["id"],
                                      version_id=module.current_version_id, completed_at=utcnow()))
    db.session.commit()


def _pass_post_test(user: User, percent: float = 87.5) -> None:
    from elearn.catalog.models import Module
    from elearn.launch.models import ResourceLink

    link = db.session.scalar(select(ResourceLink)) or ResourceLink(
        platform_id=user.platform_id, link_id="rl-acc", deployment_id="d", module_id=MODULE)
    db.session.add(link)
    db.session.flush()
    module = db.session.get(Module, MODULE)
    db.session.add(Attempt(user_id=user.id, resource_link_pk=link.id, module_id=MODULE,
                           version_id=module.current_version_id, number=1, settings={}, paper={}, responses={},
                           started_at=utcnow(), finished_at=utcnow(), percent=percent, passed=percent >= 70,
                           result={"items": []}))
    db.session.commit()


@pytest.mark.parametrize("rule, steps, complete", [
    ({"post_test": True}, [], False),
    ({"post_test": True}, ["post_test"], True),
    ({"lessons": True}, [], False),
    ({"lessons": True}, ["lessons"], True),
    ({"lessons": True, "post_test": True}, ["post_test"], False),
    ({"lessons": True, "post_test": True}, ["lessons", "post_test"], True),
    ({"post_test": True, "evaluation": True}, ["post_test"], False),
    ({"post_test": True, "evaluation": True}, ["post_test", "evaluation"], True),
    ({"post_test": True, "attestation": True}, ["post_test"], False),
    ({"post_test": True, "attestation": True}, ["post_test", "attestation"], True),
    ({"post_test": True, "pass_mark": 90}, ["post_test"], False),      # the credit needs 90%, not the quiz's 70
])
def test_completion_rule_in_each_configuration(loaded, rule, steps, complete):
    with loaded.app_context():
        activity, user = _activity(rule), _user()
        if "lessons" in steps:
            _read_all_lessons(user)
        if "post_test" in steps:
            _pass_post_test(user)
        if "evaluation" in steps:
            operations.submit_evaluation(user.id, activity, {"relevance": 5})
        if "attestation" in steps:
            operations.attest(user.id, activity, 200)
        assert completion.status(activity, user.id).complete is complete


def test_validity_period_and_attested_time_cap_the_points(loaded):
    with loaded.app_context():
        expired = _activity({"post_test": True}, valid_until=date.today() - timedelta(days=1),
                            valid_from=date.today() - timedelta(days=400))
        capped = _activity({"post_test": True, "attestation": True}, points=1.5, study_load_minutes=90)
        user = _user()
        _pass_post_test(user)
        _identity(user)
        assert not completion.status(expired, user.id).complete
        assert operations.try_record(expired, user.id) is None
        operations.attest(user.id, capped, 50)                            # 50 min → 0.75 h (quarters, rounded down)
        record = operations.try_record(capped, user.id)
        assert record.payload["points"] == 0.75 and record.payload["attested_minutes"] == 50


def test_concurrent_completions_create_one_record(loaded):
    with loaded.app_context():
        activity, user = _activity({"post_test": True}), _user()
        _pass_post_test(user)
        _identity(user)
        activity_id, user_id = activity.id, user.id
    barrier, codes, errors = threading.Barrier(6), [], []

    def claim():
        with loaded.app_context():
            try:
                barrier.wait(timeout=10)
                codes.append(operations.try_record(db.session.get(Activity, activity_id), user_id).record_code)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and len(set(codes)) == 1 and len(codes) == 6
    with loaded.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LedgerEntry)) == 1
        assert ledger.verify() == []


def _three_records(app) -> list[str]:
    with app.app_context():
        activity = _activity({"post_test": True})
        codes = []
        for n in range(3):
            user = _user(f"pro-{n}")
            codes.append(ledger.record_once(activity.id, user.id, {"name": f"P {n}", "profession": "nurse",
                                                                   "identifiers": {}},
                                            {"points": 1.5, "completed_on": "2026-11-02"}).record_code)
        return codes


def test_ledger_names_a_changed_amount(loaded, runner):
    _three_records(loaded)
    with loaded.app_context():
        row = db.session.get(LedgerEntry, 2)
        row.payload = dict(row.payload, points=15)                       # someone edits the amount in the database
        db.session.commit()
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "entry 2: its content was changed" in result.output


def test_ledger_names_a_deleted_entry_and_a_deleted_tail(loaded, runner):
    _three_records(loaded)
    with loaded.app_context():
        db.session.execute(text("DELETE FROM accreditation_ledger WHERE seq = 2"))
        db.session.commit()
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "entry 3: entries 2–2 are missing" in result.output
    with loaded.app_context():
        db.session.execute(text("DELETE FROM accreditation_ledger WHERE seq = 3"))
        db.session.commit()
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "entry 3 was the last one written" in result.output


def test_ledger_names_a_reordered_pair(loaded, runner):
    _three_records(loaded)
    with loaded.app_context():                                            # swap entries 1 and 2
        db.session.execute(text("UPDATE accreditation_ledger SET seq = 99 WHERE seq = 1"))
        db.session.execute(text("UPDATE accreditation_ledger SET seq = 1 WHERE seq = 2"))
        db.session.execute(text("UPDATE accreditation_ledger SET seq = 2 WHERE seq = 99"))
        db.session.commit()
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 1 and "entry 1:" in result.output and "entry 2:" in result.output
    assert runner.invoke(args=["accreditation", "verify"]).output.count("entry") >= 2


def test_correction_is_a_new_entry_and_the_chain_stays_intact(loaded, runner):
    codes = _three_records(loaded)
    done = runner.invoke(args=["accreditation", "correct", codes[0], "--points", "1", "--reason",
                               "study load was set too high", "--by", "admin@example.org"])
    assert done.exit_code == 0 and "entry 4 corrects record" in done.output
    with loaded.app_context():
        assert ledger.current_facts(codes[0])["points"] == 1.0
        assert db.session.get(LedgerEntry, 1).payload["points"] == 1.5     # the original entry is untouched
    assert runner.invoke(args=["accreditation", "verify"]).exit_code == 0


def _export_records(app) -> int:
    """Three professionals, each with the identifier of their register, completed on fixed dates."""
    with app.app_context():
        activity = _activity({"post_test": True}, accreditation_id="ACC-2026-0042")
        people = [("Anna de Vries", "medical-specialist", {"big": "19012345601", "eacceme": "anna.devries"}, 1.5),
                  ("Bram Jansen", "physiotherapist", {"krf": "KRF-778899"}, 1.25),
                  ("Chantal Öztürk", "nurse", {"vvn": "4455667"}, 1.5)]
        for n, (name, profession, ids, points) in enumerate(people):
            user = _user(f"exp-{n}")
            ledger.record_once(activity.id, user.id, {"name": name, "profession": profession, "identifiers": ids},
                               {"points": points, "completed_on": f"2026-11-0{n + 2}", "points_kind": "uur",
                                "accreditation_id": "ACC-2026-0042", "activity_title": activity.title,
                                "register": "gaia"})
        return activity.id


@pytest.mark.parametrize("fmt, fixture", [("gaia", "gaia.csv"), ("pe-online", "pe-online.csv"),
                                          ("eacceme", "eacceme.csv")])
def test_exports_match_the_register_formats(loaded, fmt, fixture):
    activity_id = _export_records(loaded)
    with loaded.app_context():
        body, mimetype, name = exports.export(db.session.get(Activity, activity_id), date(2026, 11, 1),
                                              date(2026, 11, 30), fmt)
    assert mimetype == "text/csv" and name == f"ACC-2026-0042-{fmt}-2026-11-01-2026-11-30.csv"
    assert body == (FIXTURES / fixture).read_text(encoding="utf-8").replace("\n", "\r\n")


def test_generic_exports_carry_every_record_and_respect_the_period(loaded, runner):
    activity_id = _export_records(loaded)
    out = runner.invoke(args=["accreditation", "export", str(activity_id), "--format", "csv",
                              "--from", "2026-11-03", "--to", "2026-11-30"])
    lines = out.output.strip().splitlines()
    assert lines[0].startswith("verification_code,name,profession") and len(lines) == 3   # the 2nd of Nov is outside
    assert "Bram Jansen" in lines[1] and "Chantal Öztürk" in lines[2]
    import json

    data = json.loads(runner.invoke(args=["accreditation", "export", str(activity_id), "--format", "json",
                                          "--from", "2026-11-01", "--to", "2026-11-30"]).output)
    assert [r["person"]["name"] for r in data] == ["Anna de Vries", "Bram Jansen", "Chantal Öztürk"]
    assert all("subject_commitment" not in r for r in data)


def test_erasure_removes_personal_data_and_keeps_the_ledger_verifiable(loaded, runner):
    from elearn.privacy import erase_person, export_person

    with loaded.app_context():
        activity, user = _activity({"post_test": True}), _user()
        _pass_post_test(user)
        _identity(user)
        record = operations.try_record(activity, user.id)
        mine = export_person(user.id)
        assert mine["professional_identity"]["identifiers"] == {"big": "19012345601"}
        assert mine["accreditation_records"][0]["verification_code"] == record.record_code
        erase_person(user.id)
        assert db.session.get(RecordSubject, record.record_code) is None
        assert db.session.get(ProfessionalIdentity, user.id) is None
        assert db.session.get(User, user.id).name is None and db.session.get(User, user.id).sub.startswith("erased-")
        assert ledger.current_facts(record.record_code)["erased"] is True
        dump = str([e.payload for e in db.session.scalars(select(LedgerEntry))])
        assert "de Boer" not in dump and "19012345601" not in dump
    result = runner.invoke(args=["accreditation", "verify"])
    assert result.exit_code == 0 and "2 entries" in result.output


def test_identity_form_validates_the_big_number(loaded):
    with loaded.app_context():
        user = _user()
        with pytest.raises(operations.IdentityError) as bad:
            operations.save_identity(user.id, "A. de Boer", "medical-specialist", {"big": "1234"})
        assert bad.value.field == "big"
        operations.save_identity(user.id, "A. de Boer", "medical-specialist", {"big": "190 1234 5601"})
        assert db.session.get(ProfessionalIdentity, user.id).identifiers == {"big": "19012345601"}


def test_learner_claims_points_end_to_end(loaded, tool, platform, browser):
    with loaded.app_context():
        activity_id = _activity({"post_test": True}).id
    page, lt = launch_learner(platform, browser, resource_link_id="rl-claim")
    assert "Claim your points" in page.text and "GAIA" in page.text
    claim = browser.get(f"{tool.url}/accreditation/activities/{activity_id}", params={"lt": lt})
    assert claim.status_code == 200 and "What is sent where" in claim.text
    form = {"lt": lt, "registered_name": "Sanne de Vries", "profession": "medical-specialist", "big": "123"}
    assert browser.post(f"{tool.url}/accreditation/activities/{activity_id}/claim", data=form).status_code == 422
    form.update(big="19012345601")
    no_consent = browser.post(f"{tool.url}/accreditation/activities/{activity_id}/claim", data=form)
    assert no_consent.status_code == 422 and "Tick the box" in no_consent.text
    saved = browser.post(f"{tool.url}/accreditation/activities/{activity_id}/claim", data=dict(form, consent="yes"))
    assert saved.status_code == 200 and "Your details are saved" in saved.text
    take(browser, tool, lt)                                               # passing the post-test completes it
    with loaded.app_context():
        [record] = db.session.scalars(select(LedgerEntry)).all()
        assert record.payload["post_test_percent"] == 100 and record.payload["module_versions"] == {MODULE: 1}
    done = browser.get(f"{tool.url}/accreditation/activities/{activity_id}", params={"lt": lt})
    assert "Your points are recorded" in done.text and record.record_code in done.text
    transcript = browser.get(f"{tool.url}/accreditation/transcript.csv", params={"lt": lt})
    assert record.record_code in transcript.text and "GAIA-123456" in transcript.text


def test_students_who_do_not_claim_are_never_asked(loaded, tool, platform, browser):
    page, lt = launch_learner(platform, browser, resource_link_id="rl-noclaim")
    assert "Name as registered" not in page.text and "BIG" not in page.text   # no activity: nothing asked
    take(browser, tool, lt)
    with loaded.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LedgerEntry)) == 0


def _answer_activities(user: User, activity_ids) -> None:
    from elearn.launch.models import ResourceLink
    from elearn.learning.models import ActivityResponse

    link = db.session.scalar(select(ResourceLink)) or ResourceLink(
        platform_id=user.platform_id, link_id="rl-acc", deployment_id="d", module_id=MODULE)
    db.session.add(link)
    db.session.flush()
    for activity_id in activity_ids:
        db.session.add(ActivityResponse(user_id=user.id, resource_link_pk=link.id, module_id=MODULE,
                                        activity_id=activity_id, kind="case", text="My own answer."))
    db.session.commit()


def test_activities_rule_needs_every_case_and_the_reflection(with_activities):
    with with_activities.app_context():
        activity, user = _activity({"lessons": True, "activities": True, "post_test": True}), _user()
        _read_all_lessons(user)
        _pass_post_test(user)
        status = completion.status(activity, user.id)
        assert not status.complete and [r.key for r in status.requirements if not r.met] == ["activities"]
        _answer_activities(user, ACTIVITY_IDS[:-1])          # the cases, not yet the reflection
        assert not completion.status(activity, user.id).complete
        _answer_activities(user, ACTIVITY_IDS[-1:])
        assert completion.status(activity, user.id).complete


def test_activities_rule_on_a_module_without_activities_asks_nothing_more(loaded):
    give_activities(loaded, activities=None)     # a module version from before activities.yaml
    with loaded.app_context():
        activity, user = _activity({"activities": True, "post_test": True}), _user()
        _pass_post_test(user)
        assert completion.status(activity, user.id).complete


def test_after_progress_exits_early_without_identity_and_records_once_it_is_given(loaded, monkeypatch):
    """after_progress skips the activities while the learner gave no identity (no record is possible
    then), and still records the completed activity on the next progress once the identity is there."""
    with loaded.app_context():
        activity, user = _activity({"post_test": True}), _user()
        _pass_post_test(user)
        read = []
        real = operations.activities_for_module
        monkeypatch.setattr(operations, "activities_for_module", lambda *a, **k: read.append(a) or real(*a, **k))
        operations.after_progress(user.id, MODULE)
        assert read == [] and ledger.find_record(activity.id, user.id) is None
        _identity(user)
        operations.after_progress(user.id, MODULE)
        assert read and ledger.find_record(activity.id, user.id) is not None
