"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL via TEST_DATABASE_URL),
the app, a client, a CLI runner, and the app served over real HTTP on loopback."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from elearn import create_app
from elearn.extensions import db


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Where this test run's database lives."""
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app_config(database_url) -> dict:
    """Settings every test app shares; tests may copy and extend it."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("TEST_REDIS_URL") or None,
        "DEMO_LMS": True,
        "SERVER_NAME": None,
        # Tests deliver grades explicitly (deliver_due), so each step is seen; one test turns it on.
        "GRADES_INLINE": False,
        "GRADES_BACKOFF_BASE": 0.01,
        # Hundreds of launches from 127.0.0.1 per run; the limits have a test of their own.
        "RATELIMIT_STORAGE_URI": "vbhc-memory://",  # the in-process store of production (elearn.ratelimit_storage)
        "RATELIMIT_LAUNCH": "100000 per minute",
        "RATELIMIT_REGISTRATION": "100000 per hour",
        # The demo platform of the tests lives on 127.0.0.1; the attack tests turn this off.
        "LTI_REGISTRATION_ALLOW_PRIVATE": True,
        "RATELIMIT_ADMIN_LOGIN": "100000 per hour",
        "RATELIMIT_ADMIN_ACCOUNT": "100000 per hour",
    }


@pytest.fixture(scope="session")
def _schema(app_config):
    """Create the schema once per run (the migration test checks migrations match it)."""
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    yield


def _empty_all_tables() -> None:
    """Delete every row, children first, so each test starts from an empty database."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql" and tables:
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture()
def app(app_config, _schema) -> Iterator:
    """A fresh app over an emptied database."""
    app = create_app(dict(app_config))
    with app.app_context():
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def client(app):
    """Flask test client (in-process, no network)."""
    return app.test_client()


@pytest.fixture()
def runner(app):
    """Runner for `flask --app elearn …` commands."""
    return app.test_cli_runner()


class LiveServer:
    """A WSGI app served on 127.0.0.1 in a background thread, over real HTTP."""

    def __init__(self, wsgi_app, host: str = "127.0.0.1"):
        self.app = wsgi_app
        self._server = make_server(host, 0, wsgi_app, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        # A short poll interval makes stop() take milliseconds instead of half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self) -> "LiveServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture()
def live_server(app) -> Iterator[LiveServer]:
    """The tool served over real HTTP on loopback."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture()
def platform(request):
    """A real LTI 1.3 platform served on loopback: demolms (demolms/testing.py), or with
    launch_support.every_platform also Open edX's consumer and lti1p3platform (tests/platforms/)."""
    from platforms import start

    server = start(getattr(request, "param", "demolms"))
    yield server
    server.stop()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (skipped where it is not installed,
    unless REQUIRE_BROWSER=1, as in CI, which makes a missing browser a failure)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; apt-get install chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
