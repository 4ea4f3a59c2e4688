"""A question type is one class: register a toy type here and the catalog checks it, the post-test
page shows and marks it, the result page reviews it and GIFT carries it there and back."""
from __future__ import annotations

import shutil

import pytest

from elearn.catalog.validate import check_directory
from elearn.questions import TYPES, QuestionType, Score, register, unregister
from elearn.questions.base import one_value, own_parts
from elearn.questions.fields import field_name
from elearn.questions.gift import export_gift, import_gift
from elearn.questions.messages import N_, ResponseError
from elearn.catalog.loader import load_directory
from launch_support import browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import MODULE, VALID, _attempt, answers, attempt_id_of, begin, form_token, launch_learner

TOY_ITEM = """\
  - id: count-1
    type: count
    objective: explain-idea
    source: {doc: "002", section: "Advies 2"}
    prompt: {nl: "Hoeveel pijlers heeft het advies?", en: "How many pillars does the advice have?"}
    explanation: {nl: "Uitleg.", en: "Explanation."}
    count: COUNT
"""


class Count(QuestionType):
    """How many? A whole number, right only when exact (a toy: not one of the product's types)."""

    name = "count"
    required_keys = ("count",)
    gift_order = 5   # before numeric, which would claim the {#=…} block

    def check(self, fields):
        fields.integer("count", 0, 1000)

    def normalise_response(self, item, raw, order=None):
        typed = one_value(own_parts(item, raw, {None}).get(None, []), N_("Give one number."))
        if typed is not None and not (typed.isascii() and typed.isdigit()):
            raise ResponseError("not_a_count", N_("Give a whole number."))
        return None if typed is None else int(typed)

    def score(self, item, response):
        ok = response == item["count"]
        return Score(int(ok), 1, answered=response is not None)

    def perfect_response(self, item):
        return item["count"]

    def to_form(self, item, response, order=None):
        return {field_name(item["id"]): [] if response is None else [str(response)]}

    def present(self, item, options, values, page):
        return {"widget": "number", "value": (values.get(field_name(item["id"])) or [""])[0], "unit": ""}

    def review(self, item, options, response, right, page):
        return {"widget": "number", "given": response, "answer": item["count"], "tolerance": 0, "unit": ""}

    def gift_recognises(self, answers, declared):
        return declared == "count"

    def gift_write(self, item, lang):
        return [], ["#", f"={item['count']}"]

    def gift_read(self, block, answers, pos):
        return {"count": int("".join(answers.split()).lstrip("#="))}


@pytest.fixture()
def toy_type():
    """The toy type registered for one test."""
    register(Count)
    yield TYPES["count"]
    unregister("count")


def _courses(tmp_path, count="3", draw=13):
    """The valid fixture courses with one toy item added to alpha-value's pool (drawn every time)."""
    root = tmp_path / "courses"
    shutil.copytree(VALID, root)
    quiz = root / "modules" / MODULE / "quiz.yaml"
    text = quiz.read_text(encoding="utf-8").replace("draw: 8", f"draw: {draw}", 1)
    quiz.write_text(text.rstrip("\n") + "\n" + TOY_ITEM.replace("COUNT", count), encoding="utf-8")
    return root, quiz


def test_the_catalog_asks_the_registry(tmp_path):
    root, quiz = _courses(tmp_path)
    problems = [p for p in check_directory(root).problems.errors if p.path.endswith("quiz.yaml")]
    assert sorted(p.rule for p in problems) == ["quiz.type", "schema.unknown-key"]   # and its key is nobody's
    assert any("type 'count' must be one of: single, multiple, truefalse, matching, ordering, numeric" in p.message
               for p in problems)


def test_the_catalog_checks_a_registered_type_by_its_own_rules(tmp_path, toy_type):
    root, _ = _courses(tmp_path)
    assert check_directory(root).problems.errors == []

    root, quiz = _courses(tmp_path / "bad", count="many")
    [problem] = [p for p in check_directory(root).problems.errors if p.path.endswith("quiz.yaml")]
    line = quiz.read_text(encoding="utf-8").splitlines().index("    count: many") + 1
    assert (problem.line, problem.rule) == (line, "schema.type")
    assert problem.message == "item 'count-1': 'count' must be a whole number"


def test_gift_round_trips_a_registered_type(toy_type):
    item = {"id": "count-1", "type": "count", "objective": "explain-idea", "source": {"doc": "002"},
            "prompt": {"en": "How many pillars?"}, "count": 3}
    text = export_gift({"items": [item]}, "en")
    assert "// [type] count" in text and "{\n\t#\n\t=3\n}" in text
    assert import_gift(text, "en") == [item]


def test_the_post_test_page_shows_marks_and_reviews_a_registered_type(app, toy_type, tool, platform, browser,
                                                                      tmp_path):
    root, _ = _courses(tmp_path)
    with app.app_context():
        load_directory(root)
    _, lt = launch_learner(platform, browser, locale="en", resource_link_id="rl-toy")
    page = begin(browser, tool, lt)
    assert "How many pillars does the advice have?" in page.text
    assert 'inputmode="decimal"' in page.text and 'name="q.count-1"' in page.text   # the number widget

    attempt_id = attempt_id_of(page)
    data = dict(answers(_attempt(tool, attempt_id)), lt=lt, token=form_token(page.text))
    assert data["q.count-1"] == ["3"]                 # the type's perfect response, as its form posts it
    review = browser.post(f"{tool.url}/post-test/{attempt_id}", data=data)
    assert "/review" in review.url, review.text[:500]
    result = browser.post(f"{tool.url}/post-test/{attempt_id}/submit",
                          data={"lt": lt, "token": form_token(review.text)})
    assert "100%" in result.text and "Passed" in result.text   # marked by the type: right
    shown = result.text[result.text.index("How many pillars does the advice have?"):][:600]
    assert "Your answer: <strong>3</strong>" in shown and "Correct answer: <strong>3</strong>" in shown
