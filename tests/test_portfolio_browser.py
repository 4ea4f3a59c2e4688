"""Headless Chromium: a resident completes a module (lessons and answers in the page, the post-test
through the app's own routes), sees the certificate of participation on the module page, opens the
portfolio and downloads its PDF, which names the module's CanMEDS roles (phone and desktop)."""
import io
from pathlib import Path

import pypdf
import pytest

from activities_support import ACTIVITY_IDS, with_activities  # noqa: F401
from launch_support import browser, lt_of, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, loaded, take  # noqa: F401

SHOTS = Path("/tmp/team/shots")
pytestmark = pytest.mark.browser
REFLECTION = "Op onze afdeling stopt de cyclus bij ontslag; niemand volgt de patiënt naar huis."


@pytest.mark.parametrize("width, lang", [(390, "nl"), (1280, "en")])
def test_resident_completes_a_module_and_downloads_the_portfolio(with_activities, tool, platform, browser, chromium,
                                                                 width, lang):
    landing = platform.launch(browser, role="learner", locale=lang, custom={"module": MODULE},
                              resource_link_id=f"rl-portfolio-{width}",
                              user={"sub": f"resident-{width}", "name": "Noor Bakker"})
    token = lt_of(landing.url)
    context = chromium.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()

    page.goto(f"{tool.url}/modules/{MODULE}/lessons/first-lesson?lt={token}")
    page.click("form.done-form button")                  # to the second lesson
    page.wait_for_url("**/lessons/second-lesson**")
    page.click("form.done-form button")                  # to the post-test section
    page.wait_for_url(f"**/modules/{MODULE}**")
    for activity_id in ACTIVITY_IDS:
        item = page.locator(f"#activity-{activity_id}")
        item.locator("textarea").fill(REFLECTION if activity_id == "own-department" else f"Antwoord: {activity_id}")
        item.locator("button[type=submit]").click()
        page.wait_for_url("**n=answer-saved**")
    assert page.locator("#participation .badge.ok").count() == 0   # the post-test is still to pass
    take(browser, tool, token)                                       # the post-test, through its own routes

    page.goto(f"{tool.url}/modules/{MODULE}?lt={token}#participation")
    card = page.locator("#participation")
    assert card.locator(".badge.ok").count() == 1
    assert ("Medisch deskundige" if lang == "nl" else "Medical expert") in page.inner_text("#canmeds-roles")
    card.locator("a[href*='/accreditation/portfolio']").click()
    page.wait_for_url("**/accreditation/portfolio**")
    roles = page.inner_text(".portfolio-item .roles")
    expected = (["Medisch deskundige", "Communicator", "Academicus"] if lang == "nl"
                else ["Medical expert", "Communicator", "Scholar"])
    assert all(role in roles for role in expected)
    assert REFLECTION in page.inner_text(".portfolio-item .reflection")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"portfolio-{lang}-{width}.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#portfolio-pdf")
    body = Path(download.value.path()).read_bytes()
    words = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).split())
    label = "CanMEDS-rollen" if lang == "nl" else "CanMEDS roles"
    assert f"{label}: {', '.join(expected)}" in words
    assert "Noor Bakker" in words and REFLECTION in words
    if SHOTS.is_dir():
        (SHOTS / f"portfolio-{lang}.pdf").write_bytes(body)
    context.close()
