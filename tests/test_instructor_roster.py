"""The course dashboard: the LMS roster (NRPS, paged, then differences only) joined with progress."""
import re
import time

import pytest
from sqlalchemy import select

from demolms.testing import PlatformServer
from elearn.extensions import db
from elearn.instructor.models import RosterMember, RosterSync
from launch_support import browser, connect, make_browser, tool  # noqa: F401 (fixtures)
from quiz_support import MODULE, launch_learner, loaded, take  # noqa: F401


@pytest.fixture()
def platform():
    """A platform whose roster comes in pages of two."""
    server = PlatformServer.start(nrps_page_size=2)
    yield server
    server.stop()


@pytest.fixture()
def course(loaded, tool, platform):
    """Five learners enrolled; one passed the post-test, one only read a lesson, three did nothing."""
    for n in range(3, 6):
        platform.add_member(f"learner-{n}", roles="learner", name=f"Learner {n}", family_name=f"L{n}")
    passed = make_browser()
    _, lt = launch_learner(platform, passed, user="learner-1", resource_link_id="rl-course")
    take(passed, tool, lt)
    reader = make_browser()
    _, lt = launch_learner(platform, reader, user="learner-2", resource_link_id="rl-course")
    reader.get(f"{tool.url}/modules/{MODULE}/lessons/first-lesson", params={"lt": lt})
    return platform


def _teacher(platform, context_id="course-1", link="rl-course"):
    teacher = make_browser()
    _, lt = launch_learner(platform, teacher, role="instructor", resource_link_id=link, context_id=context_id)
    return teacher, lt


def _cells(html: str) -> dict[str, str]:
    """Learner name → the text of their module cell."""
    rows = re.findall(r'<th scope="row">([^<]+)(?:<br>.*?)?</th>\s*<td class="stage-(\w+)"', html, re.S)
    return {name.strip(): stage for name, stage in rows}


def test_roster_of_several_pages_joined_with_progress(course, tool, loaded):
    teacher, lt = _teacher(course)
    page = teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    assert page.status_code == 200
    cells = _cells(page.text)
    assert cells == {"Sanne de Vries": "passed", "Daan Bakker": "in_progress", "Learner 3": "not_started",
                     "Learner 4": "not_started", "Learner 5": "not_started"}     # the instructor is not a row
    assert "100%" in page.text and "has not opened the tool yet" in page.text
    nrps = [r for r in course.requests if r["path"].startswith("/nrps/") or "memberships" in r["path"]]
    assert len(nrps) >= 3                                                       # 6 members, pages of 2
    csv = teacher.get(f"{tool.url}/instructor/course.csv", params={"lt": lt})
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("user_id,name,email,module,stage") and len(lines) == 6
    assert any(line.startswith("learner-1,Sanne de Vries,") and ",passed,100.0,1," in line for line in lines)


def test_later_reads_ask_only_for_differences(course, tool, loaded):
    teacher, lt = _teacher(course)
    teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    with loaded.app_context():
        assert db.session.scalar(select(RosterSync.differences_url)) is not None
    time.sleep(0.01)
    course.add_member("learner-6", roles="learner", name="Learner 6", family_name="L6")
    course.add_member("learner-5", roles="learner", status="Deleted")
    before = len(course.requests)
    page = teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    assert "Learner 6" in page.text and "Learner 5" not in page.text
    asked = [r for r in course.requests[before:] if "memberships" in r["path"]]
    assert asked and all("since=" in r["query"] for r in asked)                 # only the differences
    with loaded.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(RosterMember)) == 6


def test_roster_service_down_shows_the_last_known_roster(course, tool):
    teacher, lt = _teacher(course)
    teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    course.fail("/nrps/", 503, times=5)                     # the LMS's roster service is down
    page = teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    assert page.status_code == 200 and "could not be read from the LMS" in page.text and "Learner 3" in page.text


def test_learners_and_other_courses_never_see_this_roster(course, tool, app):
    learner = make_browser()
    _, lt = launch_learner(course, learner, user="learner-3", resource_link_id="rl-course")
    assert learner.get(f"{tool.url}/instructor/course", params={"lt": lt}).status_code == 403
    assert learner.get(f"{tool.url}/instructor/course.csv", params={"lt": lt}).status_code == 403
    other, olt = _teacher(course, context_id="course-2", link="rl-elsewhere")
    page = other.get(f"{tool.url}/instructor/course", params={"lt": olt})
    assert "Sanne de Vries" not in page.text and "Learner 3" not in page.text
    # Another LMS whose course happens to have the same id sees none of it either.
    stranger = PlatformServer.start()
    try:
        connect(app, tool.url, stranger)
        s_browser = make_browser()
        _, slt = launch_learner(stranger, s_browser, role="instructor", resource_link_id="rl-course")
        page = s_browser.get(f"{tool.url}/instructor/course", params={"lt": slt})
        assert page.status_code == 200 and "Sanne de Vries" not in page.text and "Learner 3" not in page.text
        csv = s_browser.get(f"{tool.url}/instructor/course.csv", params={"lt": slt})
        assert "learner-1" not in csv.text
    finally:
        stranger.stop()


def test_dashboard_shows_recorded_accreditation(course, tool, loaded):
    from datetime import date, timedelta

    from elearn.accreditation import ledger
    from elearn.accreditation.models import Activity
    from elearn.launch.models import User

    with loaded.app_context():
        activity = Activity(title={"nl": "W", "en": "V"}, module_ids=[MODULE], register="gaia", accreditation_id="G-1",
                            points=1.0, points_kind="uur", study_load_minutes=60,
                            valid_from=date.today() - timedelta(days=1), valid_until=date.today() + timedelta(days=9),
                            rule={"post_test": True})
        db.session.add(activity)
        db.session.commit()
        user = db.session.scalar(select(User).where(User.sub == "learner-1"))
        ledger.record_once(activity.id, user.id, {"name": "S", "profession": "doctor", "identifiers": {}},
                           {"points": 1.0, "completed_on": date.today().isoformat()})
    teacher, lt = _teacher(course)
    page = teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    assert page.text.count("points recorded") == 1
    csv = teacher.get(f"{tool.url}/instructor/course.csv", params={"lt": lt}).text
    assert any(line.startswith("learner-1,") and line.endswith(",yes") for line in csv.splitlines())


def test_course_csv_neutralises_spreadsheet_formulas_in_roster_names(course, tool, loaded):
    """A learner whose LMS name is a formula lands in the instructor's spreadsheet as text, not as a live link."""
    import csv
    import io

    course.add_member("learner-f", roles="learner", name='=HYPERLINK("http://x","y")', family_name="F",
                      email="@evil.example")
    teacher, lt = _teacher(course)
    teacher.get(f"{tool.url}/instructor/course", params={"lt": lt})
    body = teacher.get(f"{tool.url}/instructor/course.csv", params={"lt": lt}).text
    rows = list(csv.reader(io.StringIO(body)))
    formula = next(row for row in rows if row[0] == "learner-f")
    assert formula[1] == '\'=HYPERLINK("http://x","y")' and formula[2] == "'@evil.example"
    assert not [c for row in rows for c in row if c.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))]
    passed = next(row for row in rows if row[0] == "learner-1")
    assert passed[5] == "100.0" and passed[6] == "1"                   # numbers stay numbers
