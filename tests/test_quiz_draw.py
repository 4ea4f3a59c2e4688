"""Drawing papers: balance over objectives, shuffling with pinned options, stored orders."""
import json
import random
from collections import Counter

import pytest

from elearn.quizzes.draw import Paper, draw_paper, render_paper
from elearn.quizzes.examples import example_pool
from elearn.questions.messages import PaperError


def single(item_id, objective, choices=("a", "b", "c", "d"), pinned=()):
    """A single-choice item with the given choice ids."""
    return {"id": item_id, "type": "single", "objective": objective, "correct": [choices[0]],
            "choices": [{"id": c, **({"pinned": True} if c in pinned else {})} for c in choices]}


def pool_of(counts):
    """A pool with counts[objective] single items per objective, interleaved."""
    items = [single(f"{obj}-{n}", obj) for obj, count in counts.items() for n in range(count)]
    return {"draw": 4, "items": items}


def objectives_of(pool, paper):
    """How many drawn items each objective got."""
    by_id = {i["id"]: i["objective"] for i in pool["items"]}
    return Counter(by_id[i] for i in paper.items)


def test_draw_is_balanced_round_robin_over_objectives():
    pool = pool_of({"o1": 4, "o2": 4, "o3": 4})
    for seed in range(50):
        assert objectives_of(pool, draw_paper(pool, 6, seed)) == {"o1": 2, "o2": 2, "o3": 2}


def test_the_extra_items_of_an_uneven_draw_move_between_objectives():
    pool = pool_of({"o1": 4, "o2": 4, "o3": 4})
    favoured = set()
    for seed in range(50):
        counts = objectives_of(pool, draw_paper(pool, 7, seed))
        assert sorted(counts.values()) == [2, 2, 3]
        favoured |= {o for o, n in counts.items() if n == 3}
    assert favoured == {"o1", "o2", "o3"}


def test_a_small_objective_gives_what_it_has_and_the_rest_fills_up():
    pool = pool_of({"small": 1, "big": 6})
    for seed in range(20):
        assert objectives_of(pool, draw_paper(pool, 5, seed)) == {"small": 1, "big": 4}


def test_items_within_an_objective_are_random_and_keep_pool_order_on_the_paper():
    pool = pool_of({"o1": 5, "o2": 5})
    seen = set()
    order = [i["id"] for i in pool["items"]]
    for seed in range(60):
        paper = draw_paper(pool, 4, seed)
        assert list(paper.items) == sorted(paper.items, key=order.index)
        seen |= set(paper.items)
    assert seen == set(order)


def test_draw_is_reproducible_from_a_seed_or_a_random():
    pool = example_pool()
    assert draw_paper(pool, rng=7) == draw_paper(pool, rng=7)
    assert draw_paper(pool, rng=random.Random(7)) == draw_paper(pool, rng=7)
    assert len(draw_paper(pool).items) == pool["draw"]


@pytest.mark.parametrize("size", [0, 9, -1])
def test_impossible_draw_sizes_are_refused(size):
    with pytest.raises(PaperError, match="Cannot draw"):
        draw_paper(example_pool(), size, 1)


def test_pinned_options_keep_their_place_and_the_others_move():
    pool = {"items": [single("q", "o", choices=("a", "b", "c", "none"), pinned=("none",))]}
    orders = {draw_paper(pool, 1, seed).orders["q"]["choices"] for seed in range(40)}
    assert all(order[3] == "none" for order in orders)
    assert len(orders) == 6      # all 3! orders of a, b, c turn up


def test_truefalse_keeps_true_first_matching_shuffles_rights_ordering_shuffles_steps():
    pool = example_pool()
    by_id = {i["id"]: i for i in pool["items"]}
    rights, steps = set(), set()
    for seed in range(30):
        paper = draw_paper(pool, 8, seed)
        assert paper.orders["value-for-whom"]["choices"] == ("true", "false")
        assert paper.orders["value-ratio"] == {}
        rights.add(paper.orders["measure-terms"]["rights"])
        steps.add(paper.orders["improvement-cycle"]["steps"])
    assert len(rights) > 1 and len(steps) > 1
    rendered = {p.item["id"]: p for p in render_paper(pool, paper)}
    assert rendered["measure-terms"].item["pairs"] == by_id["measure-terms"]["pairs"]   # lefts untouched


def test_paper_survives_json_and_renders_in_the_stored_order():
    pool = example_pool()
    paper = draw_paper(pool, 8, 3)
    stored = json.loads(json.dumps(paper.to_dict()))
    again = Paper.from_dict(stored)
    assert again == paper
    for shown in render_paper(pool, again):
        for group, options in shown.options.items():
            assert [o["id"] for o in options] == list(paper.orders[shown.item["id"]][group])
    assert [p.number for p in render_paper(pool, again)] == list(range(1, 9))


@pytest.mark.parametrize("data", [
    {}, {"version": 2, "items": [], "orders": {}}, {"version": 1, "items": "ab", "orders": []},
    {"version": 1, "items": ["a"], "orders": {"b": {}}}, {"version": 1, "items": ["a", "a"], "orders": {}},
])
def test_unreadable_papers_are_refused(data):
    with pytest.raises(PaperError):
        Paper.from_dict(data)


def test_rendering_refuses_a_paper_the_pool_no_longer_fits():
    pool = example_pool()
    paper = draw_paper(pool, 8, 3)
    gone = {**pool, "items": [i for i in pool["items"] if i["id"] != "value-definition"]}
    with pytest.raises(PaperError, match="value-definition"):
        render_paper(gone, paper)
    changed = example_pool()
    changed["items"][0]["choices"][0]["id"] = "renamed"
    with pytest.raises(PaperError, match="does not match"):
        render_paper(changed, paper)
