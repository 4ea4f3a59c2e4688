"""Headless Chromium, third-party cookies blocked: an instructor adds modules from inside the LMS
iframe by keyboard alone (search, clear, the matrix, the course language, the choice), the LMS
receives the items, and axe-core finds no WCAG 2.2 A/AA violations on the picker."""
from __future__ import annotations

import re

import pytest

from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import assert_accessible, tab_to

pytestmark = pytest.mark.browser
DEEP_LINKING = {"message_type": "LtiDeepLinkingRequest", "resource_link_id": None}


def _from_the_top(frame) -> None:
    """Start keyboard navigation at the skip link, as after loading a page."""
    frame.locator("a.skip-link").focus()


def _after_get(page, frame, pattern: str):
    """Wait for the picker to reload with `pattern` in its query string."""
    frame.wait_for_url(re.compile(r".*/picker/\?.*" + pattern), timeout=15000)
    frame.wait_for_load_state()
    _from_the_top(frame)
    return frame


def test_instructor_picks_modules_by_keyboard_inside_the_iframe(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(lms.frame_url(role="instructor", locale="en", user={"sub": "ines", "name": "Ines Instructor"},
                            **DEEP_LINKING))
    frame = _wait_for_tool_page(page, "/picker/")
    assert frame.inner_text(".who") == "Ines Instructor"
    assert_accessible(frame, "picker in the LMS frame")
    page.screenshot(path=f"{SHOTS}/picker-in-frame-1280.png", full_page=True)
    _from_the_top(frame)

    # Search: type, Enter submits the filters (the first button of the form is "Show").
    tab_to(page, frame, lambda el: el["name"] == "q")
    page.keyboard.type("leadership")
    page.keyboard.press("Enter")
    frame = _after_get(page, frame, "q=leadership")
    assert frame.locator("li.pick-item").count() == 1
    tab_to(page, frame, lambda el: el["type"] == "checkbox" and el["value"] == "leadership")
    page.keyboard.press("Space")
    assert frame.inner_text("#chosen-count") == "1 module chosen."

    # Clear the filters: the ticked module stays ticked.
    tab_to(page, frame, lambda el: el["tag"] == "button" and el["name"] == "clear")
    page.keyboard.press("Enter")
    frame = _after_get(page, frame, "module=leadership")
    assert frame.locator("input[value=leadership]").is_checked()

    # The matrix: principles × phase A; leadership (preconditions) is kept under "Also chosen".
    tab_to(page, frame, lambda el: el["name"] == "cell" and el["value"] == "principles:A")
    page.keyboard.press("Enter")
    frame = _after_get(page, frame, "cell=principles")
    assert frame.locator(".also-chosen input[value=leadership]").is_checked()
    assert frame.locator(".pick-matrix button[aria-current=true]").get_attribute("value") == "principles:A"
    assert_accessible(frame, "picker filtered by the matrix")
    tab_to(page, frame, lambda el: el["type"] == "checkbox" and el["value"] == "care-cycle")
    page.keyboard.press("Space")
    assert frame.inner_text("#chosen-count") == "2 modules chosen."

    # The details of a module open from the keyboard too.
    tab_to(page, frame, lambda el: el["tag"] == "summary" and "care cycle" in el["text"].lower())
    page.keyboard.press("Enter")
    assert frame.locator("li.pick-item:has(#pick-care-cycle) details").get_attribute("open") is not None
    assert_accessible(frame, "picker with details open")
    frame.locator("li.pick-item:has(#pick-care-cycle)").screenshot(path=f"{SHOTS}/picker-details-open.png")

    # The items are to be written in Dutch: the course language, chosen with the arrow keys.
    tab_to(page, frame, lambda el: el["name"] == "course_lang")
    page.keyboard.press("ArrowUp")
    assert frame.locator("#p-lang").input_value() == "nl"
    tab_to(page, frame, lambda el: el["tag"] == "button" and "Add the chosen modules" in el["text"])
    page.keyboard.press("Enter")

    frame.wait_for_url(re.compile(re.escape(lms.deep_link_return_url) + "$"), timeout=15000)
    frame.wait_for_selector("#deep-link-items")
    (record,) = lms.deep_link_responses
    assert [i["custom"]["module"] for i in record["content_items"]] == ["care-cycle", "leadership"]
    assert [i["title"] for i in record["content_items"]] == ["De zorgcyclus: waardeketen en teams",
                                                              "Medisch en verpleegkundig leiderschap"]
    assert len(record["links"]) == 2 and all(i["lineItem"]["tag"] == "vbhc-post-test" for i in record["content_items"])
    assert "De zorgcyclus" in frame.inner_text("#deep-link-items")
    context.close()


def test_picker_on_a_phone_in_dutch_with_one_module_allowed(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(lms.frame_url(role="instructor", locale="nl", user={"sub": "noa", "name": "Noa Telefoon"},
                            deep_linking={"accept_multiple": False}, **DEEP_LINKING))
    frame = _wait_for_tool_page(page, "/picker/")
    assert frame.locator("input[type=radio][name=module]").count() > 1
    assert frame.locator("input[type=checkbox][name=module]").count() == 0
    assert_accessible(frame, "picker (nl, phone, one module)")
    width = frame.evaluate("() => document.documentElement.scrollWidth")
    viewport = frame.evaluate("() => document.documentElement.clientWidth")
    assert width <= viewport, f"the picker scrolls sideways on a phone ({width}px in {viewport}px)"
    page.screenshot(path=f"{SHOTS}/picker-in-frame-390-nl.png", full_page=True)
    frame.check("#pick-value-outcomes-costs")
    frame.click("button:has-text('Add the chosen module'), button:has-text('Voeg')")
    frame.wait_for_url(re.compile(re.escape(lms.deep_link_return_url) + "$"), timeout=15000)
    (record,) = lms.deep_link_responses
    assert [i["title"] for i in record["content_items"]] == ["Waarde: uitkomsten en kosten"]
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_picker_at_top_level(app, courses, lms, chromium, width):
    """The picker at full width (two columns) and on a phone, for the screenshots and axe."""
    page = chromium.new_page(viewport={"width": width, "height": 900}, locale="en-US")
    try:
        from demolms.browser import new_browser

        landed = lms.launch(new_browser(), role="instructor", locale="en", **DEEP_LINKING)
        page.goto(landed.url)
        page.wait_for_selector("form.picker")
        assert_accessible(page.main_frame, f"picker at {width}px")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.screenshot(path=f"{SHOTS}/picker-{width}.png", full_page=True)
    finally:
        page.close()


def test_demo_lms_instructor_adds_modules_through_the_picker(app, courses, live_server, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(live_server.url + "/demo/course?role=instructor&person=instructor-1&lang=en")
        page.click("text=Add modules from VBHC Academy")
        page.wait_for_function(
            "() => { const f = document.getElementById('tool-frame');"
            " try { return f && f.contentWindow.location.pathname === '/picker/'; } catch (e) { return false; } }",
            timeout=15000)
        frame = page.frame(name="tool-frame")
        frame.wait_for_selector("form.picker")
        frame.check("#pick-care-cycle")
        frame.check("#pick-shared-decision-making")
        frame.click("button:has-text('Add the chosen modules')")
        page.wait_for_url(re.compile(r".*/demo/course\?.*added=2"), timeout=15000)
        outline = page.inner_text("nav.lms-outline")
        assert "The care cycle: value chain and teams" in outline and "shared decision making" in outline
        page.screenshot(path=f"{SHOTS}/demo-course-after-picker.png", full_page=True)
        page.click("nav.lms-outline a:has-text('The care cycle')")
        page.wait_for_function(
            "() => { const f = document.getElementById('tool-frame');"
            " try { return f && f.contentWindow.location.pathname === '/instructor/results'; } catch (e) { return false; } }",
            timeout=15000)                                   # the instructor lands on the placement's results
    finally:
        page.close()


def test_no_link_type_page_inside_the_iframe_is_accessible(app, courses, lms, blocking_browser):
    context = blocking_browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="instructor", locale="en", deep_linking={"accept_types": ["link", "html"]},
                            **DEEP_LINKING))
    frame = _wait_for_tool_page(page, "/picker/")
    frame.wait_for_selector("[data-refusal=no_link_type]")
    assert "HTML fragment" in frame.inner_text(".accepted-types")
    assert_accessible(frame, "no link type page")
    page.screenshot(path=f"{SHOTS}/picker-no-link-type.png", full_page=True)
    assert lms.deep_link_responses == []
    context.close()
