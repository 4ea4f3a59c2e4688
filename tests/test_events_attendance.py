"""Attendance: the organiser's rotating QR check-in, presence recorded once, every bad code refused
with nothing written, corrections with an audit trail, partial attendance reducing the points, and
the same ledger record, certificate and register export as a module completion."""
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from elearn.accreditation import exports, ledger
from elearn.accreditation.models import Activity, LedgerEntry
from elearn.events.attendance import SALT
from elearn.events.models import Attendance, AttendanceChange, Event
from elearn.extensions import db
from events_support import event_id, learner, with_events  # noqa: F401
from launch_support import make_browser, tool  # noqa: F401 (fixture)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from lti.models import utcnow
from quiz_support import launch_learner


def happening_now(app, event: int, minutes: int = 180) -> None:
    """Move the event to now (started 10 minutes ago) so that check-in is open."""
    with app.app_context():
        row = db.session.get(Event, event)
        row.starts_at = utcnow() - timedelta(minutes=10)
        row.ends_at = row.starts_at + timedelta(minutes=minutes)
        db.session.commit()


def accredit(app, event: int, **rule) -> int:
    """An accredited activity of the event (6 points, at least 80 %, pro rata)."""
    from datetime import date

    with app.app_context():
        activity = Activity(title={"nl": "Werkatelier waarde", "en": "Value workshop"}, module_ids=[], event_id=event,
                            register="gaia", accreditation_id="GAIA-EV-1", points=3, points_kind="accreditation hours",
                            study_load_minutes=180, valid_from=date.today() - timedelta(days=1),
                            valid_until=date.today() + timedelta(days=90), professions=[],
                            rule={"attendance": dict({"min_percent": 80, "prorate": True}, **rule)})
        db.session.add(activity)
        db.session.commit()
        return activity.id


def organiser(platform):
    browser = make_browser()
    _page, lt = launch_learner(platform, browser, role="instructor", user={"sub": "ivo", "name": "Ivo Instructor"})
    return browser, lt


def code_url(browser, tool, event: int, lt: str) -> str:
    """The check-in URL the organiser's screen shows (what its QR code encodes)."""
    page = browser.get(f"{tool.url}/events/{event}/check-in-code", params={"lt": lt})
    assert page.status_code == 200 and 'src="data:image/svg+xml' in page.text
    return re.search(r'data-url="([^"]+)"', page.text).group(1).replace("&amp;", "&")


def enrolled(platform, tool, event, sub, name):
    browser, _, lt = learner(platform, sub, name)
    assert browser.post(f"{tool.url}/events/{event}/enrol", data={"lt": lt}).status_code == 200
    return browser, lt


def scan(browser, url: str, lt: str):
    """Open the scanned URL in the attendee's session, then press the button."""
    shown = browser.get(url, params={"lt": lt})
    code = parse_qs(urlsplit(url).query)["c"][0]
    return shown, browser.post(url.split("?")[0], data={"lt": lt, "c": code})


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Attendance)),
                db.session.scalar(select(func.count()).select_from(AttendanceChange)))


def test_check_in_by_the_organisers_code_records_presence_once(with_events, tool, platform):
    event = event_id(with_events)
    happening_now(with_events, event)
    ann, ann_lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    ivo, ivo_lt = organiser(platform)
    url = code_url(ivo, tool, event, ivo_lt)
    shown, done = scan(ann, url, ann_lt)
    assert shown.status_code == 200 and "I am here" in shown.text
    assert done.status_code == 200 and 'data-state="checked-in"' in done.text
    assert _counts(with_events) == (1, 1)
    again = ann.post(url.split("?")[0], data={"lt": ann_lt, "c": parse_qs(urlsplit(url).query)["c"][0]})
    assert again.status_code == 409 and 'data-reason="already"' in again.text
    assert _counts(with_events) == (1, 1)
    bob, bob_lt = enrolled(platform, tool, event, "bob", "Bob Bakker")
    assert 'data-state="checked-in"' in scan(bob, url, bob_lt)[1].text    # the room shares one code
    page = ivo.get(f"{tool.url}/events/{event}/check-in-code", params={"lt": ivo_lt})
    assert 'data-present="2"' in page.text


def _old_code(app, event: int, seconds_ago: int) -> str:
    class Then(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds_ago

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT, signer=Then).dumps({"e": event})


def test_bad_codes_are_refused_in_plain_words_and_write_nothing(with_events, tool, platform, tmp_path):
    event = event_id(with_events)
    happening_now(with_events, event)
    with with_events.app_context():
        other = Event(source="admin", module_id=db.session.get(Event, event).module_id, mode="webinar",
                      title={"nl": "Ander", "en": "Other"}, description={"nl": "x", "en": "x"},
                      starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=1), timezone="Europe/Amsterdam",
                      online_url="https://example.org/w", capacity=5, organiser="X", created_by="test")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    ann, lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    ivo, ivo_lt = organiser(platform)
    good = parse_qs(urlsplit(code_url(ivo, tool, event, ivo_lt)).query)["c"][0]
    other_code = parse_qs(urlsplit(code_url(ivo, tool, other_id, ivo_lt)).query)["c"][0]
    forged_elsewhere = URLSafeTimedSerializer("another-secret", salt=SALT).dumps({"e": event})
    cases = {
        "expired": _old_code(with_events, event, 600),                     # forwarded ten minutes later
        "forged": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "other-event": other_code,
    }
    for reason, code in dict(cases, **{"forged ": forged_elsewhere}).items():
        resp = ann.post(f"{tool.url}/events/{event}/check-in", data={"lt": lt, "c": code})
        assert resp.status_code == 400 and f'data-reason="{reason.strip()}"' in resp.text, reason
        shown = ann.get(f"{tool.url}/events/{event}/check-in", params={"lt": lt, "c": code})
        assert shown.status_code == 400 and "I am here" not in shown.text
    assert "has expired" in ann.post(f"{tool.url}/events/{event}/check-in",
                                     data={"lt": lt, "c": cases["expired"]}).text
    cas, _, cas_lt = learner(platform, "cas", "Cas Cohen")                 # not enrolled, valid code
    resp = cas.post(f"{tool.url}/events/{event}/check-in", data={"lt": cas_lt, "c": good})
    assert resp.status_code == 409 and 'data-reason="not-enrolled"' in resp.text
    stranger = make_browser()                                              # no launch on this phone
    resp = stranger.get(f"{tool.url}/events/{event}/check-in", params={"c": good})
    assert resp.status_code == 401 and 'data-state="needs-launch"' in resp.text
    assert stranger.post(f"{tool.url}/events/{event}/check-in", data={"c": good}).status_code == 401
    assert _counts(with_events) == (0, 0)


def test_check_in_is_closed_before_and_after_the_event(with_events, tool, platform):
    event = event_id(with_events)                                          # in 2027: not yet open
    ann, lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    ivo, ivo_lt = organiser(platform)
    resp = scan(ann, code_url(ivo, tool, event, ivo_lt), lt)[1]
    assert resp.status_code == 409 and 'data-reason="closed"' in resp.text
    assert _counts(with_events) == (0, 0)


def test_another_course_instructor_cannot_run_the_check_in(with_events, tool, platform):
    event = event_id(with_events)
    browser = make_browser()
    _page, lt = launch_learner(platform, browser, role="instructor", user={"sub": "zed", "name": "Zed"},
                               custom={"module": "beta-teams"}, resource_link_id="rl-other")
    assert browser.get(f"{tool.url}/events/{event}/check-in-code", params={"lt": lt}).status_code == 404
    ann, ann_lt = learner(platform, "ann", "Ann Arts")[0::2]
    assert ann.get(f"{tool.url}/events/{event}/check-in-code", params={"lt": ann_lt}).status_code in (401, 403)


def _identity(app, sub: str) -> None:
    from elearn.accreditation import operations
    from elearn.launch.models import User

    with app.app_context():
        user = db.session.scalar(select(User).filter_by(sub=sub))
        operations.save_identity(user.id, "A. Arts", "medical-specialist", {"big": "19012345601"})


def test_attendance_writes_the_record_certificate_and_export_and_corrections_reduce_points(with_events, tool,
                                                                                            platform):
    event = event_id(with_events)
    happening_now(with_events, event, minutes=180)                         # 3 hours planned, 3 points
    activity = accredit(with_events, event)
    ann, lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    _identity(with_events, "ann")
    ivo, ivo_lt = organiser(platform)
    done = scan(ann, code_url(ivo, tool, event, ivo_lt), lt)[1]
    assert "Your accreditation points" in done.text
    with with_events.app_context():
        record = db.session.scalar(select(LedgerEntry).filter_by(kind="record"))
        assert record.activity_id == activity and record.payload["points"] == 3
        assert record.payload["attended_minutes"] == 180 and record.payload["event_id"] == event
        code = record.record_code
        assert ledger.verify() == []                                       # the signed checkpoint still holds
    claim = ann.get(f"{tool.url}/accreditation/activities/{activity}", params={"lt": lt})
    assert "Your points are recorded" in claim.text and code in claim.text
    pdf = ann.get(f"{tool.url}/certificates/{code}.pdf", params={"lt": lt})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The organiser corrects: Ann arrived 50 minutes late → 130 of 180 minutes = 72 % < 80 %: no points.
    ann_id = _user_id(with_events, "ann")
    page = ivo.post(f"{tool.url}/events/{event}/attendance",
                    data={"lt": ivo_lt, "user_id": ann_id, "state": "late", "late_minutes": "50"})
    assert page.status_code == 200 and "arrived late" in page.text and "Ivo Instructor" in page.text
    with with_events.app_context():
        trail = list(db.session.scalars(select(AttendanceChange).order_by(AttendanceChange.id)))
        assert [(c.changed_by, c.before, c.after["state"]) for c in trail][-1] == (
            "Ivo Instructor", {"state": "present", "late_minutes": 0, "left_early_minutes": 0}, "late")
        assert ledger.current_facts(code)["points"] == 0 and ledger.current_facts(code)["attended_minutes"] == 130
        assert ledger.verify() == []


def test_partial_attendance_prorates_to_quarter_hours_and_exports_list_the_attendee(with_events, tool, platform):
    event = event_id(with_events)
    happening_now(with_events, event, minutes=180)
    activity = accredit(with_events, event)
    ann, lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    _identity(with_events, "ann")
    ivo, ivo_lt = organiser(platform)
    # Left 25 minutes early: 155 of 180 minutes = 86 % ≥ 80 %; 3 × 155/180 = 2.58 → 2.5 points.
    ivo.post(f"{tool.url}/events/{event}/attendance",
             data={"lt": ivo_lt, "user_id": _user_id(with_events, "ann"), "state": "left-early",
                   "left_early_minutes": "25"})
    with with_events.app_context():
        record = db.session.scalar(select(LedgerEntry).filter_by(kind="record"))
        assert record.payload["points"] == 2.5 and record.payload["attended_minutes"] == 155
        act = db.session.get(Activity, activity)
        from datetime import date
        body, _mime, _name = exports.export(act, date(2000, 1, 1), date(2100, 1, 1), "gaia")
        assert "19012345601;A. Arts;" in body and ";2,5;GAIA-EV-1" in body


@pytest.mark.parametrize("form", [
    {"state": "late", "late_minutes": "0"}, {"state": "late", "late_minutes": "999"},
    {"state": "gone"}, {"state": "left-early", "left_early_minutes": "x"},
])
def test_bad_corrections_are_refused_and_write_nothing(with_events, tool, platform, form):
    event = event_id(with_events)
    enrolled(platform, tool, event, "ann", "Ann Arts")
    ivo, ivo_lt = organiser(platform)
    resp = ivo.post(f"{tool.url}/events/{event}/attendance",
                    data=dict(form, lt=ivo_lt, user_id=_user_id(with_events, "ann")))
    assert resp.status_code == 422 and 'id="form-error"' in resp.text
    assert _counts(with_events) == (0, 0)


def _user_id(app, sub: str) -> int:
    from elearn.launch.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).filter_by(sub=sub))


def test_three_successive_corrections_chain_and_the_latest_points_count_everywhere(with_events, tool, platform):
    """Each correction supersedes the one before it: three corrections of one attendance are three
    entries (corrects_seq: the record, then each previous correction), the chain and its signed
    checkpoints verify, and the certificate and every register list show the latest points."""
    import io
    from datetime import date

    import pypdf

    event = event_id(with_events)
    happening_now(with_events, event, minutes=180)                         # 3 points, pro rata from 80 %
    activity = accredit(with_events, event)
    ann, lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    with with_events.app_context():
        from elearn.accreditation import operations
        from elearn.launch.models import User

        operations.save_identity(db.session.scalar(select(User.id).filter_by(sub="ann")), "A. Arts",
                                 "medical-specialist", {"big": "19012345601", "krf": "KRF-1234", "eacceme": "ann@uems"})
    ivo, ivo_lt = organiser(platform)
    assert 'data-state="checked-in"' in scan(ann, code_url(ivo, tool, event, ivo_lt), lt)[1].text   # 3 points
    ann_id = _user_id(with_events, "ann")
    # 160/180 min → 2.5; absent → 0; 170/180 min → 2.75 (each below/above 80 % as the rule says)
    for form in ({"state": "left-early", "left_early_minutes": "20"}, {"state": "absent"},
                 {"state": "late", "late_minutes": "10"}):
        page = ivo.post(f"{tool.url}/events/{event}/attendance", data=dict(form, lt=ivo_lt, user_id=ann_id))
        assert page.status_code == 200, page.text[:300]
    with with_events.app_context():
        record = db.session.scalar(select(LedgerEntry).filter_by(kind="record"))
        corrections = list(db.session.scalars(select(LedgerEntry).filter_by(kind="correction")
                                              .order_by(LedgerEntry.seq)))
        assert [c.payload["changes"]["points"] for c in corrections] == [2.5, 0, 2.75]
        assert [c.corrects_seq for c in corrections] == [record.seq] + [c.seq for c in corrections[:-1]]
        assert ledger.verify() == []
        code = record.record_code
        assert ledger.current_facts(code)["points"] == 2.75 and ledger.current_facts(code)["attended_minutes"] == 170
        act = db.session.get(Activity, activity)
        lists = {fmt: exports.export(act, date(2000, 1, 1), date(2100, 1, 1), fmt)[0]
                 for fmt in ("gaia", "pe-online", "eacceme")}
    assert "19012345601;A. Arts;" in lists["gaia"] and ";2,75;GAIA-EV-1" in lists["gaia"]
    assert "KRF-1234;A. Arts;" in lists["pe-online"] and ";2,75;GAIA-EV-1" in lists["pe-online"]
    assert "ann@uems,A. Arts,medical-specialist," in lists["eacceme"] and ",2.75,GAIA-EV-1" in lists["eacceme"]
    pdf = ann.get(f"{tool.url}/certificates/{code}.pdf", params={"lt": lt})
    assert pdf.status_code == 200
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "2.75" in text and "accreditation" in text, text[:500]
    verify = ann.get(f"{tool.url}/verify/{code}", params={"lang": "en"})
    assert 'data-status="corrected"' in verify.text and "2.75 accreditation" in verify.text


def test_a_check_in_without_a_code_or_with_an_overlong_one_is_refused_and_writes_nothing(with_events, tool, platform):
    event = event_id(with_events)
    happening_now(with_events, event)
    ann, lt = enrolled(platform, tool, event, "ann", "Ann Arts")
    for posted in ({}, {"c": ""}, {"c": "A" * 5000}):
        resp = ann.post(f"{tool.url}/events/{event}/check-in", data=dict(posted, lt=lt))
        assert resp.status_code == 400 and 'data-reason="forged"' in resp.text, posted
        assert "not a valid check-in code" in resp.text
    assert _counts(with_events) == (0, 0)


def test_a_refused_correction_shows_the_field_and_keeps_what_the_organiser_typed(with_events, tool, platform):
    event = event_id(with_events)
    enrolled(platform, tool, event, "ann", "Ann Arts")
    ivo, ivo_lt = organiser(platform)
    resp = ivo.post(f"{tool.url}/events/{event}/attendance",
                    data={"lt": ivo_lt, "user_id": _user_id(with_events, "ann"), "state": "late",
                          "late_minutes": "ten", "left_early_minutes": "0"})
    assert resp.status_code == 422 and 'data-field="late_minutes"' in resp.text
    assert "late and early need their minutes" in resp.text
    row = resp.text[resp.text.index('data-user="ann"'):]
    assert '<option value="late" selected>' in row and 'name="late_minutes" value="ten"' in row
    assert _counts(with_events) == (0, 0)
    for bad_id in ("", "ann"):                                            # not a learner's id: not our form
        assert ivo.post(f"{tool.url}/events/{event}/attendance",
                        data={"lt": ivo_lt, "user_id": bad_id, "state": "present"}).status_code == 400
