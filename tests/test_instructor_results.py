"""Instructors see their placement's results, fix stuck grades, set the quiz, read item statistics."""
import re

from sqlalchemy import select

from elearn.extensions import db
from elearn.grades.worker import deliver_due
from elearn.questions.gift import import_gift
from elearn.quizzes.models import Attempt, ExtraTime
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, begin, launch_learner, latest_attempt, loaded, take  # noqa: F401


def _instructor(platform, link_id: str, **options):
    other = make_browser()
    _, lt = launch_learner(platform, other, role="instructor", resource_link_id=link_id, locale="en", **options)
    return other, lt


def test_instructor_sees_each_learners_counting_score_and_delivery(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ins-1", locale="en")
    take(browser, tool, lt, right=6)
    teacher, tlt = _instructor(platform, "rl-ins-1")
    page = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    assert page.status_code == 200 and "Sanne de Vries" in page.text and "75%" in page.text
    assert "Passed" in page.text and "on its way" in page.text
    with loaded.app_context():
        deliver_due()
    page = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    assert "sent" in page.text
    attempt_link = re.search(r'href="(/instructor/attempts/\d+[^"]*)"', page.text).group(1).replace("&amp;", "&")
    detail = teacher.get(tool.url + attempt_link)
    assert detail.status_code == 200 and "Attempt of Sanne de Vries" in detail.text and "Answers and feedback" in detail.text


def test_learners_never_see_instructor_pages(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ins-2")
    for path in ("/instructor/results", "/instructor/items", "/instructor/items.csv", "/instructor/pool.gift"):
        assert browser.get(tool.url + path, params={"lt": lt}).status_code == 403, path
    assert browser.post(f"{tool.url}/instructor/settings", data={"lt": lt, "attempt_limit": "9"}).status_code == 403


def test_instructor_of_another_course_cannot_open_an_attempt(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ins-3")
    take(browser, tool, lt)
    attempt = latest_attempt(loaded)
    stranger, slt = _instructor(platform, "rl-ins-elsewhere", context_id="course-2")
    assert stranger.get(f"{tool.url}/instructor/attempts/{attempt.id}", params={"lt": slt}).status_code == 404
    page = stranger.get(f"{tool.url}/instructor/results", params={"lt": slt})
    assert "Sanne de Vries" not in page.text


def test_parked_scores_are_shown_with_the_reason_and_sent_again(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ins-4")
    take(browser, tool, lt)
    platform.fail("/ags/", 403, body={"error": "forbidden", "error_description": "gradebook column locked"})
    with loaded.app_context():
        assert deliver_due() == {"parked": 1}
    teacher, tlt = _instructor(platform, "rl-ins-4")
    page = teacher.get(f"{tool.url}/instructor/results", params={"lt": tlt})
    assert "Scores not yet in the gradebook" in page.text and "gradebook column locked" in page.text
    resent = teacher.post(f"{tool.url}/instructor/deliveries/retry", data={"lt": tlt})
    assert "queued to be sent again" in resent.text and "n=scores-queued" in resent.url
    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}


def test_settings_and_extra_time_shape_the_next_attempt(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ins-5")
    teacher, tlt = _instructor(platform, "rl-ins-5")
    bad = teacher.post(f"{tool.url}/instructor/settings", data={"lt": tlt, "review": "after_last_attempt"})
    assert bad.status_code == 422 and "were not saved" in bad.text and "needs an attempt limit" in bad.text
    ok = teacher.post(f"{tool.url}/instructor/settings", data={
        "lt": tlt, "attempt_limit": "2", "time_limit_minutes": "20", "counting": "last", "review": "immediately"})
    assert "settings are saved" in ok.text
    saved = teacher.post(f"{tool.url}/instructor/extra-time", data={"lt": tlt, "person": "learner-1",
                                                                   "multiplier": "1,5"})
    assert "Extra time saved" in saved.text
    start = browser.get(f"{tool.url}/modules/{MODULE}/post-test", params={"lt": lt})
    assert "0 of 2 used" in start.text and "30 minutes" in start.text and "your last attempt counts" in start.text
    begin(browser, tool, lt)
    attempt = latest_attempt(loaded)
    assert round((attempt.deadline_at - attempt.started_at).total_seconds()) == 30 * 60
    with loaded.app_context():
        assert db.session.scalar(select(ExtraTime.multiplier)) == 1.5


def test_item_statistics_and_csv_over_first_attempts(loaded, tool, platform):
    # The figures themselves, from the first attempt on (the minimum has its own test, test_instructor_journey).
    loaded.config["ITEM_STATS_MIN_ATTEMPTS"] = 1
    seen, right_of = {}, {}   # the pool has 12 items, each attempt draws 8: a row per item drawn at least once
    for person, right in (("learner-1", 8), ("learner-2", 4), ("learner-3", 0)):
        learner = make_browser()
        _, lt = launch_learner(platform, learner, resource_link_id="rl-ins-6", user=person)
        _, attempt = take(learner, tool, lt, right=right)
        for index, item_id in enumerate(attempt.paper["items"]):   # take() answers the first `right` right
            seen[item_id] = seen.get(item_id, 0) + 1
            right_of[item_id] = right_of.get(item_id, 0) + (index < right)
    teacher, tlt = _instructor(platform, "rl-ins-6")
    page = teacher.get(f"{tool.url}/instructor/items", params={"lt": tlt})
    assert "Computed over 3 first attempts" in page.text
    csv = teacher.get(f"{tool.url}/instructor/items.csv", params={"lt": tlt})
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("item,attempts,facility_percent") and lines[0].endswith(",note")
    assert len(lines) == 1 + len(seen)
    facilities = {line.split(",")[0]: float(line.split(",")[2]) for line in lines[1:]}
    assert facilities == {item: round(100 * right_of[item] / seen[item], 2) for item in seen}


def test_pool_downloads_as_gift_that_reads_back_with_the_same_ids(loaded, tool, platform):
    teacher, tlt = _instructor(platform, "rl-ins-7")
    gift = teacher.get(f"{tool.url}/instructor/pool.gift", params={"lt": tlt})
    assert gift.status_code == 200 and "attachment" in gift.headers["Content-Disposition"]
    items = import_gift(gift.text, "en")
    with loaded.app_context():
        from elearn.catalog.models import Module

        pool = db.session.get(Module, MODULE).current_version.quiz
    assert [i["id"] for i in items] == [i["id"] for i in pool["items"]]


def test_submission_review_launch_shows_the_learners_attempt(loaded, tool, platform, browser):
    from demolms import claims as C

    _, lt = launch_learner(platform, browser, resource_link_id="rl-ins-8", locale="en")
    take(browser, tool, lt, right=5)
    with loaded.app_context():
        deliver_due()                                     # the column exists: reviews launch from it
    teacher = make_browser()
    resp = platform.launch(teacher, role="instructor", resource_link_id="rl-ins-8", locale="en",
                           custom={"module": MODULE}, message_type=C.SUBMISSION_REVIEW_REQUEST, for_user="learner-1")
    assert resp.status_code == 200 and "/instructor/review" in resp.url, resp.text[-1500:]
    assert "Attempt of Sanne de Vries" in resp.text and "62%" in resp.text and "Answers and feedback" in resp.text
    nobody = platform.launch(make_browser(), role="instructor", resource_link_id="rl-ins-8", locale="en",
                             custom={"module": MODULE}, message_type=C.SUBMISSION_REVIEW_REQUEST, for_user="learner-2")
    assert nobody.status_code == 404 and "has not submitted" in nobody.text
