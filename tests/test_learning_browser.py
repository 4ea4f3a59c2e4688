"""A launched learner on a phone: reads a lesson in Chromium, marks it done, sees progress."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from elearn.catalog.loader import load_directory
from launch_support import browser, lt_of, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)

VALID = Path(__file__).parent / "fixtures" / "courses_valid"
SHOTS = Path("/tmp/team/shots")
pytestmark = pytest.mark.browser


def test_launched_learner_marks_a_lesson_done_on_a_phone(app, tool, platform, browser, chromium):
    with app.app_context():
        load_directory(VALID)
    landing = platform.launch(browser, role="learner", locale="nl", custom={"module": "alpha-value"},
                              user={"sub": "phone-1", "name": "Fatima de Vries"})
    token = lt_of(landing.url)
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{tool.url}/modules/alpha-value/lessons/first-lesson?lt={token}")
    assert "Fatima de Vries" in page.inner_text("header")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / "test_lesson_launched_390.png"), full_page=True)
    page.click("form.done-form button")
    page.wait_for_url("**/lessons/second-lesson*")
    assert lt_of(page.url) == token
    # 1 of 5 steps: the fixture module has 2 lessons, 2 case assignments and a reflection.
    assert page.get_attribute(".module-progress .progress", "aria-valuenow") == "20"
    page.goto(f"{tool.url}/modules/alpha-value?lt={token}")
    assert "1 van 2 lessen afgerond" in page.inner_text(".module-progress")   # a Dutch launch speaks Dutch
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / "test_module_launched_390.png"), full_page=True)
    assert urlsplit(page.url).path == "/modules/alpha-value"
    context.close()
