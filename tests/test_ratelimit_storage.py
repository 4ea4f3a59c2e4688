"""The in-process rate-limit store: limits hold, counters expire, and no thread is started per
request (elearn.ratelimit_storage)."""
from __future__ import annotations

import threading
import time

import pytest

from elearn import create_app
from elearn.extensions import limiter
from elearn.ratelimit_storage import InlineSweepMemoryStorage


@pytest.fixture()
def limited_app(app_config, _schema):
    config = dict(app_config, RATELIMIT_STORAGE_URI="vbhc-memory://", RATELIMIT_LAUNCH="3 per 2 seconds")
    return create_app(config)


def login(client):
    """An OIDC login initiation from an unknown platform: refused, but counted all the same."""
    return client.post("/lti/login", data={"iss": "https://unknown.example", "login_hint": "u",
                                           "target_link_uri": "https://tool.example/lti/launch"})


def test_it_is_the_default_without_redis():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None})
    assert app.config["RATELIMIT_STORAGE_URI"] == "vbhc-memory://"
    assert isinstance(limiter.storage, InlineSweepMemoryStorage)


def test_the_limit_holds_and_expires_without_a_timer_thread_per_request(limited_app):
    client = limited_app.test_client()
    storage = limiter.storage
    assert isinstance(storage, InlineSweepMemoryStorage)
    timer = storage.timer                      # the one MemoryStorage starts in its constructor
    threads_before = threading.active_count()
    assert [login(client).status_code for _ in range(3)] == [400, 400, 400]
    refused = login(client)
    assert refused.status_code == 429 and refused.headers.get("Retry-After")
    assert storage.timer is timer              # limits' own store would have started a Timer per request
    assert threading.active_count() <= threads_before
    time.sleep(2.1)                            # the window has passed: counted afresh
    assert login(client).status_code == 400
    # The sweep (inline, at most once a second) has dropped the expired window's counter.
    assert all(expiry > time.time() for expiry in storage.expirations.values())
    assert len(storage.storage) == 1
