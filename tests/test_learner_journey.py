"""The learner's way through a module over HTTP: after the last lesson "continue" leads on in the
module page's order (lessons → learning activities → post-test), never back to lesson 1; the post-test
shows how many questions are answered, and which; the result page follows the score to the LMS."""
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from activities_support import ACTIVITY_IDS, give_activities
from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.grades.worker import deliver_due
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, answers, begin, form_token, latest_attempt, launch_learner, loaded, take  # noqa: F401

LESSONS = ["first-lesson", "second-lesson"]


def _read_all(browser, tool, lt):
    """Mark every lesson done as the lesson pages' forms do; the answer to the last one."""
    for lesson in LESSONS:
        last = browser.post(f"{tool.url}/modules/{MODULE}/lessons/{lesson}/done", data={"lt": lt})
    return last


def test_after_the_last_lesson_continue_leads_to_the_post_test(loaded, tool, platform, browser):
    give_activities(loaded, activities=None)                  # a module without learning activities
    _, lt = launch_learner(platform, browser, resource_link_id="rl-journey-1")
    last_page = browser.get(f"{tool.url}/modules/{MODULE}/lessons/second-lesson", params={"lt": lt}).text
    assert "Mark as done and go to the post-test" in last_page
    assert f'rel="next" href="/modules/{MODULE}/post-test?lt=' in last_page     # the other way on, too

    done = _read_all(browser, tool, lt)
    assert done.status_code == 200 and urlsplit(done.url).path == f"/modules/{MODULE}/post-test"
    assert "Start attempt 1" in done.text

    module = browser.get(f"{tool.url}/modules/{MODULE}", params={"lt": lt}).text
    assert "All lessons read: continue with the post-test" in module
    assert f'id="continue" href="/modules/{MODULE}/post-test?lt=' in module
    assert f'/modules/{MODULE}/lessons/first-lesson?lt={lt}">Continue reading' not in module


def test_after_the_last_lesson_the_activities_come_before_the_post_test(loaded, tool, platform, browser):
    give_activities(loaded)                                   # two cases and a reflection
    _, lt = launch_learner(platform, browser, resource_link_id="rl-journey-2")
    assert "Mark as done and go to the learning activities" in browser.get(
        f"{tool.url}/modules/{MODULE}/lessons/second-lesson", params={"lt": lt}).text

    done = _read_all(browser, tool, lt)
    assert urlsplit(done.url).path == f"/modules/{MODULE}"
    assert done.history and done.history[-1].headers["Location"].endswith("#activities")
    assert "All lessons read: continue with the learning activities" in done.text

    for activity in ACTIVITY_IDS:
        saved = browser.post(f"{tool.url}/modules/{MODULE}/activities/{activity}", data={"lt": lt, "answer": "Mine."})
        assert saved.status_code == 200
    assert "All lessons read: continue with the post-test" in saved.text
    again = browser.post(f"{tool.url}/modules/{MODULE}/lessons/second-lesson/done", data={"lt": lt})
    assert urlsplit(again.url).path == f"/modules/{MODULE}/post-test"


def test_a_reader_without_launch_is_pointed_at_the_post_test_section(loaded, tool):
    import requests

    give_activities(loaded, activities=None)
    page = requests.get(f"{tool.url}/modules/{MODULE}/lessons/second-lesson").text
    assert f'rel="next" href="/modules/{MODULE}#post-test"' in page        # the start page needs a launch


# --- the post-test shows where the learner is -------------------------------------------------------

def _answered_count(html: str) -> tuple[int, int]:
    """The 'Questions answered: n of m' the attempt page renders (top and bottom agree)."""
    found = set(re.findall(r"Questions answered: <span data-answered-count>(\d+)</span> of (\d+)", html))
    assert len(found) == 1, found
    answered, total = found.pop()
    return int(answered), int(total)


def test_attempt_page_counts_and_marks_the_answered_questions(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-journey-3")
    page = begin(browser, tool, lt)
    total = page.text.count('class="question card')
    assert total >= 3 and _answered_count(page.text) == (0, total)
    assert "Question 1 of %d" % total in page.text
    assert page.text.count('data-when="open" >') == total and 'class="answered"' not in page.text
    assert "js/quiz-progress.js" in page.text and "<script>" not in page.text

    attempt = latest_attempt(loaded)
    two = dict(answers(attempt, right=2), lt=lt, token=form_token(page.text))
    assert browser.post(f"{tool.url}/post-test/{attempt.id}", data=two).status_code == 200   # saved, review
    again = browser.get(f"{tool.url}/post-test/{attempt.id}", params={"lt": lt}).text       # "change answers"
    assert _answered_count(again) == (2, total)
    assert again.count('class="answered"') == 2
    assert "Question 1, answered" in again and "Question 3, not answered yet" in again


# --- "your score is being sent" updates itself ------------------------------------------------------

def _status(browser, tool, attempt_id, token):
    """The JSON the result page's script reads, with the token in the header as the script sends it."""
    return browser.get(f"{tool.url}/post-test/{attempt_id}/grade-status", headers={"X-Launch-Token": token or ""})


def test_score_status_follows_the_delivery(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-journey-4")
    result, attempt = take(browser, tool, lt)
    assert 'data-status="sending"' in result.text and "Refresh to see whether it has arrived" in result.text
    assert f'data-url="/post-test/{attempt.id}/grade-status"' in result.text and "js/grade-status.js" in result.text
    for state in ("delivered", "parked", "later"):            # every wording is rendered, hidden until named
        assert f'data-when="{state}" hidden' in result.text
    assert _status(browser, tool, attempt.id, lt).json() == {"state": "sending"}

    with loaded.app_context():
        assert deliver_due() == {"delivered": 1}
    answer = _status(browser, tool, attempt.id, lt)
    assert answer.json() == {"state": "delivered"} and answer.headers["Cache-Control"] == "no-store"
    page = browser.get(result.url).text
    assert 'data-status="delivered"' in page and "js/grade-status.js" not in page   # nothing left to ask
    assert "Refresh to see whether it has arrived" in page and "data-refresh hidden" in page


def test_score_status_says_later_after_a_failed_try(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-journey-5")
    result, attempt = take(browser, tool, lt)
    with loaded.app_context():
        delivery = db.session.scalar(select(GradeDelivery).where(GradeDelivery.attempt_id == attempt.id))
        delivery.tries, delivery.last_error = 1, "HTTPError: 503"     # as the worker leaves it after a 503
        db.session.commit()
    assert _status(browser, tool, attempt.id, lt).json() == {"state": "later"}
    assert 'data-status="later"' in browser.get(result.url).text


def test_score_status_of_someone_elses_attempt_is_refused(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-journey-6", user={"sub": "owner"})
    _, attempt = take(browser, tool, lt)
    other = make_browser()
    _, other_lt = launch_learner(platform, other, resource_link_id="rl-journey-6", user={"sub": "someone-else"})
    assert _status(other, tool, attempt.id, other_lt).status_code == 403
    assert _status(make_browser(), tool, attempt.id, None).status_code == 401          # no launch at all
    assert _status(make_browser(), tool, attempt.id, lt + "x").status_code == 401      # a forged token
