"""Headless Chromium, third-party cookies blocked: a professional claims points inside the LMS
iframe — details given with consent, post-test passed, record shown — and the pages pass axe-core."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from elearn.accreditation.models import Activity
from elearn.extensions import db
from quiz_support import answers, latest_attempt
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import assert_accessible

pytestmark = pytest.mark.browser
MODULE = "leadership"


def _fill(frame, values: dict[str, list[str]]) -> None:
    """Put the given form values into the quiz form, whatever control each one is."""
    for name, chosen in values.items():
        for value in chosen:
            control = frame.locator(f'[name="{name}"]').first
            tag = control.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
            if tag.startswith("select"):
                control.select_option(value)
            elif tag in ("input:radio", "input:checkbox"):
                frame.check(f'[name="{name}"][value="{value}"]')
            else:
                control.fill(value)


def _shoot(context, url: str, name: str) -> None:
    """Screenshots of a tool page at laptop and phone width, opened on its own, whole (the demo LMS's
    frame has a fixed height)."""
    for width in (1280, 390):
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.close()


def _frame_shot(page, frame, selector: str, name: str) -> None:
    """Screenshots of the LMS page at laptop and phone width, the tool's frame scrolled to `selector`."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        frame.locator(selector).scroll_into_view_if_needed()
        page.wait_for_timeout(150)
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_professional_goes_from_a_passed_post_test_to_the_certificate_inside_the_iframe(app, courses, lms,
                                                                                        blocking_browser):
    with app.app_context():
        activity = Activity(title={"nl": "Leiderschap", "en": "Leadership"}, module_ids=[MODULE], register="gaia",
                            accreditation_id="GAIA-424242", points=1.5, points_kind="accreditation hours",
                            study_load_minutes=90, valid_from=date.today() - timedelta(days=1),
                            valid_until=date.today() + timedelta(days=90), professions=["medical-specialist"],
                            rule={"post_test": True, "evaluation": True})
        db.session.add(activity)
        db.session.commit()
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="acc-1", custom={"module": MODULE},
                            user={"sub": "prof-1", "name": "Pim Professional"}))
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}")
    frame.goto(re.sub(r"/modules/[^/?]+", f"/modules/{MODULE}/post-test", frame.url, count=1))
    frame.click("main button[type=submit]")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    _fill(frame, answers(latest_attempt(app)))
    frame.click("text=Check my answers")
    frame.wait_for_url(re.compile(r".*/review\?lt="))
    frame.click("text=Submit my answers")
    frame.wait_for_url(re.compile(r".*/result\?lt="))
    assert "100%" in frame.inner_text(".score")
    card = frame.inner_text(".points-card")                          # the result page leads straight on
    assert "Your accreditation points" in card and "1.5 accreditation hours" in card
    assert "fill in the course evaluation" in card and "give your details for the register" in card
    assert_accessible(frame, "result page with the points")
    result_url = frame.url
    _frame_shot(page, frame, ".points-card", "pro-result")

    frame.click(".points-card >> text=Claim your points")
    frame.wait_for_url(re.compile(r".*/accreditation/activities/\d+\?lt=.*#claim"))
    frame.fill("#registered_name", "P. Professional")
    frame.select_option("#profession", "medical-specialist")
    frame.fill("#id-big", "1901234")                                 # one digit group short
    frame.check("#consent")
    for key, value in (("relevance", 5), ("quality", 4), ("objectives", 4)):
        frame.check(f"#ev-{key}-{value}")
    frame.fill("#ev-comment", "Good cases from practice.")
    with frame.expect_navigation():
        frame.click("text=Claim my points")
    assert "A BIG number has 11 digits." in frame.inner_text("#claim-errors")
    assert "Answer every statement." in frame.inner_text("#claim-errors")
    assert frame.input_value("#registered_name") == "P. Professional" and frame.input_value("#id-big") == "1901234"
    assert frame.is_checked("#consent") and frame.is_checked("#ev-relevance-5") and frame.is_checked("#ev-quality-4")
    assert frame.input_value("#ev-comment") == "Good cases from practice."
    assert_accessible(frame, "claim step with errors")
    _frame_shot(page, frame, "#claim-errors", "pro-claim-errors")

    frame.fill("#id-big", "19012345601")
    frame.check("#ev-independence-5")
    with frame.expect_navigation():
        frame.click("text=Claim my points")
    text = frame.inner_text("main")
    assert "Your points are recorded. Your certificate is ready." in text and "1.5 accreditation hours" in text
    code = frame.get_attribute("[data-code]", "data-code")
    assert re.fullmatch(r"[A-Z2-9]{12}", code)
    href = frame.get_attribute("#record a.btn", "href")
    assert f"/certificates/{code}.pdf" in href
    pdf = frame.evaluate("url => fetch(url).then(r => r.arrayBuffer()).then(b => new Uint8Array(b).slice(0, 5))"
                         ".then(a => String.fromCharCode.apply(null, a))", href)
    assert pdf == "%PDF-"                                            # the certificate, from inside the frame
    assert_accessible(frame, "claim page with record")
    _shoot(context, frame.url, "pro-claimed")
    _shoot(context, result_url, "pro-result-recorded")
    context.close()
