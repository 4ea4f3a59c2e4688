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
