"""Several instances and key rotation: login on one instance, launch on another (database or
Redis state), the tool's keys rotating, and the platform's keys rotating under the tool's cache."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from conftest import LiveServer
from elearn import create_app
from elearn.extensions import db
from launch_support import browser, connect, error_code, random_prefix, redis_or_skip, redis_url  # noqa: F401
from launch_support import tool  # noqa: F401 (fixture)
from lti.models import OidcState, UsedNonce


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def two_instances(app, app_config, live_server):
    """A second app instance over the same database, each served on its own port."""
    other = create_app(dict(app_config))
    second = LiveServer(other).start()
    yield live_server, other, second
    second.stop()
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def _login_here_launch_there(app, other, first, second, platform):
    """Login initiation goes to the first instance, the launch (redirect_uri) to the second."""
    app.config["TOOL_BASE_URL"] = second.url  # the URL the platform posts the id_token to
    connect(app, first.url, platform, launch_url=f"{second.url}/lti/launch")


def test_login_on_one_instance_launch_on_another_sharing_the_database(app, two_instances, platform, browser):
    first, other, second = two_instances
    app.config["REDIS_URL"] = other.config["REDIS_URL"] = None
    _login_here_launch_there(app, other, first, second, platform)
    resp = platform.launch(browser, role="instructor", locale="en", custom={"module": "leadership"})
    assert resp.url.startswith(second.url) and urlsplit(resp.url).path == "/modules/leadership"
    assert _count(app, UsedNonce) == 1 and _count(app, OidcState) == 0  # consumed by the second instance


@pytest.mark.services
def test_login_on_one_instance_launch_on_another_sharing_redis(app, two_instances, platform, browser):
    client = redis_or_skip()
    first, other, second = two_instances
    prefix = random_prefix()
    for instance in (app, other):
        instance.config.update(REDIS_URL=redis_url(), LTI_REDIS_PREFIX=prefix)
    _login_here_launch_there(app, other, first, second, platform)
    try:
        from demolms.browser import forms

        init = platform.platform.prepare_launch(role="learner", custom={"module": "care-cycle"})
        answer = browser.post(init.url, data=init.params)  # login at the first instance, platform answers
        assert len(list(client.scan_iter(prefix + "state:*"))) == 1
        form = forms(answer.text)[0]
        resp = browser.post(form["action"], data=form["fields"])
        assert resp.url.startswith(second.url) and urlsplit(resp.url).path == "/modules/care-cycle"
        assert list(client.scan_iter(prefix + "state:*")) == []
        assert len(list(client.scan_iter(prefix + "nonce:*"))) == 1
        assert _count(app, OidcState) == 0 and _count(app, UsedNonce) == 0  # nothing went to the database
        replay = browser.post(form["action"].replace(second.url, first.url), data=form["fields"])
        assert replay.status_code == 401 and error_code(replay) == "nonce_replayed"  # seen by the other instance
    finally:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)


def test_tool_key_rotation_with_launches_and_service_calls_across_it(app, tool, platform, browser, runner):
    from lti import keys
    from lti.models import Platform
    from lti.services import connector_for, list_line_items
    from lti.service_auth import TokenCache

    jwks = browser.get(f"{tool.url}/lti/jwks").json()
    assert len(jwks["keys"]) == 2  # current and the next one, published before it is used
    with app.app_context():
        before = keys.signing_key(db.session).kid
        db.session.commit()
    next_kid = next(k["kid"] for k in jwks["keys"] if k["kid"] != before)

    def service_call():
        with app.app_context():
            stored = db.session.scalar(select(Platform))
            conn = connector_for(db.session, stored, TokenCache())  # a fresh cache: a new token each time
            return list_line_items(conn, platform.lineitems_url())

    first = platform.launch(browser, custom={"module": "care-cycle"}, resource_link_id="rot-1")
    assert urlsplit(first.url).path == "/modules/care-cycle"
    assert service_call() == []
    result = runner.invoke(args=["lti", "rotate-keys"])
    assert result.exit_code == 0 and next_kid in result.output
    after = {k["kid"] for k in browser.get(f"{tool.url}/lti/jwks").json()["keys"]}
    assert {before, next_kid} <= after and len(after) == 3
    service_call()  # signed with the new current key, which the platform already knew as "next"
    resp = platform.launch(browser, role="learner", custom={"module": "care-cycle"}, resource_link_id="rot-2")
    assert urlsplit(resp.url).path == "/modules/care-cycle"
    assert len(platform.token_requests) == 2


def test_platform_key_rotation_makes_the_tool_refetch_on_unknown_kid(app, tool, platform, browser):
    app.config["LTI_JWKS_REFETCH_SECONDS"] = 0
    jwks_fetches = lambda: sum(1 for r in platform.requests if r["path"].startswith("/jwks"))  # noqa: E731
    assert platform.launch(browser, resource_link_id="pk-1").status_code == 200
    assert platform.launch(browser, resource_link_id="pk-1").status_code == 200
    assert jwks_fetches() == 1  # the cached key set serves the second launch
    platform.rotate_keys()
    resp = platform.launch(browser, resource_link_id="pk-1")
    assert resp.status_code == 200 and urlsplit(resp.url).path == "/catalog/"
    assert jwks_fetches() == 2  # one refetch for the new kid


def test_unknown_kid_does_not_refetch_more_often_than_the_interval(app, tool, platform, browser):
    app.config["LTI_JWKS_REFETCH_SECONDS"] = 3600
    jwks_fetches = lambda: sum(1 for r in platform.requests if r["path"].startswith("/jwks"))  # noqa: E731
    assert platform.launch(browser, resource_link_id="pk-2").status_code == 200
    for _ in range(3):
        bad = platform.launch(browser, resource_link_id="pk-2", mutate=lambda c, h: (c, dict(h, kid="made-up")))
        assert bad.status_code == 401 and error_code(bad) == "unknown_key"
    assert jwks_fetches() == 1
