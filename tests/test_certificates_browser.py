"""Headless Chromium: the verification page opened from the certificate's QR code, on a desktop and a
phone, checking a credential there too; axe-core finds no WCAG 2.2 A/AA violations."""
from __future__ import annotations

import os
from pathlib import Path

import pypdfium2
import pytest
import requests

from test_certificates import NAME, BIG, launch_token, make_learner, make_record, qr_urls, tamper
from test_quiz_browser import assert_accessible

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/team/shots"))


@pytest.fixture()
def certificate(app, live_server):
    """A learner's record, its certificate PDF fetched through her launch, and her credential."""
    user_id = make_learner(app, "ria", "Ria Browser")
    code = make_record(app, user_id)
    lt = launch_token(app, user_id, "en")
    pdf = requests.get(f"{live_server.url}/certificates/{code}.pdf", params={"lt": lt}, timeout=20)
    assert pdf.status_code == 200
    jws = requests.get(f"{live_server.url}/certificates/{code}/credential.jwt", params={"lt": lt}, timeout=20).text
    return {"code": code, "pdf": pdf.content, "jws": jws}


def test_verification_page_from_the_qr_code_is_accessible_on_desktop_and_phone(chromium, live_server, certificate):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pypdfium2.PdfDocument(certificate["pdf"])[0].render(scale=2).to_pil().save(SHOTS / "certificate-pdf.png")
    [url] = qr_urls(certificate["pdf"])
    assert url == f"{live_server.url}/verify/{certificate['code']}"

    for width, height, name in ((1280, 900, "desktop"), (390, 844, "phone")):
        context = chromium.new_context(locale="en-GB", viewport={"width": width, "height": height},
                                       is_mobile=width < 500, has_touch=width < 500)
        page = context.new_page()
        response = page.goto(url)
        assert response.status == 200
        verdict = page.locator("section.verdict")
        assert verdict.get_attribute("data-status") == "valid"
        assert "Valid certificate" in verdict.inner_text() and NAME in verdict.inner_text()
        assert BIG not in page.content()
        page.screenshot(path=str(SHOTS / f"certificate-verify-{name}.png"), full_page=True)
        no_scroll = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert no_scroll, f"the page scrolls sideways at {width}px"
        assert_accessible(page.main_frame, f"verification page ({name})")
        context.close()


def test_checking_a_credential_on_the_verification_page_is_accessible(chromium, live_server, certificate):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/verify")
    assert_accessible(page.main_frame, "verification form")

    page.fill("textarea[name=credential]", certificate["jws"])
    page.click("button:has-text('Verify the credential')")
    page.wait_for_load_state()
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-status") == "verified"
    assert "The credential verifies" in verdict.inner_text() and NAME in verdict.inner_text()
    page.screenshot(path=str(SHOTS / "certificate-credential-verified.png"), full_page=True)
    assert_accessible(page.main_frame, "credential verified")

    page.fill("textarea[name=credential]", tamper(certificate["jws"]))
    page.click("button:has-text('Verify the credential')")
    page.wait_for_load_state()
    assert page.locator("section.verdict").get_attribute("data-status") == "not_verified"
    assert_accessible(page.main_frame, "credential refused")

    page.fill("input[name=code]", "abcd efgh jklm")
    page.press("input[name=code]", "Enter")
    page.wait_for_load_state()
    assert page.locator("section.verdict").get_attribute("data-status") == "not_found"
    page.screenshot(path=str(SHOTS / "certificate-verify-not-found.png"), full_page=True)
    assert_accessible(page.main_frame, "unknown code")
    context.close()
