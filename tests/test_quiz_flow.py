"""A learner takes a post-test inside the LMS and the score reaches the platform's gradebook."""
from datetime import datetime

from sqlalchemy import select

from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.grades.worker import deliver_due
from elearn.quizzes.models import Attempt
from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, count, launch_learner, loaded, take  # noqa: F401


def test_attempt_score_reaches_the_platform_with_every_field(loaded, tool, platform, browser):
    resp, lt = launch_learner(platform, browser, locale="en", resource_link_id="rl-flow-1")
    assert f"/modules/{MODULE}/post-test" in resp.text               # the module page offers the post-test
    start = browser.get(f"{tool.url}/modules/{MODULE}/post-test", params={"lt": lt})
    assert start.status_code == 200 and "Pass mark" in start.text and "70% or more" in start.text

    result, attempt = take(browser, tool, lt)
    assert "100%" in result.text and "Passed" in result.text
    assert "That is why it is right" in result.text                   # per-option feedback (after passing)
    assert "Source" in result.text
    assert count(loaded, status="pending") == 1 and platform.scores == []   # never on the request path

    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}
    [score] = [s for s in platform.scores if s.context_id == "course-1" and s["userId"] == platform.last_launch.claims["sub"]]
    assert score["scoreGiven"] == 100 and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    stamp = datetime.fromisoformat(score["timestamp"])
    assert stamp.tzinfo is not None and "." in score["timestamp"]      # sub-second precision
    assert "attempt 1" in score["comment"] and "passed" in score["comment"]
    item = next(i for i in platform.lineitems if i["id"] == score.lineitem_url)
    assert item["resourceLinkId"] == "rl-flow-1" and item["resourceId"] == MODULE and item["tag"] == "vbhc-post-test"
    assert item["scoreMaximum"] == 100 and item["label"].startswith("Post-test: ")
    assert item["submissionReview"]["reviewableStatus"] == ["Completed"]
    with loaded.app_context():
        delivery = db.session.scalar(select(GradeDelivery))
        assert delivery.status == "delivered" and delivery.lineitem_url == score.lineitem_url
        assert delivery.resource_link.ags_lineitem_url == score.lineitem_url   # kept: no second column
    again = browser.get(result.url)
    assert 'data-status="delivered"' in again.text


def test_second_attempt_reuses_the_column_and_sends_the_counting_score(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, locale="nl", resource_link_id="rl-flow-2")
    take(browser, tool, lt)                                            # 100%
    with loaded.app_context():
        deliver_due()
    take(browser, tool, lt, right=2)                                   # 25%: the best attempt still counts
    with loaded.app_context():
        deliver_due()
    sub = platform.last_launch.claims["sub"]
    scores = [s for s in platform.scores if s["userId"] == sub and "rl-flow-2" in str(
        next(i for i in platform.lineitems if i["id"] == s.lineitem_url).get("resourceLinkId"))]
    assert [s["scoreGiven"] for s in scores] == [100, 100]
    assert len({s.lineitem_url for s in scores}) == 1                  # one gradebook column
    first, second = (datetime.fromisoformat(s["timestamp"]) for s in scores)
    assert (second - first).total_seconds() >= 1                       # strictly increasing, Moodle-safe
    assert "poging 1" in scores[1]["comment"]                          # the comment in the learner's language


def test_line_item_from_the_launch_is_used_as_given(loaded, tool, platform, browser, app):
    platform.platform.ensure_context("course-1")
    item_id = platform.platform.store.add_lineitem({"label": "Eindtoets (LMS)", "scoreMaximum": 10,
                                                     "resourceLinkId": "rl-flow-3", "_context_id": "course-1"})
    _, lt = launch_learner(platform, browser, resource_link_id="rl-flow-3")
    take(browser, tool, lt, right=4)
    with app.app_context():
        deliver_due()
    url = platform.lineitems_url("course-1") + "/" + str(item_id)
    assert [s["scoreGiven"] for s in platform.scores if s.lineitem_url == url] == [50]
    assert sum(1 for i in platform.lineitems if i.get("resourceLinkId") == "rl-flow-3") == 1


def test_attempts_stay_tied_to_the_content_version(loaded, tool, platform, browser, tmp_path):
    import shutil

    from elearn.catalog.loader import load_directory
    from quiz_support import VALID

    _, lt = launch_learner(platform, browser, resource_link_id="rl-flow-4")
    result, attempt = take(browser, tool, lt)
    changed = tmp_path / "courses"
    shutil.copytree(VALID, changed)
    quiz = changed / "modules" / MODULE / "quiz.yaml"
    quiz.write_text(quiz.read_text().replace("Vraag single-1?", "Vraag single-1, herzien?"))
    with loaded.app_context():
        load_directory(changed)
        stored = db.session.get(Attempt, attempt.id)
        assert stored.version_id == attempt.version_id
        assert stored.version.module_id == MODULE
        from elearn.catalog.models import Module

        assert db.session.get(Module, MODULE).current_version_id != stored.version_id
    page = browser.get(result.url)
    assert page.status_code == 200 and "herzien" not in page.text    # reviewed on the version it was taken on


def test_course_copy_reuses_the_copied_column_instead_of_making_a_second(loaded, tool, platform, browser, app):
    platform.platform.ensure_context("course-copy")       # the LMS copied the course with its gradebook column
    item_id = platform.platform.store.add_lineitem({"label": "Post-test: Waarde", "scoreMaximum": 100,
                                                     "resourceId": MODULE, "tag": "vbhc-post-test",
                                                     "_context_id": "course-copy"})
    _, lt = launch_learner(platform, browser, resource_link_id="rl-copied", context_id="course-copy")
    take(browser, tool, lt)
    with app.app_context():
        assert deliver_due() == {"delivered": 1}
    url = platform.lineitems_url("course-copy") + "/" + str(item_id)
    assert [s.lineitem_url for s in platform.scores if s.context_id == "course-copy"] == [url]
    assert sum(1 for i in platform.lineitems if i["id"].startswith(platform.lineitems_url("course-copy"))) == 1


def test_the_result_names_a_literature_source_by_its_reference(app, tool, platform, browser, tmp_path):
    import shutil

    from elearn.catalog.loader import load_directory
    from quiz_support import VALID

    courses = tmp_path / "courses"
    shutil.copytree(VALID, courses)
    quiz = courses / "modules" / MODULE / "quiz.yaml"
    quiz.write_text(quiz.read_text().replace('{doc: "002", section: "Advies 2"}',   # every item
                                             '{doc: porter-lee-2013, section: "Organize into IPUs"}'))
    with app.app_context():
        load_directory(courses)
    _resp, lt = launch_learner(platform, browser, locale="en", resource_link_id="rl-literature-1")
    result, _attempt = take(browser, tool, lt)
    assert ("Source: Porter ME, Lee TH. The strategy that will fix health care. Harvard Business Review. "
            "2013;91(10):50-70., Organize into IPUs") in result.text
    assert "porter-lee-2013 —" not in result.text
