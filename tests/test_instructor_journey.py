"""The instructor's journey over real HTTP against the test platform: a launch lands on the
instructor's view of the placement with a preview as learner; item statistics wait for a stated
minimum of attempts; extra time can go to staff from the roster; the gradebook speaks the course's
language whoever placed the module or took the test."""
import re
from datetime import timedelta

from sqlalchemy import select

from elearn.extensions import db
from elearn.grades.worker import deliver_due
from elearn.launch.models import Context
from elearn.quizzes.models import Attempt
from launch_support import browser, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, begin, launch_learner, loaded, take  # noqa: F401
from test_deep_linking import choose, open_picker, response_form


def _href(page, anchor_id: str) -> str:
    """The href of the element with this id, unescaped."""
    found = re.search(rf'id="{anchor_id}" href="([^"]+)"', page.text) or \
        re.search(rf'href="([^"]+)"[^>]*id="{anchor_id}"', page.text)
    assert found, page.text[:2000]
    return found.group(1).replace("&amp;", "&")


def test_an_instructor_launch_lands_on_results_with_a_preview_as_learner(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-j-1")
    take(browser, tool, lt, right=8)
    other = make_browser()
    launch_learner(platform, other, user="learner-2", resource_link_id="rl-j-1")   # opened, not tested
    teacher = make_browser()
    landed = platform.launch(teacher, role="instructor", locale="en", custom={"module": MODULE},
                             resource_link_id="rl-j-1")
    assert landed.status_code == 200 and landed.url.split("?")[0].endswith("/instructor/results"), landed.url
    assert "Sanne de Vries" in landed.text and "100%" in landed.text
    figures = dict(re.findall(r'<dd id="sum-(\w+)">([^<]+)</dd>', landed.text))
    assert figures == {"opened": "2", "tested": "1", "passed": "1", "mean": "100%"}
    assert "Post-test settings for this link" in landed.text and "Extra time" in landed.text
    preview = teacher.get(tool.url + _href(landed, "preview-as-learner"))
    assert preview.status_code == 200 and preview.url.split("?")[0].endswith(f"/modules/{MODULE}")
    assert "Preview as learner: this is the module as your learners see it." in preview.text
    assert "Go to the post-test" in preview.text
    back = re.search(r'id="learner-preview".*?href="([^"]+)"', preview.text, re.S).group(1).replace("&amp;", "&")
    assert teacher.get(tool.url + back).url.split("?")[0].endswith("/instructor/results")
    # A teaching assistant lands there too; a learner still lands on the module, without the notice.
    ta = platform.launch(make_browser(), role="ta", locale="en", custom={"module": MODULE}, resource_link_id="rl-j-1")
    assert ta.url.split("?")[0].endswith("/instructor/results")
    learner = platform.launch(make_browser(), role="learner", locale="en", custom={"module": MODULE},
                              resource_link_id="rl-j-1")
    assert learner.url.split("?")[0].endswith(f"/modules/{MODULE}") and "learner-preview" not in learner.text
    assert "Back to your results" not in learner.text


def test_an_instructor_launch_on_a_retired_or_unknown_module_lands_on_the_module_page(loaded, tool, platform):
    landed = platform.launch(make_browser(), role="instructor", locale="en", custom={"module": "no-such-module"},
                             resource_link_id="rl-j-2")
    assert landed.url.split("?")[0].endswith("/modules/no-such-module") and landed.status_code == 404


def test_item_statistics_wait_for_the_minimum_and_say_why(loaded, tool, platform):
    learner = make_browser()
    _, lt = launch_learner(platform, learner, resource_link_id="rl-j-3", user="learner-1")
    take(learner, tool, lt, right=0)                   # one wrong paper: every question at facility 0
    teacher = make_browser()
    _, tlt = launch_learner(platform, teacher, role="instructor", resource_link_id="rl-j-3")
    page = teacher.get(f"{tool.url}/instructor/items", params={"lt": tlt})
    assert "once it has 10 first attempts" in page.text and "a single wrong answer" in page.text
    assert "too hard" not in page.text.split("<tbody>")[1]      # only in the legend, never as a flag
    assert page.text.count("Not shown yet: 1 of the 10 first attempts needed.") == 8
    csv = teacher.get(f"{tool.url}/instructor/items.csv", params={"lt": tlt}).text.strip().splitlines()
    assert csv[0] == "item,attempts,facility_percent,sd_percent,discrimination_index,flags,note"
    assert all(line.endswith(",1,,,,,n/a: fewer than 10 first attempts") for line in csv[1:]) and len(csv) == 9
    for n in range(2, 11):                              # nine more, the weakest still scoring nothing
        other = make_browser()
        _, olt = launch_learner(platform, other, resource_link_id="rl-j-3", user=f"learner-j{n}")
        take(other, tool, olt, right=n % 9)
    page = teacher.get(f"{tool.url}/instructor/items", params={"lt": tlt})
    assert "Computed over 10 first attempts" in page.text and "Internal consistency" in page.text
    csv = teacher.get(f"{tool.url}/instructor/items.csv", params={"lt": tlt}).text.strip().splitlines()
    rows = [line.split(",") for line in csv[1:]]
    # Each attempt draws 8 of the pool's 12: a question shows its figures once it was drawn 10 times.
    for cells in rows:
        if int(cells[1]) >= 10:
            assert cells[2] and cells[-1] == "", cells
        else:
            assert not cells[2] and cells[-1] == "n/a: fewer than 10 first attempts", cells
    assert page.text.count("Not shown yet") == sum(int(cells[1]) < 10 for cells in rows)


def test_extra_time_goes_to_staff_from_the_roster_too(loaded, tool, platform, browser):
    platform.add_member("instructor-2", roles="ta")              # on the roster, never opened the tool
    platform.add_member("learner-3", roles="learner")
    teacher = make_browser()
    _, tlt = launch_learner(platform, teacher, role="instructor", resource_link_id="rl-j-4")
    teacher.post(f"{tool.url}/instructor/settings", data={"lt": tlt, "time_limit_minutes": "20"})
    page = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    staff = re.search(r'<optgroup label="Staff">(.*?)</optgroup>', page.text, re.S)
    learners = re.search(r'<optgroup label="Learners">(.*?)</optgroup>', page.text, re.S)
    assert staff and "Joost Smit (not opened yet)" in staff.group(1) and "Dr. Marieke Visser" in staff.group(1)
    assert learners and "Fatima El Amrani (not opened yet)" in learners.group(1)
    saved = teacher.post(f"{tool.url}/instructor/extra-time", data={"lt": tlt, "person": "instructor-2",
                                                                   "multiplier": "2"})
    assert "Extra time saved" in saved.text and "Extra time given" in saved.text, re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", saved.text))[:1500]
    # Someone of another course, or no one at all, is refused and nothing is stored.
    platform.add_member("stranger-9", roles="learner", context_id="course-2")
    refused = teacher.post(f"{tool.url}/instructor/extra-time", data={"lt": tlt, "person": "stranger-9",
                                                                     "multiplier": "2"})
    assert "for a learner or staff member of this course" in refused.text
    # The teaching assistant opens the link to try the post-test: twice the 20 minutes.
    ta = make_browser()
    _, ta_lt = launch_learner(platform, ta, role="ta", resource_link_id="rl-j-4")
    begin(ta, tool, ta_lt)
    with loaded.app_context():
        attempt = db.session.scalar(select(Attempt).order_by(Attempt.id.desc()))
        assert attempt.user.sub == "instructor-2"
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=40)


def test_a_dutch_course_gets_dutch_columns_and_comments_from_an_english_instructor(loaded, tool, platform):
    dutch = make_browser()
    platform.launch(dutch, role="learner", user="learner-2", locale="nl", context_id="course-nl",
                    custom={"module": MODULE}, resource_link_id="rl-nl-first")      # the course's first launch
    teacher = make_browser()
    picker, lt = open_picker(platform, teacher, locale="en", context_id="course-nl")
    assert 'value="nl" lang="nl" selected' in picker.text                              # the course's language
    action, token = response_form(choose(teacher, tool, lt, ["alpha-value"], course_lang="nl"))  # as selected
    placed = teacher.post(action, data={"JWT": token})
    assert placed.status_code == 200
    (column,) = [i for i in platform.lineitems if i.get("resourceId") == "alpha-value"]
    assert column["label"] == "Eindtoets: Waarde en uitkomsten"
    link_id = platform.deep_link_responses[-1]["links"][0]
    english = make_browser()
    landed = platform.launch(english, role="learner", user="learner-1", locale="en", context_id="course-nl",
                             resource_link_id=link_id)
    take(english, tool, lt_of(landed.url), right=8)
    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}
    (score,) = platform.scores
    assert score["comment"] == "Waarde en uitkomsten: eindtoets, poging 1 telt, 100% (gehaald)."


def test_the_course_language_setting_names_new_columns_and_comments(loaded, tool, platform):
    teacher = make_browser()
    _, tlt = launch_learner(platform, teacher, role="instructor", locale="nl", resource_link_id="rl-j-6")
    page = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    assert 'value="nl" lang="nl" selected' in page.text
    bad = teacher.post(f"{tool.url}/instructor/course-language", data={"lt": tlt, "language": "fr"})
    assert "Kies Nederlands of Engels" in bad.text
    with loaded.app_context():
        assert db.session.scalar(select(Context.language)) == "nl"
    saved = teacher.post(f"{tool.url}/instructor/course-language", data={"lt": tlt, "language": "en"})
    assert 'value="en" lang="en" selected' in saved.text
    learner = make_browser()
    _, lt = launch_learner(platform, learner, locale="nl", resource_link_id="rl-j-6")   # a Dutch learner
    take(learner, tool, lt, right=2)
    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}
    (column,) = [i for i in platform.lineitems if i.get("resourceLinkId") == "rl-j-6"]
    assert column["label"] == "Post-test: Value and outcomes"
    assert platform.scores[-1]["comment"] == "Value and outcomes: post-test attempt 1 counts, 25% (not passed)."
