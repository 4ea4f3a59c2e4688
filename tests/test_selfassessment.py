"""Team self-assessment: scoring per domain, the weak-domain rule, recommendations, storage."""
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from checked_content import load_checked
from elearn.catalog.models import get_document
from elearn.extensions import db
from elearn.selfassessment.models import SelfAssessmentResult
from elearn.selfassessment.scoring import WEAK_BELOW, read_answers, score
from launch_support import browser, lt_of, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


@pytest.fixture()
def loaded(app):
    """The valid fixture courses loaded into the database."""
    with app.app_context():
        load_checked(VALID)
    return app


def _questions(definition) -> dict[str, list[str]]:
    return {d["id"]: [q["id"] for q in d["questions"]] for d in definition["domains"]}


def _form(definition, value_for) -> dict[str, str]:
    """Form data answering every question with value_for(domain_id, index)."""
    return {f"q-{q}": str(value_for(domain, i))
            for domain, questions in _questions(definition).items() for i, q in enumerate(questions)}


def test_scores_are_percent_of_maximum_and_weak_below_50(loaded):
    with loaded.app_context():
        definition = get_document("self-assessment")
        planned = {
            "multidisciplinary-team": [2, 2, 2, 2, 2, 2],   # 12 of 12 → 100%
            "care-pathways-outcomes": [1, 1, 1],            # 3 of 6 → 50%: not weak (the rule is < 50)
            "costs-funding": [1, 0, 0, 0],                  # 1 of 8 → 12%
        }
        answers, missing = read_answers(definition, _form(definition, lambda d, i: planned[d][i] if d in planned else 0))
        assert missing == []
        results = {r.id: r for r in score(definition, answers, "en")}
        assert (results["multidisciplinary-team"].points, results["multidisciplinary-team"].maximum) == (12, 12)
        assert results["multidisciplinary-team"].percent == 100 and not results["multidisciplinary-team"].weak
        assert results["care-pathways-outcomes"].percent == 50 == WEAK_BELOW
        assert not results["care-pathways-outcomes"].weak and results["care-pathways-outcomes"].recommended == []
        assert results["costs-funding"].percent == 12 and results["costs-funding"].weak
        assert results["costs-funding"].recommended == [{"id": "alpha-value", "title": "Value and outcomes"}]
        assert [r["id"] for r in results["it-data"].recommended] == ["gamma-data"]
        assert len(results) == 7


def test_invalid_and_missing_answers_are_reported(loaded):
    with loaded.app_context():
        definition = get_document("self-assessment")
        form = _form(definition, lambda d, i: 1)
        form["q-it-data-q1"] = "7"              # not on the scale
        del form["q-costs-funding-q2"]
        answers, missing = read_answers(definition, form)
        assert set(missing) == {"it-data-q1", "costs-funding-q2"} and len(answers) == 23


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_anonymous_submission_shows_results_and_stores_nothing(loaded, client):
    page = client.get("/self-assessment?lang=en").get_data(as_text=True)
    assert page.count("<fieldset") == 7 and page.count('type="radio"') == 25 * 3
    assert "Your answers are not stored." in page
    with loaded.app_context():
        definition = get_document("self-assessment")
    data = dict(_form(definition, lambda d, i: 2 if d == "it-data" else 0), csrf_token=_csrf(page))
    resp = client.post("/self-assessment?lang=en", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "A domain below 50% counts as weak" in html
    assert '<canvas id="radar"' in html and "vendor/chart.umd.js" in html
    assert re.search(r"Domain it-data</th>\s*<td><strong>100%</strong>", html)
    assert 'href="/modules/beta-teams"' in html            # recommended for the weak team domain
    with loaded.app_context():
        assert db.session.scalar(select(func.count()).select_from(SelfAssessmentResult)) == 0


@pytest.mark.usefixtures("db")
def test_before_the_first_load_the_page_and_a_post_say_it_is_not_loaded(client):
    for resp in (client.get("/self-assessment?lang=en"), client.post("/self-assessment?lang=en", data={"q-x": "1"})):
        assert resp.status_code == 503
        assert "The self-assessment is not loaded yet" in resp.get_data(as_text=True)


def test_submission_without_csrf_token_is_refused(loaded, client):
    with loaded.app_context():
        definition = get_document("self-assessment")
    resp = client.post("/self-assessment", data=_form(definition, lambda d, i: 1))
    assert resp.status_code == 400


def test_unanswered_questions_keep_the_given_answers(loaded, client):
    page = client.get("/self-assessment?lang=en").get_data(as_text=True)
    resp = client.post("/self-assessment?lang=en", data={"csrf_token": _csrf(page), "q-it-data-q1": "2"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Answer the 24 remaining questions" in html
    assert re.search(r'name="q-it-data-q1" value="2" checked', html)
    assert 'href="#q-it-data-q2-0"' in html


def test_launched_user_keeps_the_latest_result(loaded, tool, platform, browser):
    landing = platform.launch(browser, role="learner", locale="en", custom={"module": "alpha-value"})
    token = lt_of(landing.url)
    with loaded.app_context():
        definition = get_document("self-assessment")
    url = f"{tool.url}/self-assessment"
    first = browser.post(url, data=dict(_form(definition, lambda d, i: 0), lt=token))
    assert urlsplit(first.url).path == "/self-assessment" and lt_of(first.url) == token
    assert "Saved on" in first.text and "Your latest result is kept" in first.text
    second = browser.post(url, data=dict(_form(definition, lambda d, i: 2), lt=token))
    assert "No weak domains" in second.text
    with loaded.app_context():
        rows = db.session.scalars(select(SelfAssessmentResult)).all()
        assert len(rows) == 1 and set(rows[0].scores.values()) == {100}
    again = browser.get(url, params={"lt": token})
    assert re.search(r'name="q-it-data-q1" value="2" checked', again.text)
