"""Every tampered, replayed, foreign, late or malformed quiz post is refused and records nothing."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.quizzes.models import Attempt, PlacementSettings
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from lti.models import utcnow
from quiz_support import (MODULE, answers, attempt_id_of, begin, count, form_token, latest_attempt, launch_learner,
                          loaded, take)  # noqa: F401


def _state(app, attempt_id: int) -> tuple:
    """What an attempt has recorded: responses, finished, percent, and deliveries in all."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return (attempt.responses, attempt.finished_at, attempt.percent,
                db.session.scalar(select(db.func.count()).select_from(GradeDelivery)))


def _code(resp) -> str | None:
    match = re.search(r'data-error-code="([^"]+)"', resp.text)
    return match.group(1) if match else None


@pytest.fixture()
def started(loaded, tool, platform, browser):
    """A learner with a running attempt: (lt, attempt page, attempt)."""
    _, lt = launch_learner(platform, browser, resource_link_id="rl-tamper")
    page = begin(browser, tool, lt)
    assert page.status_code == 200
    return lt, page, latest_attempt(loaded)


def _post(browser, tool, attempt, data, path=""):
    return browser.post(f"{tool.url}/post-test/{attempt.id}{path}", data=data)


def test_answer_to_a_question_not_on_the_paper_is_refused(started, tool, browser, loaded):
    lt, page, attempt = started
    off_paper = next((i["id"] for i in attempt.version.quiz["items"] if i["id"] not in attempt.paper["items"]),
                     "an-item-of-another-paper")
    before = _state(loaded, attempt.id)
    resp = _post(browser, tool, attempt, dict(answers(attempt), lt=lt, token=form_token(page.text),
                                              **{f"q.{off_paper}": "a"}))
    assert resp.status_code == 400 and _code(resp) == "item_not_on_paper"
    assert _state(loaded, attempt.id) == before


def test_choice_that_is_not_an_option_is_refused(started, tool, browser, loaded):
    lt, page, attempt = started
    first = attempt.paper["items"][0]
    before = _state(loaded, attempt.id)
    resp = _post(browser, tool, attempt, {"lt": lt, "token": form_token(page.text), f"q.{first}": "zz"})
    assert resp.status_code == 422 and "not one of the options" in resp.text
    assert _state(loaded, attempt.id) == before


def test_changed_option_order_numbers_are_refused(loaded, tool, platform, browser):
    # The pool has 12 items and a paper 8: learners start until a paper holds an ordering or matching item.
    for n in range(12):
        learner = browser if n == 0 else make_browser()
        _, lt = launch_learner(platform, learner, resource_link_id="rl-tamper-order", user=f"order-{n}")
        if n == 0:
            with loaded.app_context():
                db.session.add(PlacementSettings(resource_link_pk=_link_pk(loaded, "rl-tamper-order"), values={}))
                db.session.commit()
        page = begin(learner, tool, lt)
        attempt = latest_attempt(loaded)
        items = {i["id"]: i for i in attempt.version.quiz["items"]}
        ordering = next((i for i in attempt.paper["items"] if items[i]["type"] in ("ordering", "matching")), None)
        if ordering:
            break
    assert ordering, "no paper of 12 drew an ordering or matching item"
    browser = learner
    kind = items[ordering]["type"]
    field = f"q.{ordering}.1" if kind == "ordering" else f"q.{ordering}.{items[ordering]['pairs'][0]['id']}"
    before = _state(loaded, attempt.id)
    resp = _post(browser, tool, attempt, {"lt": lt, "token": form_token(page.text), field: "99"})
    assert resp.status_code == 422 and _state(loaded, attempt.id) == before


def test_another_learners_attempt_cannot_be_answered_or_read(started, tool, platform, loaded):
    lt, page, attempt = started
    other = make_browser()
    _, other_lt = launch_learner(platform, other, resource_link_id="rl-tamper", user="learner-2")
    before = _state(loaded, attempt.id)
    for path, data in (("", dict(answers(attempt), lt=other_lt, token=form_token(page.text))),
                       ("/submit", {"lt": other_lt, "token": form_token(page.text)})):
        resp = _post(other, tool, attempt, data, path)
        assert resp.status_code == 403 and _code(resp) == "not_yours"
    assert other.get(f"{tool.url}/post-test/{attempt.id}/result", params={"lt": other_lt}).status_code == 403
    assert _state(loaded, attempt.id) == before


def test_replayed_or_stale_forms_are_refused(started, tool, browser, loaded):
    lt, page, attempt = started
    old_token = form_token(page.text)
    review = _post(browser, tool, attempt, dict(answers(attempt, right=3), lt=lt, token=old_token))
    assert review.status_code == 200
    saved = _state(loaded, attempt.id)
    stale = _post(browser, tool, attempt, dict(answers(attempt), lt=lt, token=old_token))   # an old tab
    assert stale.status_code == 409 and _code(stale) == "stale_form" and _state(loaded, attempt.id) == saved
    token = form_token(review.text)
    assert _post(browser, tool, attempt, {"lt": lt, "token": token}, "/submit").status_code == 200
    done = _state(loaded, attempt.id)
    replay = _post(browser, tool, attempt, {"lt": lt, "token": token}, "/submit")        # the same submit again
    assert replay.status_code == 409 and _code(replay) == "finished"
    resave = _post(browser, tool, attempt, dict(answers(attempt), lt=lt, token=token))
    assert resave.status_code == 409 and _state(loaded, attempt.id) == done
    assert done[3] == 1                                                                 # one delivery only


def test_no_attempt_beyond_the_limit(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-tamper-limit")
    with loaded.app_context():
        db.session.add(PlacementSettings(resource_link_pk=_link_pk(loaded, "rl-tamper-limit"),
                                         values={"attempt_limit": 1}))
        db.session.commit()
    take(browser, tool, lt, right=1)
    start = browser.get(f"{tool.url}/modules/{MODULE}/post-test", params={"lt": lt})
    assert "1 of 1 used" in start.text and "You have used all 1 attempts." in start.text
    again = begin(browser, tool, lt)
    assert again.status_code == 403 and _code(again) == "no_attempts_left"
    assert count(loaded, Attempt) == 1


def test_post_after_the_time_limit_is_refused_and_saved_answers_count(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-tamper-time")
    with loaded.app_context():
        db.session.add(PlacementSettings(resource_link_pk=_link_pk(loaded, "rl-tamper-time"),
                                         values={"time_limit_minutes": 10}))
        db.session.commit()
    page = begin(browser, tool, lt)
    assert "Time limit" in page.text
    attempt = latest_attempt(loaded)
    review = _post(browser, tool, attempt, dict(answers(attempt, right=2), lt=lt, token=form_token(page.text)))
    with loaded.app_context():                                   # eleven minutes later …
        row = db.session.get(Attempt, attempt.id)
        row.deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    late = _post(browser, tool, attempt, dict(answers(attempt), lt=lt, token=form_token(review.text)))
    assert late.status_code == 409 and _code(late) == "time_up"
    with loaded.app_context():
        row = db.session.get(Attempt, attempt.id)
        assert row.closed_by == "time_limit" and row.percent == 25.0    # the saved 2 of 8, not the late 8 of 8
        assert db.session.scalar(select(db.func.count()).select_from(GradeDelivery)) == 1


@pytest.mark.parametrize("extra", [
    {"q.single-1": "a" * 65},                                    # longer than any answer
    {f"q.single-{n}": "a" for n in range(1, 400)},               # more fields than a paper has
])
def test_malformed_posts_are_refused(started, tool, browser, loaded, extra):
    lt, page, attempt = started
    before = _state(loaded, attempt.id)
    resp = _post(browser, tool, attempt, dict(extra, lt=lt, token=form_token(page.text)))
    assert resp.status_code == 400 and _state(loaded, attempt.id) == before


def test_post_without_launch_token_is_refused(started, tool, browser, loaded):
    lt, page, attempt = started
    before = _state(loaded, attempt.id)
    resp = _post(browser, tool, attempt, {"token": form_token(page.text), "lt": ""}, "/submit")
    assert resp.status_code in (400, 401) and _state(loaded, attempt.id) == before


def test_post_test_only_counts_from_its_own_placement(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-tamper-other", custom={"module": "beta-teams"})
    resp = begin(browser, tool, lt, module=MODULE)
    assert resp.status_code == 403 and _code(resp) == "not_this_placement" and count(loaded, Attempt) == 0


def _link_pk(app, link_id: str) -> int:
    from elearn.launch.models import ResourceLink

    with app.app_context():
        return db.session.scalar(select(ResourceLink.id).where(ResourceLink.link_id == link_id))
