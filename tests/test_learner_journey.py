"""The learner's way through a module over HTTP: after the last lesson "continue" leads on in the
module page's order (lessons → learning activities → post-test), never back to lesson 1."""
from urllib.parse import urlsplit

from activities_support import ACTIVITY_IDS, give_activities
from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, launch_learner, loaded  # noqa: F401

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
