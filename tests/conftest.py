"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL via TEST_DATABASE_URL),
the app, a client, a CLI runner, and the app served over real HTTP on loopback."""
from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from cryptography.hazmat.primitives import serialization
from flask_sqlalchemy.session import Session
from jwcrypto.jwk import JWK
from sqlalchemy import exists, func, literal, select, union_all
from werkzeug.serving import make_server

import demolms.keys
import lti.keys
from elearn import create_app
from elearn.extensions import db


# Markers that imply `slow`, so `-m "not slow"` (the inner loop) leaves them out too. A browser test
# starts the tool in a thread and Chromium, and walks a whole journey page by page: 2–25 s each, a
# third of the suite's time in a tenth of its tests.
SLOW_KINDS = ("cluster", "atheris", "browser")


def pytest_collection_modifyitems(items) -> None:
    """Cluster, atheris and browser tests are slow by nature: mark them so."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)


# Real 2048-bit RSA keys generated so far in this run, as PEM: each test is handed the same keys in
# the same order (new ones are generated when a test needs more than any before it).
_RSA_KEYS: list[bytes] = []
_generate_rsa = demolms.keys.generate_private_key   # the real one, before any test replaces it


def _rsa_key(index: int):
    """The index-th key of the run (a cryptography private key)."""
    while len(_RSA_KEYS) <= index:
        _RSA_KEYS.append(demolms.keys.private_pem(_generate_rsa()).encode())
    return serialization.load_pem_private_key(_RSA_KEYS[index], password=None)


@pytest.fixture(autouse=True)
def _rsa_keys_reused_across_tests(monkeypatch):
    """Every test used to generate its tool's two keys and its platform's key (0.1-0.3 s each on a
    busy machine, in 300 tests): hand out keys generated once per run instead. Within a test they
    are distinct, as generated keys are (rotation tests rotate to a key never seen before in the
    test); the tables are emptied between tests, so no test sees another's keys. The code that
    generates them ran, for real, the first time."""
    handed = itertools.count()

    class ReusedJWK(JWK):
        @classmethod
        def generate(cls, **params):
            if params.get("kty") != "RSA" or params.get("size", 2048) != 2048:
                return JWK.generate(**params)
            return JWK.from_pyca(_rsa_key(next(handed)))

    monkeypatch.setattr(lti.keys, "JWK", ReusedJWK)
    monkeypatch.setattr(demolms.keys, "generate_private_key", lambda: _rsa_key(next(handed)))


# pytest-xdist's worker name ("gw0", "gw1", …), empty in a run without -n. Each worker empties and
# rolls back its database on its own schedule, so workers must never share a database or Redis keys.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return _worker_database(url) if WORKER else url
    # tmp_path_factory's base directory is already one per xdist worker: one SQLite file each.
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _worker_database(url: str) -> str:
    """TEST_DATABASE_URL's database with this worker's suffix (`test_gw0`), created on TEST_DATABASE_URL's
    server when it is not there yet (later runs reuse it; the schema is created anew each run)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{WORKER}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


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
        # One Redis database for the run: each xdist worker keeps its keys under a prefix of its own.
        "LTI_REDIS_PREFIX": f"vbhc:lti:{WORKER}:" if WORKER else "vbhc:lti:",
        "RATELIMIT_KEY_PREFIX": f"test-{WORKER}" if WORKER else "",
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


class DatabaseState:
    """Whether the test database is known to be empty, so a test empties it only when an earlier
    test may have committed rows (a rollback test leaves nothing behind)."""

    def __init__(self) -> None:
        self.empty = True

    def ensure_empty(self) -> None:
        """Empty every table (within an app context) unless it is known to be empty already."""
        if not self.empty:
            _empty_all_tables()
            self.empty = True


DATABASE = DatabaseState()


@pytest.fixture(scope="session")
def _schema(app_config) -> Iterator[DatabaseState]:
    """Create the schema once per run (the migration test checks migrations match it)."""
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    DATABASE.empty = True
    yield DATABASE


@pytest.fixture(autouse=True)
def _committed_rows_make_the_database_dirty(request):
    """A test that reaches the test database other than through the rollback `db` fixture (the
    `app` fixture, or an app of its own on `app_config`) may leave committed rows behind."""
    yield
    if "database_url" in request.fixturenames and "db" not in request.fixturenames:
        DATABASE.empty = False


def _empty_all_tables() -> None:
    """Delete every row, children first, so each test starts from an empty database, and restart
    PostgreSQL's id sequences (as SQLite's rowids restart; a rolled-back insert advances them too),
    so ids are the same on both. Only the tables holding rows are deleted from: one query finds
    them, and DELETE on a few small tables takes milliseconds where TRUNCATE of all of them took
    1.5 s per test on PostgreSQL."""
    tables = list(reversed(db.metadata.sorted_tables))
    if not tables:
        return
    probes = [select(literal(t.name)).where(exists(select(literal(1)).select_from(t))) for t in tables]
    filled = set(db.session.scalars(union_all(*probes)))
    for table in tables:
        if table.name in filled:
            db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        restarts = [func.setval(func.pg_get_serial_sequence(f'"{t.name}"', t.autoincrement_column.name), 1, False)
                    for t in tables if t.autoincrement_column is not None]
        if restarts:
            db.session.execute(select(*restarts))
    db.session.commit()


class _JoinedSession(Session):
    """db.session during a rollback test: every statement goes through the test's one connection,
    whatever engine Flask-SQLAlchemy would pick (its get_bind ignores the session's bind)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


# Apps whose db.session is joined to a rolled-back transaction; live_server refuses them.
_ROLLBACK_APPS: "weakref.WeakSet" = weakref.WeakSet()


@contextmanager
def _rolled_back(app) -> Iterator[None]:
    """Indico's pattern: one connection, an outer transaction that is rolled back at the end, and
    db.session (every app context's) joined to it with a SAVEPOINT per session transaction, so the
    code's commit() and rollback() behave as usual and nothing outlives the test."""
    with app.app_context():
        connection = db.engine.connect()
    dbapi = connection.connection.dbapi_connection
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite defers BEGIN until the first write, so the first SAVEPOINT would open (and its
        # RELEASE commit) the real transaction; emit BEGIN ourselves so every SAVEPOINT nests in it.
        legacy_isolation = dbapi.isolation_level
        dbapi.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    original = db.session
    db.session = db._make_scoped_session({"class_": _JoinedSession, "bind": connection,
                                          "join_transaction_mode": "create_savepoint"})
    _ROLLBACK_APPS.add(app)
    try:
        yield
    finally:
        # Each app context removed its own session on teardown; nothing is left to close.
        db.session = original
        outer.rollback()
        if not sqlite:
            DATABASE.empty = False  # its inserts advanced the id sequences; restart them
        if sqlite:
            dbapi.isolation_level = legacy_isolation
        connection.close()


@pytest.fixture()
def app(request, app_config, _schema) -> Iterator:
    """A fresh app over an empty database. Rows its code commits are real (other connections,
    threads and processes see them) unless the test also uses the `db` fixture, which rolls
    everything back instead."""
    app = create_app(dict(app_config))
    with app.app_context():
        _schema.ensure_empty()
    _empty_redis(app_config)
    if "db" in request.fixturenames:
        with _rolled_back(app):
            yield app
    else:
        _schema.empty = False
        yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_redis(config: dict) -> None:
    """Drop this worker's keys from the test Redis, as the tables are emptied: ids restart with
    every test, so an access token cached for platform 1 by an earlier test (another platform,
    another key) would otherwise be sent to this test's platform 1 and refused."""
    if not config.get("REDIS_URL"):
        return
    client = redis.Redis.from_url(config["REDIS_URL"])
    try:
        keys = list(client.scan_iter(config["LTI_REDIS_PREFIX"] + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(name="db")
def rollback_db(app):
    """Rollback isolation: the test's database work (its own and the code's, through the Flask
    test client or CLI runner) happens in one transaction rolled back afterwards, instead of
    committing and emptying every table. Faster, but only for in-process tests: a server in a
    thread or a subprocess would not see the rows, so live_server refuses such an app. Returns the
    Flask-SQLAlchemy extension (the same object as elearn.extensions.db)."""
    return db


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
    if app in _ROLLBACK_APPS:
        pytest.fail("live_server serves other threads, which cannot see a rolled-back transaction: "
                    "use the app fixture without db (committed rows, tables emptied)")
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
