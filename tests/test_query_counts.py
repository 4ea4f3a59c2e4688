"""SQL statements per request on the hot paths, counted with SQLAlchemy's cursor events: a guard
against N+1 queries and reloads creeping back (time is measured in bench/, never here)."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from sqlalchemy import event

from elearn.extensions import db
from launch_support import browser, lt_of, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, loaded  # noqa: F401 (fixture)


@contextmanager
def counted(app):
    """Statements the tool runs inside the block, by request path."""
    with app.app_context():
        engine = db.engine
    counts: Counter = Counter()

    def count(conn, cursor, statement, *args):
        from flask import has_request_context, request

        counts[request.path if has_request_context() else "-"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_repeat_launch_costs_a_handful_of_statements(app, loaded, tool, platform, browser):
    platform.launch(browser, custom={"module": MODULE})          # first launch: user, context, link, keys made
    with counted(app) as counts:
        resp = platform.launch(browser, custom={"module": MODULE})
    assert resp.status_code == 200
    # login: the registration, the login state (a sweep of expired logins at most once a minute).
    assert counts["/lti/login"] <= 4, counts
    # launch: state, platform with deployments, nonce + state, then one upsert each of user, context
    # and link and the launch session's insert (elearn.launch.operations).
    assert counts["/lti/launch"] <= 8, counts
    # module page: launch session, module with its version, progress, the activity answers, the participation
    # record, the upcoming events, …
    assert counts[f"/modules/{MODULE}"] <= 9, counts


def test_a_first_launch_of_a_new_user_on_a_new_link_costs_no_more(app, loaded, tool, platform, browser):
    platform.launch(browser, custom={"module": MODULE})          # the platform's keys, the course
    with counted(app) as counts:
        resp = platform.launch(browser, user={"sub": "someone-new", "name": "New"}, resource_link_id="rl-new",
                               custom={"module": MODULE})
    assert resp.status_code == 200
    assert counts["/lti/launch"] <= 8, counts    # upserts: no select-then-insert for what is new


def test_the_catalog_page_does_not_query_per_module(app, loaded, tool, platform, browser):
    landed = platform.launch(browser, custom={"module": MODULE})
    browser.get(f"{tool.url}/catalog/", params={"lt": lt_of(landed.url)})    # this process has seen the content
    with counted(app) as counts:
        page = browser.get(f"{tool.url}/catalog/", params={"lt": lt_of(landed.url)})
    assert page.status_code == 200 and MODULE in page.text
    assert counts["/catalog/"] <= 2, counts   # launch session; the content signature (elearn.catalog.page_cache)


def test_the_post_test_flow_and_its_delivery_cost_a_handful_of_statements(app, loaded, tool, platform, browser):
    from elearn.grades.worker import deliver_due
    from quiz_support import answers, attempt_id_of, form_token, launch_learner, latest_attempt

    _page, lt = launch_learner(platform, browser)
    with counted(app) as counts:
        page = browser.post(f"{tool.url}/modules/{MODULE}/post-test", data={"lt": lt})    # start, then the form
        attempt_id = attempt_id_of(page)
        review = browser.post(f"{tool.url}/post-test/{attempt_id}",
                              data=dict(answers(latest_attempt(app)), lt=lt, token=form_token(page.text)))
        result = browser.post(f"{tool.url}/post-test/{attempt_id}/submit", data={"lt": lt, "token": form_token(review.text)})
        poll = browser.get(f"{tool.url}/post-test/{attempt_id}/grade-status", headers={"X-Launch-Token": lt})
    assert result.status_code == 200 and "Passed" in result.text and poll.json() == {"state": "sending"}
    base = f"/post-test/{attempt_id}"
    # start: launch session, module with its version, link, placement settings, attempts, extra time, the insert
    # (the redirect's id is not read back).
    assert counts[f"/modules/{MODULE}/post-test"] <= 7, counts
    assert counts[base] <= 2 + 3, counts            # the form: launch session + attempt with its version; save: + UPDATE
    assert counts[f"{base}/review"] <= 2, counts
    # submit: launch session, attempt with version, one UPDATE with the marks, attempts, learner and course language,
    # the previous score's time, the outbox row; then the participation and accreditation checks.
    assert counts[f"{base}/submit"] <= 7 + 6, counts
    assert counts[f"{base}/result"] <= 6, counts   # launch session, attempt, attempts, delivery, claims after a pass
    assert counts[f"{base}/grade-status"] <= 2, counts   # polled every few seconds: owner and state in one statement
    with app.app_context():
        assert deliver_due() == {"delivered": 1}       # the placement's first score: finds or makes its column
    from demolms.browser import new_browser
    from quiz_support import take

    _page, other = launch_learner(platform, second := new_browser(), user={"sub": "second-learner", "name": "Second"})
    take(second, tool, other)
    with counted(app) as counts, app.app_context():
        assert deliver_due() == {"delivered": 1}
    # claim (one UPDATE … RETURNING), renew, the row, link, platform, tool keys, the lease check, the outcome;
    # then the next claim, which finds nothing.
    assert counts["-"] <= 10, counts
