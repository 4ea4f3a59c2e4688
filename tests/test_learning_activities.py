"""Learning activities on the module page: a launched learner answers cases and the reflection
(the model answer only after their own), revises, is refused bad or tampered posts; progress
counts them; instructors of the placement, and only they, read the answers."""
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from activities_support import ACTIVITY_IDS, give_activities, with_activities  # noqa: F401
from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.learning.activities import MAX_ANSWER_CHARS, activities_complete
from elearn.learning.models import ActivityResponse
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, launch_learner, loaded  # noqa: F401

CASE = "hip-fracture-cycle"
MODEL = "Thirty-day mortality, return to one"


def _save(browser, tool, lt, activity_id=CASE, text="Mortality and mobility after a year.", module=MODULE, **extra):
    """POST an answer as the page's form does."""
    return browser.post(f"{tool.url}/modules/{module}/activities/{activity_id}", data=dict(lt=lt, answer=text, **extra))


def _stored(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(r.activity_id, r.text) for r in db.session.scalars(select(ActivityResponse).order_by(ActivityResponse.id))]


def test_learner_sees_the_model_answer_only_after_saving_and_can_revise(with_activities, tool, platform, browser):
    page, lt = launch_learner(platform, browser, resource_link_id="rl-act-1")
    assert "Learning activities" in page.text and "Hip fracture: the whole cycle" in page.text
    assert "400 patients with a hip fracture" in page.text and "Which outcomes do you measure?" in page.text
    assert MODEL not in page.text                                         # not before the learner's own answer
    assert "0 of 3 activities done" in page.text
    assert "The six parts of the value agenda." in page.text and "required, 30 min" in page.text
    assert 'href="https://hbr.org/2013/10/the-strategy-that-will-fix-health-care"' in page.text
    assert "optional" in page.text

    saved = _save(browser, tool, lt)
    assert saved.status_code == 200 and urlsplit(saved.url).path == f"/modules/{MODULE}"
    assert "Your answer is saved." in saved.text
    assert MODEL in saved.text and "Mortality and mobility after a year." in saved.text
    assert "Advice on education and training" in saved.text                # the case's source, by title
    assert "1 of 3 activities done" in saved.text and "Save again" in saved.text
    assert "Time-driven activity-based costing" not in saved.text          # the other case is still unanswered
    with with_activities.app_context():
        first = db.session.scalar(select(ActivityResponse))
        created, updated = first.created_at, first.updated_at

    again = _save(browser, tool, lt, text="Revised: PROMs on mobility.\r\nAnd mortality.")
    assert "Revised: PROMs on mobility.\nAnd mortality." in again.text
    assert _stored(with_activities) == [(CASE, "Revised: PROMs on mobility.\nAnd mortality.")]   # latest only
    with with_activities.app_context():
        row = db.session.scalar(select(ActivityResponse))
        assert row.created_at == created and row.updated_at > updated and row.kind == "case"


def test_dutch_launch_shows_the_activities_in_dutch(with_activities, tool, platform, browser):
    page, lt = launch_learner(platform, browser, resource_link_id="rl-act-nl", locale="nl")
    assert "Leeractiviteiten" in page.text and "Heupfractuur: de hele cyclus" in page.text
    saved = _save(browser, tool, lt)
    assert "Modelantwoord" in saved.text and "Mortaliteit na 30 dagen" in saved.text


def test_empty_and_too_long_answers_are_refused_with_what_was_typed_kept(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-act-2")
    empty = _save(browser, tool, lt, text="   \n ")
    assert empty.status_code == 422 and "Write your answer before saving." in empty.text
    long_text = "Outcome sets matter. " * (MAX_ANSWER_CHARS // 20)
    too_long = _save(browser, tool, lt, text=long_text)
    assert too_long.status_code == 422
    assert f"Your answer is {len(long_text)} characters long" in too_long.text
    textarea = re.search(rf'<textarea id="answer-{CASE}"[^>]*>([^<]*)</textarea>', too_long.text).group(1)
    assert textarea == long_text                                          # nothing the learner typed is lost
    assert MODEL not in too_long.text and _stored(with_activities) == []


def test_tampered_and_forged_posts_store_nothing(with_activities, tool, platform, browser):
    give_activities(with_activities, "beta-teams", {"cases": [{"id": "beta-only-case", "minutes": 10, "title": {"en": "B"},
                                                            "situation": {}, "task": {}, "model_answer": {}, "sources": []}],
                                                 "reflection": None, "further_reading": []})
    _, lt = launch_learner(platform, browser, resource_link_id="rl-act-3")
    assert _save(browser, tool, lt, activity_id="no-such-case").status_code == 404
    assert _save(browser, tool, lt, activity_id="beta-only-case").status_code == 404   # another module's case
    assert _save(browser, tool, lt, module="no-such-module").status_code == 404
    # A cross-site form carries the session cookie but neither the launch token nor a CSRF token.
    forged = browser.post(f"{tool.url}/modules/{MODULE}/activities/{CASE}", data={"answer": "forged"})
    assert forged.status_code in (400, 401)
    assert make_browser().post(f"{tool.url}/modules/{MODULE}/activities/{CASE}", data={"answer": "x"}).status_code == 401
    assert _stored(with_activities) == []


def test_module_is_complete_only_with_every_case_and_the_reflection(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-act-4")
    for lesson in ("first-lesson", "second-lesson"):
        browser.post(f"{tool.url}/modules/{MODULE}/lessons/{lesson}/done", data={"lt": lt})
    page = browser.get(f"{tool.url}/modules/{MODULE}", params={"lt": lt})
    assert "2 of 2 lessons done" in page.text and "All lessons and activities done" not in page.text
    with with_activities.app_context():
        user_id = db.session.scalar(select(ActivityResponse.user_id)) or _user_id(with_activities)
    for activity_id in ACTIVITY_IDS:
        with with_activities.app_context():
            assert not activities_complete(user_id, db.session.get(Module, MODULE))
        page = _save(browser, tool, lt, activity_id=activity_id, text=f"My answer to {activity_id}")
    assert "3 of 3 activities done" in page.text and "All lessons and activities done" in page.text
    assert 'aria-valuenow="100"' in page.text
    with with_activities.app_context():
        module = db.session.get(Module, MODULE)
        assert activities_complete(user_id, module)
        assert not activities_complete(user_id, module, resource_link_pk=-1)        # not in another placement
        assert not activities_complete(user_id, db.session.get(Module, "beta-teams"))  # its own cases are not done


def test_module_without_activities_is_unchanged(loaded, tool, platform, browser):
    give_activities(loaded, activities=None)     # a version from before activities.yaml
    page, lt = launch_learner(platform, browser, resource_link_id="rl-act-5")
    assert "Learning activities" not in page.text and "activities done" not in page.text
    for lesson in ("first-lesson", "second-lesson"):
        browser.post(f"{tool.url}/modules/{MODULE}/lessons/{lesson}/done", data={"lt": lt})
    page = browser.get(f"{tool.url}/modules/{MODULE}", params={"lt": lt})
    assert "All lessons and activities done" in page.text and 'aria-valuenow="100"' in page.text
    assert _save(browser, tool, lt).status_code == 404


def _user_id(app) -> int:
    from elearn.launch.models import User

    with app.app_context():
        return db.session.scalars(select(User.id).order_by(User.id.desc())).first()


def _instructor(platform, link_id: str, **options):
    teacher = make_browser()
    _, lt = launch_learner(platform, teacher, role="instructor", resource_link_id=link_id,
                           user={"sub": "teacher-" + link_id, "name": "Tess Teacher"}, **options)
    return teacher, lt


def test_instructor_of_the_placement_reads_the_answers_and_no_one_else(with_activities, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-act-6")
    _save(browser, tool, lt, text="Return home within 30 days, in my words.")
    _save(browser, tool, lt, activity_id="own-department", text="On our ward the cycle stops at discharge.")
    teacher, tlt = _instructor(platform, "rl-act-6")
    results = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    assert results.status_code == 200 and "Learning activities and lesson time" in results.text
    assert "2 of 3" in results.text
    link = re.search(r'href="(/instructor/learners/(\d+)/activities[^"]*)"', results.text)
    user_id = link.group(2)
    answers = teacher.get(tool.url + link.group(1).replace("&amp;", "&"))
    assert answers.status_code == 200
    assert "Return home within 30 days, in my words." in answers.text and MODEL in answers.text
    assert "On our ward the cycle stops at discharge." in answers.text and "Not answered yet." in answers.text

    # Another course's instructor, and the learner themself, never see them.
    stranger, slt = _instructor(platform, "rl-act-elsewhere", context_id="course-other")
    assert stranger.get(f"{tool.url}/instructor/learners/{user_id}/activities", params={"lt": slt}).status_code == 404
    assert "in my words" not in stranger.get(f"{tool.url}/instructor/results", params={"lt": slt}).text
    assert browser.get(f"{tool.url}/instructor/learners/{user_id}/activities", params={"lt": lt}).status_code == 403
    # The same course, another placement of the module: its own answers only.
    other_link, olt = _instructor(platform, "rl-act-6b")
    assert other_link.get(f"{tool.url}/instructor/learners/{user_id}/activities", params={"lt": olt}).status_code == 404


def test_answers_are_in_the_persons_download_and_go_with_erasure(with_activities, tool, platform, browser):
    from elearn.privacy import erase_person, export_person

    _, lt = launch_learner(platform, browser, resource_link_id="rl-act-7")
    _save(browser, tool, lt, activity_id="own-department", text="My manager, Jan, never reads the PROMs.")
    with with_activities.app_context():
        user_id = db.session.scalar(select(ActivityResponse.user_id))
        mine = export_person(user_id)
        assert [a["text"] for a in mine["case_and_reflection_answers"]] == ["My manager, Jan, never reads the PROMs."]
        assert "time_on_lessons" in mine
        erase_person(user_id)
    assert _stored(with_activities) == []
