"""Headless Chromium: a learner enrols from the module page inside the LMS iframe, a second one
waits and moves up when the first cancels, the organiser's screen shows the QR code, the attendee
opens the URL decoded from it on a phone (390 px) and checks in, the certificate is issued and the
register's export lists the attendee. Every page passes axe-core; screenshots in /tmp/team/shots."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from elearn.accreditation import exports, operations
from elearn.accreditation.models import Activity, LedgerEntry
from elearn.events.models import Event
from elearn.extensions import db
from elearn.launch.models import User
from lti.models import utcnow
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import assert_accessible

pytestmark = pytest.mark.browser
MODULE = "care-cycle"
KEY = "care-cycle/werkatelier-zorgpaden-2027-03"


def _one_place_now(app) -> tuple[int, int]:
    """The sample workshop with one place, happening now, accredited (3 points, ≥ 80 %)."""
    with app.app_context():
        event = db.session.scalar(select(Event).filter_by(source_key=KEY))
        event.capacity = 1
        event.starts_at = utcnow() - timedelta(minutes=5)
        event.ends_at = event.starts_at + timedelta(hours=3)
        activity = Activity(title=dict(event.title), module_ids=[], event_id=event.id, register="gaia",
                            accreditation_id="GAIA-EV-2027", points=3, points_kind="accreditation hours",
                            study_load_minutes=180, valid_from=date.today() - timedelta(days=1),
                            valid_until=date.today() + timedelta(days=90), professions=[],
                            rule={"attendance": {"min_percent": 80, "prorate": True}})
        db.session.add(activity)
        db.session.commit()
        return event.id, activity.id


def _module_page(browser, lms, sub: str, name: str, role: str = "learner", width: int = 1024, locale: str = "en"):
    context = browser.new_context(locale=f"{locale}-NL" if locale == "nl" else "en-US",
                                  viewport={"width": width, "height": 900 if width > 500 else 844},
                                  is_mobile=width < 500, has_touch=width < 500)
    page = context.new_page()
    page.goto(lms.frame_url(role=role, locale=locale, resource_link_id="ev-1", custom={"module": MODULE},
                            user={"sub": sub, "name": name, "email": f"{sub}@hospital.example"}))
    # Learners land on the module page, instructors on the placement's results.
    landing = f"/modules/{MODULE}" if role == "learner" else "/instructor/results"
    return context, page, _wait_for_tool_page(page, landing)


def _press(frame, text: str) -> None:
    with frame.expect_navigation():
        frame.click(f"main button:has-text('{text}')")
    frame.wait_for_load_state()


def test_enrol_wait_move_up_check_in_by_qr_and_get_the_certificate(app, courses, lms, blocking_browser, chromium):
    event_id, activity_id = _one_place_now(app)
    ann_ctx, ann_page, ann = _module_page(blocking_browser, lms, "ann", "Ann Arts")
    events = ann.locator("#events")
    assert "Care pathway workshop (sample)" in events.inner_text() and "1 of 1 free" in events.inner_text()
    assert_accessible(ann, "module page with events")
    ann.locator("#events").scroll_into_view_if_needed()
    ann_page.screenshot(path=f"{SHOTS}/events-module-list.png", full_page=True)
    _press(ann, "Enrol")                                                  # on the event page now
    assert ann.get_attribute(".event-status", "data-status") == "enrolled"
    assert "No e-mail is sent" in ann.inner_text("main")
    assert_accessible(ann, "event page, enrolled")

    bob_ctx, bob_page, bob = _module_page(blocking_browser, lms, "bob", "Bob Bakker", locale="nl", width=390)
    assert "Vol — wachtlijst open" in bob.inner_text("#events")
    bob.click("#events button:has-text('Op de wachtlijst')")
    bob.wait_for_load_state()
    bob.wait_for_selector(".event-status")
    assert bob.get_attribute(".event-status", "data-status") == "waiting"
    assert "nummer 1" in bob.inner_text(".event-status")
    assert_accessible(bob, "event page, waiting (nl)")
    bob_page.screenshot(path=f"{SHOTS}/events-waiting-nl.png", full_page=True)

    _press(ann, "Cancel my enrolment")                                    # Bob moves up
    bob.goto(bob.url)
    bob.wait_for_load_state()
    assert bob.get_attribute(".event-status", "data-status") == "enrolled"
    with app.app_context():
        bob_id = db.session.scalar(select(User.id).filter_by(sub="bob"))
        operations.save_identity(bob_id, "B. Bakker", "medical-specialist", {"big": "19087654302"})

    # The organiser's screen in the instructor's launch.
    ivo_ctx, ivo_page, ivo = _module_page(blocking_browser, lms, "ivo", "Ivo Instructor", role="instructor")
    with ivo.expect_navigation():
        ivo.click("main a[href*='/events/manage']")
    ivo.wait_for_load_state()
    assert_accessible(ivo, "instructor events page")
    with ivo.expect_navigation():
        ivo.click(f"[data-event-id='{event_id}'] a:has-text('Show the check-in QR code')")
    ivo.wait_for_selector("img.checkin-qr")
    assert_accessible(ivo, "check-in QR page")
    ivo_page.screenshot(path=f"{SHOTS}/events-organiser-qr.png", full_page=True)
    qr = Image.open(io.BytesIO(ivo.locator("img.checkin-qr").screenshot()))
    decoded = [r.text for r in zxingcpp.read_barcodes(qr) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(decoded) == 1 and re.search(rf"/events/{event_id}/check-in\?c=", decoded[0])

    # Bob's phone: the LMS app opened the module in the phone's browser (a top-level launch), then he
    # scans the code with the camera, which opens its URL in that browser.
    phone = chromium.new_context(locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True,
                                 has_touch=True)
    launch = phone.new_page()
    launch.goto(lms.frame_url(role="learner", locale="nl", resource_link_id="ev-1", custom={"module": MODULE},
                              user={"sub": "bob", "name": "Bob Bakker"}, storage_target=None)
                .replace("/frame?", "/start?"))
    launch.wait_for_url(re.compile(rf".*/modules/{MODULE}\?lt="))
    scan = phone.new_page()
    scan.goto(decoded[0])
    scan.wait_for_load_state()
    assert "Ik ben er" in scan.inner_text("main")
    assert_accessible(scan, "phone check-in page")
    with scan.expect_navigation():
        scan.click("button.checkin-button")
    assert scan.get_attribute("[data-state]", "data-state") == "checked-in"
    assert_accessible(scan, "phone checked in")
    scan.screenshot(path=f"{SHOTS}/events-phone-checked-in.png", full_page=True)
    scan.goto(decoded[0])                                                 # scanning again records nothing new
    assert scan.get_attribute("[data-state]", "data-state") == "already"

    # The certificate, from Bob's claim page; the register's list names him.
    with scan.expect_navigation():
        scan.goto(decoded[0].split("/events/")[0] + f"/accreditation/activities/{activity_id}")
    text = scan.inner_text("main")
    assert "Je punten zijn geregistreerd" in text
    with app.app_context():
        record = db.session.scalar(select(LedgerEntry).filter_by(kind="record"))
        assert record.user_id == bob_id and record.payload["points"] == 3
        pdf = scan.request.get(decoded[0].split("/events/")[0] + f"/certificates/{record.record_code}.pdf")
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        body, _m, _n = exports.export(db.session.get(Activity, activity_id), date(2000, 1, 1), date(2100, 1, 1), "gaia")
        assert "19087654302;B. Bakker;" in body and "GAIA-EV-2027" in body
    ivo.goto(ivo.url.replace("/check-in-code", "/attendance"))
    assert "aanwezig" in ivo.inner_text("main") or "present" in ivo.inner_text("main")
    assert_accessible(ivo, "attendance list")
    ivo_page.screenshot(path=f"{SHOTS}/events-attendance-list.png", full_page=True)
    for ctx in (ann_ctx, bob_ctx, ivo_ctx, phone):
        ctx.close()
