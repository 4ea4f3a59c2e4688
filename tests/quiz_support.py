"""Helpers for post-test tests: load the fixture courses, take an attempt as a browser would."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checked_content import load_checked
from elearn.extensions import db
from elearn.grades.models import GradeDelivery
from elearn.quizzes.draw import Paper, render_paper
from elearn.quizzes.models import Attempt
from elearn.questions import perfect_response, to_form
from launch_support import lt_of

VALID = Path(__file__).parent / "fixtures" / "courses_valid"
MODULE = "alpha-value"


@pytest.fixture()
def loaded(app):
    """The valid fixture courses loaded into the database."""
    with app.app_context():
        load_checked(VALID)
    return app


def launch_learner(platform, browser, **options):
    """A learner launch on the alpha-value placement; returns (module page response, lt)."""
    options.setdefault("custom", {"module": MODULE})
    options.setdefault("locale", "en")
    resp = platform.launch(browser, role=options.pop("role", "learner"), **options)
    assert resp.status_code == 200, resp.text[:500]
    return resp, lt_of(resp.url)


def begin(browser, tool, lt, module=MODULE):
    """POST the start form; returns the attempt page response."""
    return browser.post(f"{tool.url}/modules/{module}/post-test", data={"lt": lt})


def attempt_id_of(resp) -> int:
    """The attempt id in an attempt page URL."""
    return int(re.search(r"/post-test/(\d+)", resp.url).group(1))


def form_token(html: str) -> str:
    """The attempt's submit token in a page."""
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def latest_attempt(app) -> Attempt:
    """The newest attempt (detached, with its paper and quiz)."""
    with app.app_context():
        attempt = db.session.scalars(select(Attempt).order_by(Attempt.id.desc())).first()
        attempt.version.quiz  # noqa: B018 (load before detaching)
        db.session.expunge_all()
        return attempt


def answers(attempt: Attempt, right: int | None = None) -> dict[str, list[str]]:
    """Form values answering the first `right` questions perfectly (all when None), the rest blank."""
    values: dict[str, list[str]] = {}
    for index, shown in enumerate(render_paper(attempt.version.quiz, Paper.from_dict(attempt.paper))):
        if right is None or index < right:
            values.update(to_form(shown.item, perfect_response(shown.item), shown.order))
    return values


def take(browser, tool, lt, right: int | None = None, module: str = MODULE):
    """Start, answer, review and submit an attempt; returns (result response, attempt)."""
    page = begin(browser, tool, lt, module)
    assert page.status_code == 200, page.text[:500]
    attempt_id = attempt_id_of(page)
    app_attempt = _attempt(tool, attempt_id)
    data = dict(answers(app_attempt, right), lt=lt, token=form_token(page.text))
    review = browser.post(f"{tool.url}/post-test/{attempt_id}", data=data)
    assert review.status_code == 200 and "/review" in review.url, review.text[:500]
    result = browser.post(f"{tool.url}/post-test/{attempt_id}/submit", data={"lt": lt, "token": form_token(review.text)})
    assert result.status_code == 200 and result.url.split("?")[0].endswith("/result"), result.text[:500]
    return result, app_attempt


def _attempt(tool, attempt_id: int) -> Attempt:
    """An attempt read through the tool's app (set by the `tool_app` attribute of the test)."""
    with tool.app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.version.quiz  # noqa: B018
        db.session.expunge_all()
        return attempt


def count(app, model=GradeDelivery, **where) -> int:
    """Rows of a model, optionally filtered."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))
