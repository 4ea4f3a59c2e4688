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


def test_professional_claims_points_inside_the_iframe(app, courses, lms, blocking_browser):
    with app.app_context():
        activity = Activity(title={"nl": "Leiderschap", "en": "Leadership"}, module_ids=[MODULE], register="gaia",
                            accreditation_id="GAIA-424242", points=1.5, points_kind="accreditation hours",
                            study_load_minutes=90, valid_from=date.today() - timedelta(days=1),
                            valid_until=date.today() + timedelta(days=90), professions=["medical-specialist"],
                            rule={"post_test": True})
        db.session.add(activity)
        db.session.commit()
        activity_id = activity.id
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="learner", locale="en", resource_link_id="acc-1", custom={"module": MODULE},
                            user={"sub": "prof-1", "name": "Pim Professional"}))
    frame = _wait_for_tool_page(page, f"/modules/{MODULE}")
    frame.click("text=Claim your points")
    frame.wait_for_url(re.compile(r".*/accreditation/activities/\d+\?lt="))
    frame.wait_for_load_state()
    assert_accessible(frame, "claim page")
    frame.fill("#registered_name", "P. Professional")
    frame.select_option("#profession", "medical-specialist")
    frame.fill("#id-big", "19012345601")
    frame.check("#consent")
    with frame.expect_navigation():
        frame.click("text=Save my details")
    assert "Your details are saved" in frame.inner_text("main")        # no session cookie needed for this

    frame.goto(frame.url.replace(re.search(r"/accreditation/activities/\d+", frame.url).group(0),
                                 f"/modules/{MODULE}/post-test"))
    frame.click("main button[type=submit]")
    frame.wait_for_url(re.compile(r".*/post-test/\d+\?lt="))
    _fill(frame, answers(latest_attempt(app)))
    frame.click("text=Check my answers")
    frame.wait_for_url(re.compile(r".*/review\?lt="))
    frame.click("text=Submit my answers")
    frame.wait_for_url(re.compile(r".*/result\?lt="))
    assert "100%" in frame.inner_text(".score")

    frame.goto(frame.url.split("/post-test/")[0] + f"/accreditation/activities/{activity_id}?"
               + frame.url.split("?", 1)[1])
    frame.wait_for_load_state()
    text = frame.inner_text("main")
    assert "Your points are recorded" in text and "1.5 accreditation hours" in text
    code = frame.get_attribute("[data-code]", "data-code")
    assert re.fullmatch(r"[A-Z2-9]{12}", code)
    assert_accessible(frame, "claim page with record")
    page.screenshot(path=f"{SHOTS}/accreditation-claimed.png", full_page=True)
    context.close()
