"""The database fixtures of conftest.py. The rollback `db` fixture: the code's commits and rollbacks
behave as usual inside the test, nothing reaches the database, and servers in threads are refused
(they would not see the rows). The emptying between committed tests: no rows left, ids restart.
Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from conftest import _empty_all_tables, _rolled_back
from elearn import create_app
from elearn.catalog.loader import load_directory
from elearn.catalog.models import Course
from elearn.extensions import db
from lti.models import Platform
from lti.registry import add_platform
from quiz_support import VALID


def _courses() -> int:
    return db.session.scalar(select(func.count()).select_from(Course))


def _add_platform(n: int) -> int:
    stored = add_platform(db.session, issuer=f"https://lms{n}.example", client_id="c", deployment_ids=["d"],
                          auth_login_url="https://lms.example/login", auth_token_url="https://lms.example/token",
                          key_set_url="https://lms.example/jwks", name=f"LMS {n}")
    db.session.commit()
    return stored.id


def test_commits_inside_a_rollback_test_are_seen_there_and_gone_afterwards(app_config, _schema):
    app = create_app(dict(app_config))
    with app.app_context():
        _schema.ensure_empty()
    with _rolled_back(app):
        with app.app_context():
            load_directory(VALID)                # commits (releases its savepoint)
            loaded = _courses()
        assert loaded > 0
        with app.app_context():                  # another app context: its own session, same transaction
            assert _courses() == loaded
            db.session.add(Course(id=db.session.scalars(select(Course.id)).first(), phase="1",
                                  content_hash="x", data={}))
            with pytest.raises(IntegrityError):  # a failing commit rolls back to its savepoint only
                db.session.commit()
            db.session.rollback()
            assert _courses() == loaded
        with app.test_request_context():         # what a request of the test client sees
            assert _courses() == loaded
    with app.app_context():                      # a connection of its own: nothing was committed
        assert _courses() == 0
        db.session.remove()
        db.engine.dispose()


def test_the_db_fixture_runs_the_test_in_a_rolled_back_transaction(db, app, client):
    with app.app_context():
        load_directory(VALID)
        _add_platform(1)
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        assert _courses() > 0
        with db.engine.connect() as other:       # another connection does not see uncommitted rows
            assert other.scalar(select(func.count()).select_from(Course)) == 0


def test_a_committed_test_after_a_rollback_test_starts_empty(app):
    with app.app_context():
        assert _courses() == 0                   # the rows of the test above were rolled back
        assert _add_platform(1) == 1             # and on PostgreSQL its id sequence restarted
        load_directory(VALID)                    # committed for real: the next test must empty them


def test_a_rollback_test_after_a_committed_one_starts_empty(db, app):
    with app.app_context():
        assert _courses() == 0


def test_live_server_refuses_a_rollback_app(db, request):
    with pytest.raises(pytest.fail.Exception, match="rolled-back transaction"):
        request.getfixturevalue("live_server")


def test_emptying_deletes_every_row_and_restarts_the_ids(app):
    with app.app_context():
        load_directory(VALID)
        first = _add_platform(1)
        assert _add_platform(2) == first + 1
        _empty_all_tables()
        assert _courses() == 0 and db.session.scalar(select(func.count()).select_from(Platform)) == 0
        assert _add_platform(3) == first     # as after TRUNCATE … RESTART IDENTITY
