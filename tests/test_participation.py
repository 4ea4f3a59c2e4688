"""Participation records (a resident's proof of a completed module, accredited or not): written once,
when the whole module is done and not before, on the accreditation ledger; certificate of
participation, Open Badge, public verification; the portfolio page and its PDF naming the CanMEDS
roles; erasure and other learners."""
import io
import json
import threading
from pathlib import Path

import jwt
import pypdf
from sqlalchemy import select, text

from elearn.accreditation import ledger, participation
from elearn.accreditation.models import LedgerEntry, RecordSubject
from elearn.extensions import db
from elearn.launch.models import User
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, launch_learner, loaded, take  # noqa: F401
from activities_support import ACTIVITY_IDS, give_activities, with_activities  # noqa: F401

LESSONS = ("first-lesson", "second-lesson")
REFLECTION = "On our ward the cycle stops at discharge; <b>nobody</b> follows the patient home."


def _participations(app) -> list[LedgerEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(LedgerEntry).where(LedgerEntry.module_id.is_not(None))
                                       .order_by(LedgerEntry.seq)))
        db.session.expunge_all()
        return rows


def _complete(tool, browser, lt, *, steps=("lessons", "activities", "post_test"), app=None):
    """Do the parts of the module a learner does, checking after each that no record exists yet
    unless that part was the last one."""
    if "lessons" in steps:
        for lesson in LESSONS:
            assert browser.post(f"{tool.url}/modules/{MODULE}/lessons/{lesson}/done", data={"lt": lt}).ok
    if "activities" in steps:
        for activity_id in ACTIVITY_IDS:
            answer = REFLECTION if activity_id == "own-department" else f"My answer to {activity_id}"
            saved = browser.post(f"{tool.url}/modules/{MODULE}/activities/{activity_id}", data={"lt": lt, "answer": answer})
            assert saved.ok, saved.text[:300]
    if "post_test" in steps:
        take(browser, tool, lt)


def test_the_record_is_written_once_when_the_module_completes_and_not_before(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-1")
    _complete(tool, browser, lt, steps=("lessons",))
    assert _participations(with_activities) == []                       # lessons alone: not complete
    _complete(tool, browser, lt, steps=("post_test",))
    assert _participations(with_activities) == []                       # passed, but cases and reflection open
    _complete(tool, browser, lt, steps=("activities",))                 # the last answer completes it
    (record,) = _participations(with_activities)
    assert record.kind == "record" and record.activity_id is None and record.module_id == MODULE
    facts = record.payload
    assert facts["record_type"] == "participation" and facts["canmeds"] == ["medical-expert", "communicator", "scholar"]
    assert facts["study_load_minutes"] == 60 and facts["post_test_percent"] == 100
    assert "points" not in facts and "register" not in facts
    _complete(tool, browser, lt, steps=("activities", "lessons"))       # saving again writes nothing new
    assert len(_participations(with_activities)) == 1
    page = browser.get(f"{tool.url}/modules/{MODULE}", params={"lt": lt})
    assert "You completed this module on" in page.text and f"/certificates/{record.record_code}.pdf" in page.text
    with with_activities.app_context():
        assert ledger.verify() == []                                     # signed like every other entry


def test_a_failed_post_test_gives_no_record(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-2")
    _complete(tool, browser, lt, steps=("lessons", "activities"))
    take(browser, tool, lt, right=0)                                      # everything wrong
    assert _participations(with_activities) == []
    page = browser.get(f"{tool.url}/modules/{MODULE}", params={"lt": lt})
    assert "you then get a certificate of participation" in page.text


def test_concurrent_completion_writes_one_record(with_activities):
    with with_activities.app_context():
        _complete_in_db(with_activities)
        user_id = db.session.scalar(select(User.id))
    barrier, codes, errors = threading.Barrier(5), [], []

    def complete():
        with with_activities.app_context():
            try:
                barrier.wait(timeout=10)
                codes.append(participation.try_record(user_id, MODULE).record_code)
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=complete) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(codes)) == 1
    assert len(_participations(with_activities)) == 1


def _complete_in_db(app):
    """A learner with every lesson, answer and a passed attempt, written directly (no request)."""
    from datetime import timedelta  # noqa: F401

    from elearn.catalog.models import Module
    from elearn.launch.models import ResourceLink
    from elearn.learning.models import ActivityResponse, LessonProgress
    from elearn.quizzes.models import Attempt
    from lti.models import Platform, utcnow

    platform = Platform(issuer="https://lms.example", client_id="c", auth_login_url="https://lms.example/a",
                        auth_token_url="https://lms.example/t", key_set_url="https://lms.example/k")
    db.session.add(platform)
    db.session.flush()
    user = User(platform_id=platform.id, sub="res-1", name="Dr. R. Jansen")
    link = ResourceLink(platform_id=platform.id, link_id="rl-db", deployment_id="d", module_id=MODULE)
    db.session.add_all([user, link])
    db.session.flush()
    module = db.session.get(Module, MODULE)
    for lesson in module.current_version.content["lessons"]["nl"]:
        db.session.add(LessonProgress(user_id=user.id, module_id=MODULE, lesson_id=lesson["id"],
                                      version_id=module.current_version_id, completed_at=utcnow()))
    for activity_id in ACTIVITY_IDS:
        db.session.add(ActivityResponse(user_id=user.id, resource_link_pk=link.id, module_id=MODULE,
                                        activity_id=activity_id, kind="case", text="x"))
    db.session.add(Attempt(user_id=user.id, resource_link_pk=link.id, module_id=MODULE,
                           version_id=module.current_version_id, number=1, settings={}, paper={}, responses={},
                           started_at=utcnow(), finished_at=utcnow(), percent=80.0, passed=True, result={"items": []}))
    db.session.commit()


def test_certificate_badge_and_public_verification(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-3", locale="nl")
    _complete(tool, browser, lt)
    (record,) = _participations(with_activities)
    code = record.record_code
    pdf = browser.get(f"{tool.url}/certificates/{code}.pdf", params={"lt": lt})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert f'bewijs-van-deelname-{code}.pdf' in pdf.headers["Content-Disposition"]
    if Path("/tmp/team/shots").is_dir():
        (Path("/tmp/team/shots") / "participation-certificate-nl.pdf").write_bytes(pdf.content)
    words = " ".join(pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "Bewijs van deelname" in words and "Waarde en uitkomsten" in words
    assert "Medisch deskundige, Communicator, Academicus" in words and "1 uur" in words
    assert "Accreditatienummer" not in words and "Punten" not in words
    badge = browser.get(f"{tool.url}/certificates/{code}/credential.jwt", params={"lt": lt})
    claims = jwt.decode(badge.text, options={"verify_signature": False})
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Course" and "creditsAvailable" not in achievement
    assert [a["targetCode"] for a in achievement["alignment"]] == ["medical-expert", "communicator", "scholar"]
    assert claims["id"].endswith(f"/verify/{code}")
    checked = make_browser().post(f"{tool.url}/verify/credential", data=badge.text,
                                  headers={"Content-Type": "application/vc+jwt"})
    assert checked.json() == {"verified": True, "problem": None, "detail": None, "record_status": "valid",
                              "matches_record": True}
    public = make_browser().get(f"{tool.url}/verify/{code}", params={"lang": "en"})
    assert public.status_code == 200 and "Certificate of participation" in public.text
    assert "Medical expert, Communicator, Scholar" in public.text and "Accreditation ID" not in public.text


def test_another_learner_gets_neither_certificate_nor_portfolio(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-4")
    _complete(tool, browser, lt)
    (record,) = _participations(with_activities)
    other = make_browser()
    _, other_lt = launch_learner(platform, other, resource_link_id="rl-part-4", user="learner-2")
    assert other.get(f"{tool.url}/certificates/{record.record_code}.pdf", params={"lt": other_lt}).status_code == 403
    assert other.get(f"{tool.url}/certificates/{record.record_code}/credential.jwt",
                     params={"lt": other_lt}).status_code == 403
    theirs = other.get(f"{tool.url}/accreditation/portfolio", params={"lt": other_lt})
    assert "No modules completed yet" in theirs.text and record.record_code not in theirs.text
    body = other.get(f"{tool.url}/accreditation/portfolio.pdf", params={"lt": other_lt}).content
    assert "Waarde" not in _pdf_text(body) and "Value and outcomes" not in _pdf_text(body)
    assert make_browser().get(f"{tool.url}/accreditation/portfolio").status_code == 401   # no launch, no portfolio


def _pdf_text(body: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages).split())


def test_portfolio_lists_the_module_with_roles_hours_and_reflection(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-5")
    _complete(tool, browser, lt)
    (record,) = _participations(with_activities)
    page = browser.get(f"{tool.url}/accreditation/portfolio", params={"lt": lt})
    assert page.status_code == 200
    html = page.text
    assert "Value and outcomes" in html and record.record_code in html
    for role in ("Medical expert", "Communicator", "Scholar"):
        assert role in html
    assert "Collaborator" not in html.split('class="portfolio-items"')[1]    # only the module's own roles
    assert "On our ward the cycle stops at discharge; &lt;b&gt;nobody&lt;/b&gt;" in html   # their text, escaped
    assert "What does the care cycle look like in your department?" in html             # the question asked
    assert '<dd id="hours-total">1</dd>' in html and "100%" in html
    nl = browser.get(f"{tool.url}/accreditation/portfolio", params={"lt": lt, "lang": "nl"})
    assert "Medisch deskundige" in nl.text and "Mijn portfolio" in nl.text


def test_portfolio_pdf_names_the_canmeds_roles_in_the_learners_language(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-6", locale="nl")
    _complete(tool, browser, lt)
    (record,) = _participations(with_activities)
    resp = browser.get(f"{tool.url}/accreditation/portfolio.pdf", params={"lt": lt})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Cache-Control"] == "private, no-store" and 'filename="portfolio.pdf"' in resp.headers[
        "Content-Disposition"]
    words = _pdf_text(resp.content)
    assert "Waarde en uitkomsten" in words and "Afgeronde modules 1" in words.replace("AFGERONDE MODULES", "Afgeronde modules")
    assert "CanMEDS-rollen: Medisch deskundige, Communicator, Academicus" in words
    assert "discharge; <b>nobody</b> follows the patient home." in words   # the reflection, as written (no markup)
    assert " ".join(record.record_code[i:i + 4] for i in range(0, 12, 4)) in words
    en = _pdf_text(browser.get(f"{tool.url}/accreditation/portfolio.pdf", params={"lt": lt, "lang": "en"}).content)
    assert "CanMEDS roles: Medical expert, Communicator, Scholar" in en and "Study load per CanMEDS role" in en


def test_erasure_removes_the_person_from_participation_records_and_the_portfolio(with_activities, tool, platform,
                                                                                  browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-7")
    _complete(tool, browser, lt)
    (record,) = _participations(with_activities)
    data = browser.get(f"{tool.url}/accreditation/my-data.json", params={"lt": lt}).json()
    (exported,) = data["accreditation_records"]
    assert exported["facts"]["record_type"] == "participation" and exported["as_registered"]["name"]
    erased = browser.post(f"{tool.url}/accreditation/erase", data={"lt": lt, "confirm": "erase"})
    assert erased.status_code == 200
    with with_activities.app_context():
        assert db.session.get(RecordSubject, record.record_code) is None
        assert ledger.verify() == []                                    # the chain stands
    assert browser.get(f"{tool.url}/certificates/{record.record_code}.pdf", params={"lt": lt}).status_code in (401, 410)
    public = make_browser().get(f"{tool.url}/verify/{record.record_code}", params={"lang": "en"})
    assert public.status_code == 200 and 'data-status="erased"' in public.text


def test_a_changed_participation_record_no_longer_verifies(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-part-8")
    _complete(tool, browser, lt)
    (record,) = _participations(with_activities)
    with with_activities.app_context():            # someone with database access raises the score
        forged = dict(record.payload, post_test_percent=55.0, canmeds=["leader"])
        db.session.execute(text("UPDATE accreditation_ledger SET payload = :p WHERE seq = :s"),
                           {"p": json.dumps(forged), "s": record.seq})
        db.session.commit()
        assert any("changed" in p.message for p in ledger.verify())
    public = make_browser().get(f"{tool.url}/verify/{record.record_code}", params={"lang": "en"})
    assert 'data-status="damaged"' in public.text and "This record cannot be confirmed" in public.text
    assert browser.get(f"{tool.url}/certificates/{record.record_code}.pdf", params={"lt": lt}).status_code == 409
