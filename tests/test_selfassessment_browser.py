"""Headless Chromium, third-party cookies blocked: an instructor inside the LMS iframe opens and closes two
rounds of the team self-assessment that three learners answer; the radar draws both rounds over each
other, the page names the improved and declined domains, and axe-core finds no WCAG 2.2 A/AA violation,
on a laptop and on a phone, in both languages."""
from __future__ import annotations

import re

import pytest

from launch_support import lt_of, make_browser
from test_launch_browser import SHOTS, _wait_for_tool_page, blocking_browser, courses, lms  # noqa: F401
from test_quiz_browser import assert_accessible

pytestmark = pytest.mark.browser


def spring(domain: str, index: int) -> int:
    """Round 1: IT and data low, costs and funding high, care pathways and outcomes nothing, the rest partly."""
    return {"it-data": 0, "costs-funding": 2, "care-pathways-outcomes": 0}.get(domain, 1)


def autumn(domain: str, index: int) -> int:
    """Round 2: IT and data up to the top, costs and funding down to nothing, care pathways still nothing
    (weak, unchanged: its modules care-cycle and shared-decision-making have sample events)."""
    return {"it-data": 2, "costs-funding": 0, "care-pathways-outcomes": 0}.get(domain, 1)


def _answer_as_learners(app, lms, live_server, value_for, subs) -> None:
    """Each learner launches from the LMS in their own browser and answers the open round."""
    from elearn.catalog.models import get_document

    with app.app_context():
        definition = get_document("self-assessment")
    for sub in subs:
        browser = make_browser()
        landing = lms.launch(browser, role="learner", locale="en", resource_link_id="sa-1",
                             custom={"module": "care-cycle"}, user={"sub": sub, "name": sub.title()})
        token = lt_of(landing.url)
        page = browser.get(f"{live_server.url}/self-assessment/team", params={"lt": token})
        action = re.search(r'action="(/self-assessment/team/rounds/\d+/answers)[^"]*"', page.text).group(1)
        form = {f"q-{q['id']}": str(value_for(d["id"], i))
                for d in definition["domains"] for i, q in enumerate(d["questions"])}
        saved = browser.post(live_server.url + action, data=dict(form, lt=token))
        assert saved.status_code == 200 and "saved" in saved.text
        browser.close()


def _shot(context, frame, name: str) -> None:
    """The tool page as it stands, whole, at the frame's width (the LMS frame alone clips it)."""
    page = context.new_page()
    page.goto(frame.url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    page.close()


def _run_round(frame, title: str, held_on: str, answer) -> None:
    """Open a round from the page, let the learners answer, close it from the page."""
    frame.fill("#round-title", title)
    frame.fill("#round-date", held_on)
    frame.click("button:has-text('Open the round'), button:has-text('Open de ronde')")
    frame.wait_for_selector("form[action*='/close']")
    answer()
    frame.click("form[action*='/close'] button")
    frame.wait_for_selector("#round-title")


@pytest.mark.parametrize("width, locale", [(1280, "en"), (390, "nl")])
def test_instructor_sees_two_rounds_on_the_radar_and_what_changed(app, courses, lms, live_server, blocking_browser,
                                                                   width, locale):
    learners = [f"sa-learner-{n}" for n in range(1, 4)]
    context = blocking_browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(lms.frame_url(role="instructor", locale="en", resource_link_id="sa-1", custom={"module": "care-cycle"},
                            user={"sub": "sa-teacher", "name": "Tess Teacher"}))
    frame = _wait_for_tool_page(page, "/instructor/results")      # where an instructor launch lands
    frame.click("nav.site-nav a[href*='/self-assessment']")
    frame = _wait_for_tool_page(page, "/self-assessment")
    frame.click("a[href*='/self-assessment/team']")
    frame = _wait_for_tool_page(page, "/self-assessment/team")
    assert_accessible(frame, f"team page, no rounds, {width}px")

    _run_round(frame, "Spring 2027", "2027-03-15", lambda: _answer_as_learners(app, lms, live_server, spring, learners))
    _run_round(frame, "Autumn 2027", "2027-09-15", lambda: _answer_as_learners(app, lms, live_server, autumn, learners))

    frame.wait_for_function("() => window.Chart && Chart.getChart('radar') !== undefined", timeout=10000)
    drawn = frame.evaluate("""() => { const c = Chart.getChart('radar');
        return c.data.datasets.map(d => ({label: d.label, dash: d.borderDash, point: d.pointStyle, n: d.data.length})); }""")
    assert [d["label"] for d in drawn] == ["Spring 2027 (2027-03-15)", "Autumn 2027 (2027-09-15)"]
    assert all(d["n"] == 7 for d in drawn)
    assert drawn[0]["dash"] != drawn[1]["dash"] and drawn[0]["point"] != drawn[1]["point"]   # not colour alone
    assert frame.evaluate("() => Chart.getChart('radar').options.plugins.legend.display") is True
    improved = frame.inner_text(".change.improved")
    declined = frame.inner_text(".change.declined")
    assert "IT and data: 0% → 100% (+100 points)" in improved
    assert "Costs and funding: 100% → 0% (-100 points)" in declined
    assert "Multidisciplinary team" not in improved + declined
    weak = frame.locator(".recommend").filter(has_text="Costs and funding")
    assert weak.get_by_role("link").count() >= 1                      # its modules, linked
    assert "Care pathways and outcomes" not in improved + declined     # 0% → 0%: weak, not changed
    pathways = frame.locator(".recommend").filter(has_text="Care pathways and outcomes")
    workshop = pathways.locator("ul.weak-events a", has_text="Care pathway workshop (sample)")
    assert workshop.count() == 1 and "Thursday 11 March 2027, 13:30–17:00" in pathways.inner_text()
    assert frame.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(frame, f"team page with two rounds {width}px en")
    _shot(context, frame, f"selfassessment-team-{width}-en")

    frame.click(".lang-switch a[hreflang='nl']")
    frame = _wait_for_tool_page(page, "/self-assessment/team")
    frame.wait_for_function("() => window.Chart && Chart.getChart('radar') !== undefined", timeout=10000)
    assert "Vooruitgegaan" in frame.inner_text(".change.improved")
    assert "IT en data: 0% → 100% (+100 punten)" in frame.inner_text(".change.improved")
    assert frame.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(frame, f"team page with two rounds {width}px nl")
    _shot(context, frame, f"selfassessment-team-{width}-nl")

    frame.click("table.rounds a:has-text('Autumn 2027')")
    frame.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/self-assessment/team/rounds/\d+\?.*"), timeout=15000)
    frame.wait_for_load_state()
    assert "Jouw antwoorden" not in frame.inner_text("main")          # the instructor sees no one's answers
    assert frame.locator("table.question-counts tbody tr").count() == 25 + 7
    assert_accessible(frame, f"round page {width}px nl")
    _shot(context, frame, f"selfassessment-round-{width}-nl")

    # From the weak domain to the event's page, inside the LMS frame.
    with app.app_context():
        from sqlalchemy import select

        from elearn.events.models import Event
        from elearn.extensions import db

        event = db.session.scalar(select(Event.id).filter_by(source_key="care-cycle/werkatelier-zorgpaden-2027-03"))
    frame.click("nav.site-nav a[href*='/self-assessment']")
    frame = _wait_for_tool_page(page, "/self-assessment")
    frame.click("a[href*='/self-assessment/team']")
    frame = _wait_for_tool_page(page, "/self-assessment/team")
    frame.click(".recommend ul.weak-events a:has-text('Werkatelier zorgpaden (voorbeeld)')")
    frame = _wait_for_tool_page(page, f"/events/{event}")
    assert "Werkatelier zorgpaden (voorbeeld)" in frame.inner_text("main")
    assert_accessible(frame, f"event page from the team page {width}px nl")
    context.close()
