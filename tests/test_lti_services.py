"""AGS and NRPS clients against the demolms platform: tokens, caching, 401 retry, paging, scores."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from demolms.testing import PlatformServer
from elearn.extensions import db
from launch_support import connect
from lti.models import Platform
from lti.service_auth import ServiceError, TokenCache
from lti.services import (LineItem, Score, connector_for, create_line_item, find_line_item, list_line_items, members,
                          post_score, score_timestamp)


@pytest.fixture()
def platform():
    """A platform with small pages, so paging is exercised."""
    server = PlatformServer.start(nrps_page_size=2, lineitems_page_size=2)
    server.platform.ensure_context("course-1")
    yield server
    server.stop()


@pytest.fixture()
def services(app, live_server, platform):
    """A function giving a connector for the registered platform, sharing one token cache."""
    connect(app, live_server.url, platform)
    cache = TokenCache()
    ctx = app.app_context()
    ctx.push()

    def make():
        return connector_for(db.session, db.session.scalar(select(Platform)), cache)

    yield make
    db.session.remove()
    ctx.pop()


def test_line_items_created_listed_and_found_across_pages(services, platform):
    conn = services()
    url = platform.lineitems_url()
    for n in range(5):
        created = create_line_item(conn, url, LineItem(id=None, label=f"Module {n}", score_maximum=100,
                                                       resource_id=f"module-{n}", tag="post-test"))
        assert created.id and created.resource_id == f"module-{n}"
    items = list_line_items(conn, url)
    assert sorted(i.label for i in items) == [f"Module {n}" for n in range(5)]  # 3 pages of 2
    found = find_line_item(conn, url, resource_id="module-3")
    assert found.label == "Module 3" and found.score_maximum == 100
    assert find_line_item(conn, url, resource_id="missing") is None
    assert len(platform.token_requests) == 1  # one token for the whole conversation


def test_score_posted_with_its_media_type_to_lineitem_scores(services, platform):
    conn = services()
    item = create_line_item(conn, platform.lineitems_url(), LineItem(id=None, label="Quiz", score_maximum=10))
    status = post_score(conn, item.id, Score(user_id="learner-1", score_given=8, score_maximum=10,
                                             timestamp=score_timestamp()))
    assert status in (200, 201, 204)
    (score,) = platform.scores
    assert score["scoreGiven"] == 8 and score["scoreMaximum"] == 10 and score["userId"] == "learner-1"
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    assert score.lineitem_url == item.id
    assert any(r["path"].endswith("/scores") and r["method"] == "POST" for r in platform.requests)


def test_roster_followed_across_pages(services, platform):
    for n in range(5):
        platform.add_member({"sub": f"student-{n}", "name": f"Student {n}"}, roles="learner")
    roster = members(services(), platform.memberships_url())
    assert {m.user_id for m in roster} >= {f"student-{n}" for n in range(5)}
    assert next(m for m in roster if m.user_id == "student-3").name == "Student 3"


def test_tokens_cached_per_scope_set_and_refreshed_after_a_401(services, platform):
    conn = services()
    list_line_items(conn, platform.lineitems_url())
    list_line_items(services(), platform.lineitems_url())  # another connector, same cache
    assert len(platform.token_requests) == 1
    members(conn, platform.memberships_url())  # another scope set: another token
    assert len(platform.token_requests) == 2
    platform.revoke_tokens()  # the platform forgets every token: the next call gets a 401
    list_line_items(conn, platform.lineitems_url())
    assert len(platform.token_requests) == 3  # one retry with a fresh token, and it worked


def test_service_errors_carry_status_and_retry_after(services, platform):
    conn = services()
    platform.fail("/ags", 429, headers={"Retry-After": "7"})
    with pytest.raises(ServiceError) as error:
        list_line_items(conn, platform.lineitems_url())
    assert error.value.status == 429 and error.value.retry_after == "7"


def test_client_assertion_audience_is_the_token_url_exactly(services, platform):
    conn = services()
    import jwt

    claims = jwt.decode(conn.client_assertion(), options={"verify_signature": False})
    assert claims["aud"] == platform.auth_token_url and not claims["aud"].endswith("/")
    assert claims["iss"] == claims["sub"] == conn._registration.get_client_id()
