"""Headless Chromium: a learner writes a case answer, saves it and sees the model answer beside it
(phone and desktop); the lesson page beats while visible; the placement's instructor reads the answer."""
from pathlib import Path

import pytest

from activities_support import with_activities  # noqa: F401
from launch_support import browser, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, loaded  # noqa: F401

SHOTS = Path("/tmp/team/shots")
pytestmark = pytest.mark.browser
ANSWER = "Ik meet de sterfte na 30 dagen en of de patiënt weer thuis woont."


@pytest.mark.parametrize("width", [390, 1280])
def test_learner_answers_a_case_and_the_instructor_reads_it(with_activities, tool, platform, browser, chromium, width):
    link = f"rl-act-browser-{width}"
    landing = platform.launch(browser, role="learner", locale="nl", custom={"module": MODULE}, resource_link_id=link,
                              user={"sub": f"act-{width}", "name": "Fatima de Vries"})
    token = lt_of(landing.url)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    # The lesson page tells the server it is being read, from its static script.
    with page.expect_request(lambda r: r.url.endswith("/lessons/first-lesson/beat") and r.method == "POST") as beat:
        page.goto(f"{tool.url}/modules/{MODULE}/lessons/first-lesson?lt={token}")
    assert "start=1" in beat.value.post_data and f"lt={token}" in beat.value.post_data

    page.goto(f"{tool.url}/modules/{MODULE}?lt={token}#activities")
    case = page.locator("#activity-hip-fracture-cycle")
    assert "Heupfractuur: de hele cyclus" in case.inner_text()
    assert case.locator(".model-answer").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    case.locator("textarea").fill(ANSWER)
    case.locator("button[type=submit]").click()
    page.wait_for_url("**n=answer-saved**")
    case = page.locator("#activity-hip-fracture-cycle")
    assert "Mortaliteit na 30 dagen" in case.locator(".model-answer").inner_text()
    assert case.locator("textarea").input_value() == ANSWER
    assert "1 van 3 activiteiten afgerond" in page.inner_text(".module-progress")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"activities-learner-{width}.png"), full_page=True)

    teacher = make_browser()
    launched = platform.launch(teacher, role="instructor", locale="nl", custom={"module": MODULE}, resource_link_id=link,
                               user={"sub": f"act-teacher-{width}", "name": "Tess Teacher"})
    page.goto(f"{tool.url}/instructor/results?lt={lt_of(launched.url)}")
    page.click("a[href*='/instructor/learners/']")
    page.wait_for_url("**/activities**")
    assert ANSWER in page.inner_text("#activity-hip-fracture-cycle")
    assert "Fatima de Vries" in page.inner_text("h1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / f"activities-instructor-{width}.png"), full_page=True)
    context.close()
