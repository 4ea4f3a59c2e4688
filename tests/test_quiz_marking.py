"""Reading a whole post against the stored paper, and marking the paper exactly."""
import json
from fractions import Fraction

import pytest
from werkzeug.datastructures import MultiDict

from elearn import questions as types
from elearn.quizzes.draw import draw_paper
from elearn.quizzes.examples import example_pool
from elearn.quizzes.marking import mark_paper, read_post
from elearn.questions.messages import ResponseError

POOL = example_pool()


def perfect_form(pool, paper):
    """The form values of a page answered perfectly."""
    form = MultiDict([("lt", "launch-token"), ("csrf_token", "x")])
    for item in pool["items"]:
        if item["id"] in paper.items:
            for name, values in types.to_form(item, types.perfect_response(item), paper.order_of(item["id"])).items():
                for value in values:
                    form.add(name, value)
    return form


def test_a_perfect_post_scores_100_and_passes():
    paper = draw_paper(POOL, 6, 11)
    post = read_post(POOL, paper, perfect_form(POOL, paper))
    assert post.errors == {} and set(post.responses) == set(paper.items)
    result = mark_paper(POOL, paper, post.responses)
    assert (result.percent, result.passed(70), result.possible) == (100.0, True, 6)


def test_an_answer_to_an_item_not_on_the_paper_is_refused():
    paper = draw_paper(POOL, 6, 11)
    off_paper = next(i for i in POOL["items"] if i["id"] not in paper.items)
    form = {types.to_form(off_paper, types.perfect_response(off_paper)).popitem()[0]: "a"}
    with pytest.raises(ResponseError) as caught:
        read_post(POOL, paper, form)
    assert caught.value.code == "item_not_on_paper"
    with pytest.raises(ResponseError):
        read_post(POOL, paper, {"q.not-in-the-pool": "a"})


def test_problems_within_items_are_collected_and_good_answers_kept():
    paper = draw_paper(POOL, 8, 2)
    form = {"q.value-definition": "zz", "q.value-ratio": "twelve", "q.prom-owner": "false"}
    post = read_post(POOL, paper, form)
    assert {k: e.code for k, e in post.errors.items()} == {"value-definition": "unknown_choice",
                                                           "value-ratio": "not_a_number"}
    assert post.responses["prom-owner"] == "false" and post.responses["outcome-tiers"] is None


def test_unanswered_items_score_zero_and_totals_are_exact():
    paper = draw_paper(POOL, 8, 2)
    result = mark_paper(POOL, paper, {"outcome-tiers": ["a", "b"], "prom-owner": "false"})
    # outcome-tiers: 2 of 3 correct, none wrong → 2/3; prom-owner right → 1; six blanks → 0
    assert result.earned == Fraction(2, 3) + 1
    assert result.percent == pytest.approx(100 * (5 / 3) / 8)
    assert not result.scores["value-definition"].answered


def test_pass_mark_comparison_is_exact():
    items = [{"id": f"m{n}", "type": "multiple", "objective": "o", "correct": ["a", "b", "c"],
              "choices": [{"id": c} for c in "abcd"]} for n in range(3)]
    pool = {"draw": 3, "items": items}
    paper = draw_paper(pool, 3, 0)
    result = mark_paper(pool, paper, {f"m{n}": ["a", "b"] for n in range(3)})
    assert result.earned == 2                       # 3 × 2/3, no floating-point residue
    assert result.passed(Fraction(200, 3)) and not result.passed(66.67)   # exactly 66⅔ %
    seven_of_ten = {"draw": 10, "items": [{"id": f"s{n}", "type": "single", "objective": "o", "correct": ["a"],
                                           "choices": [{"id": "a"}, {"id": "b"}]} for n in range(10)]}
    paper = draw_paper(seven_of_ten, 10, 0)
    result = mark_paper(seven_of_ten, paper, {f"s{n}": "a" for n in range(7)})
    assert result.percent == 70.0 and result.passed(70) and not result.passed(70.5)


def test_result_serialises_for_the_attempt():
    paper = draw_paper(POOL, 6, 1)
    first = next(i for i in POOL["items"] if i["id"] == paper.items[0])
    result = mark_paper(POOL, paper, {first["id"]: types.perfect_response(first)})
    data = json.loads(json.dumps(result.to_dict()))
    assert [row["item"] for row in data["items"]] == list(paper.items)     # paper order survives JSONB
    assert data["earned"] == "1" and data["possible"] == 6
    assert list(result.marks()) == list(paper.items) and sum(result.marks().values()) == 1
