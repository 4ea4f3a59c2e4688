"""Lesson progress: a learner launched from a real LTI platform opens lessons and marks them done."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from checked_content import load_checked
from elearn.catalog.models import Module
from elearn.extensions import db
from elearn.learning.models import LessonProgress
from elearn.learning.progress import completion, record_lesson
from activities_support import give_activities
from launch_support import browser, lt_of, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


@pytest.fixture()
def loaded(app):
    """The valid fixture courses loaded into the database."""
    with app.app_context():
        load_checked(VALID)
    return app


def _rows(app) -> dict[str, bool]:
    with app.app_context():
        return {row.lesson_id: row.completed_at is not None
                for row in db.session.scalars(select(LessonProgress).where(LessonProgress.module_id == "alpha-value"))}


def test_launched_learner_marks_lessons_done(loaded, tool, platform, browser):
    give_activities(loaded, activities=None)     # lessons only (with activities: test_learning_activities)
    resp = platform.launch(browser, role="learner", locale="en", custom={"module": "alpha-value"})
    assert urlsplit(resp.url).path == "/modules/alpha-value"
    assert "0 of 2 lessons done" in resp.text and "reading without signing in" not in resp.text
    token = lt_of(resp.url)

    lesson = browser.get(f"{tool.url}/modules/alpha-value/lessons/first-lesson", params={"lt": token})
    assert lesson.status_code == 200
    assert f'name="lt" value="{token}"' in lesson.text
    assert _rows(loaded) == {"first-lesson": False}                      # opened, not done

    done = browser.post(f"{tool.url}/modules/alpha-value/lessons/first-lesson/done", data={"lt": token})
    assert urlsplit(done.url).path == "/modules/alpha-value/lessons/second-lesson"
    assert lt_of(done.url) == token                                      # the redirect carries the launch
    assert _rows(loaded) == {"first-lesson": True, "second-lesson": False}

    again = browser.post(f"{tool.url}/modules/alpha-value/lessons/first-lesson/done", data={"lt": token})
    assert again.status_code == 200 and _rows(loaded) == {"first-lesson": True, "second-lesson": False}

    last = browser.post(f"{tool.url}/modules/alpha-value/lessons/second-lesson/done", data={"lt": token})
    assert urlsplit(last.url).path == "/modules/alpha-value/post-test"    # then on to the post-test
    module = browser.get(f"{tool.url}/modules/alpha-value", params={"lt": token})
    assert "2 of 2 lessons done" in module.text and 'aria-valuenow="100"' in module.text


def test_done_form_without_launch_token_is_refused(loaded, tool, platform, browser):
    resp = platform.launch(browser, role="learner", locale="nl", custom={"module": "alpha-value"})
    assert resp.status_code == 200
    # A cross-site form would carry the session cookie but not the token.
    refused = browser.post(f"{tool.url}/modules/alpha-value/lessons/first-lesson/done", data={})
    assert refused.status_code in (400, 401)
    assert all(not done for done in _rows(loaded).values())


def test_progress_service_is_idempotent_and_counts_current_lessons(loaded):
    from elearn.launch.models import User
    from lti.registry import add_platform

    with loaded.app_context():
        platform = add_platform(db.session, issuer="https://lms.example", client_id="c", deployment_ids=["d"],
                                auth_login_url="https://lms.example/a", auth_token_url="https://lms.example/t",
                                key_set_url="https://lms.example/k")
        user = User(platform_id=platform.id, sub="u1")
        db.session.add(user)
        db.session.commit()
        module = db.session.get(Module, "alpha-value")
        record_lesson(user.id, module, "first-lesson")
        record_lesson(user.id, module, "first-lesson", done=True)
        record_lesson(user.id, module, "first-lesson", done=True)
        record_lesson(user.id, module, "retired-lesson", done=True)  # a lesson id from an older version
        progress = completion(user.id, "alpha-value", ["first-lesson", "second-lesson"])
        assert (progress.done_count, progress.total, progress.percent) == (1, 2, 50)
        rows = db.session.scalars(select(LessonProgress).where(LessonProgress.user_id == user.id)).all()
        assert len(rows) == 2 and all(r.version_id == module.current_version_id for r in rows)
