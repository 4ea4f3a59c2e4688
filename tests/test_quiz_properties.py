"""Property-based tests of the quiz core (hypothesis): bounds, perfection, shuffle-invariance,
robust normalisation, number parsing and GIFT text round trips."""
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from elearn import questions as types
from elearn.questions.decimals import canonical, parse_decimal
from elearn.quizzes.draw import draw_paper, shuffled_options
from elearn.quizzes.examples import example_pool
from elearn.quizzes.marking import mark_paper, read_post
from elearn.questions.gift import export_gift, import_gift
from elearn.questions.gift_text import escape, unescape
from elearn.questions.messages import ResponseError

FAST = settings(max_examples=100, deadline=None)   # per test: never change other files' profile

IDS = st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True)
TEXT = st.text(st.characters(exclude_categories=("Cs", "Co"), exclude_characters="\r"), min_size=1,
               max_size=40).filter(lambda t: t.strip())


def _text(lang_text):
    """A one-language text dict."""
    return {"nl": lang_text}


@st.composite
def items(draw, texts=st.just("t")):
    """A valid pool item of any type, with texts drawn from `texts`."""
    kind = draw(st.sampled_from(sorted(types.TYPES)))
    base = {"id": draw(IDS), "type": kind, "objective": "o", "prompt": _text(draw(texts))}
    if kind in ("single", "multiple"):
        ids = draw(st.lists(IDS, min_size=2, max_size=6, unique=True))
        correct = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=1 if kind == "single" else len(ids),
                                unique=True))
        choices = [{"id": i, "text": _text(draw(texts)), **({"pinned": True} if draw(st.booleans()) else {})}
                   for i in ids]
        return {**base, "choices": choices, "correct": [i for i in ids if i in correct]}
    if kind == "truefalse":
        correct = draw(st.sampled_from(["true", "false"]))
        return {**base, "choices": [{"id": "true"}, {"id": "false"}], "correct": [correct]}
    if kind == "matching":
        ids = draw(st.lists(IDS, min_size=2, max_size=6, unique=True))
        lefts = texts.filter(lambda t: "->" not in t)
        return {**base, "pairs": [{"id": i, "left": _text(draw(lefts)), "right": _text(draw(texts))} for i in ids]}
    if kind == "ordering":
        ids = draw(st.lists(IDS, min_size=3, max_size=6, unique=True))
        return {**base, "steps": [{"id": i, "text": _text(draw(texts))} for i in ids]}
    answer = draw(st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
    tolerance = draw(st.decimals(min_value=0, max_value=10, places=2))
    return {**base, "answer": float(answer), "tolerance": float(tolerance)}


@st.composite
def item_and_response(draw):
    """An item and a logical (id-based, canonical) response to it, possibly None."""
    item = draw(items())
    kind = item["type"]
    if draw(st.integers(0, 9)) == 0:
        return item, None
    if kind in ("single", "truefalse"):
        return item, draw(st.sampled_from([c["id"] for c in item["choices"]]))
    if kind == "multiple":
        ids = [c["id"] for c in item["choices"]]
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        return item, sorted(chosen, key=ids.index)
    if kind == "matching":
        ids = [p["id"] for p in item["pairs"]]
        lefts = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
        return item, {left: draw(st.sampled_from(ids)) for left in sorted(lefts, key=ids.index)}
    if kind == "ordering":
        return item, draw(st.permutations([s["id"] for s in item["steps"]]))
    return item, canonical(draw(st.decimals(min_value=-10**6, max_value=10**6, places=3,
                                            allow_nan=False, allow_infinity=False)))


@FAST
@given(item_and_response())
def test_scores_are_always_between_0_and_1(case):
    item, response = case
    result = types.score(item, response)
    assert 0 <= result.fraction <= 1 and 0 <= result.earned <= result.possible


@FAST
@given(items())
def test_the_perfect_response_scores_1(item):
    assert types.score(item, types.perfect_response(item)).fraction == 1


@FAST
@given(item_and_response(), st.integers(), st.integers())
def test_shuffling_never_changes_the_score_of_a_logical_response(case, seed_a, seed_b):
    item, response = case
    expected = types.score(item, response)
    for seed in (seed_a, seed_b):
        order = {g: list(ids) for g, ids in shuffled_options(item, random.Random(seed)).items()}
        posted = types.normalise_response(item, types.to_form(item, response, order), order)
        assert posted == response
        assert types.score(item, posted) == expected


def _field_names(item_id, parts=("x",)):
    """Field names a real page, a stale page or a tamperer might send (`parts`: real part ids)."""
    part = st.one_of(st.text(max_size=4), st.integers(-2, 8), st.sampled_from(list(parts)))
    return st.one_of(st.text(max_size=12), st.just(f"q.{item_id}"),
                     st.builds(lambda p: f"q.{item_id}.{p}", part), st.builds(lambda i: f"q.{i}", IDS))


_VALUES = st.one_of(st.text(max_size=80), st.integers(-3, 9).map(str), st.sampled_from(["true", "false", "a", ""]),
                    st.none(), st.integers())


@FAST
@given(items(), st.data())
def test_normalise_never_crashes_on_arbitrary_forms(item, data):
    lefts = [p["id"] for p in item.get("pairs", [])] or ["x"]
    form = data.draw(st.dictionaries(_field_names(item["id"], lefts),
                                     st.one_of(_VALUES, st.lists(_VALUES, max_size=5)), max_size=8))
    order = {g: list(ids) for g, ids in shuffled_options(item, random.Random(0)).items()}
    try:
        response = types.normalise_response(item, form, order)
    except ResponseError:
        return
    assert 0 <= types.score(item, response).fraction <= 1


@FAST
@given(st.integers(0, 10**6), st.data())
def test_a_whole_post_is_read_or_refused_never_crashes(seed, data):
    pool = example_pool()
    paper = draw_paper(pool, rng=seed)
    names = st.one_of(*(_field_names(i) for i in paper.items), _field_names("not-on-paper"))
    form = data.draw(st.dictionaries(names, st.one_of(_VALUES, st.lists(_VALUES, max_size=4)), max_size=10))
    try:
        post = read_post(pool, paper, form)
    except ResponseError:
        return
    good = {i: r for i, r in post.responses.items() if i not in post.errors}
    assert 0 <= mark_paper(pool, paper, good).percent <= 100


@FAST
@given(st.text(max_size=50))
def test_parse_decimal_only_ever_raises_response_error(text):
    try:
        parse_decimal(text)
    except ResponseError:
        pass


@FAST
@given(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
       st.sampled_from([".", ","]))
def test_numbers_read_back_with_either_decimal_mark(number, mark):
    typed = format(number, "f").replace(".", mark)
    assert parse_decimal(typed) == number


@FAST
@given(st.text(st.characters(exclude_categories=("Cs", "Co"), exclude_characters="\r")))
def test_gift_escaping_round_trips(text):
    escaped = escape(text)
    assert "\n" not in escaped and unescape(escaped) == text.strip()


@FAST
@given(items(texts=TEXT))
def test_gift_round_trips_any_item_with_any_text(item):
    strip = {"nl": None}

    def stripped(value):
        """The item as GIFT gives it back: texts trimmed."""
        if isinstance(value, dict):
            if set(value) == set(strip):
                return {"nl": value["nl"].strip()}
            return {k: stripped(v) for k, v in value.items()}
        if isinstance(value, list):
            return [stripped(v) for v in value]
        return value

    expected = stripped(item)
    if item["type"] == "numeric":
        expected = {**expected, "answer": Decimal(str(item["answer"])), "tolerance": Decimal(str(item["tolerance"]))}
    back = import_gift(export_gift({"items": [item]}, "nl"), "nl")[0]
    if item["type"] == "numeric":
        back = {**back, "answer": Decimal(str(back["answer"])), "tolerance": Decimal(str(back["tolerance"]))}
    assert back == expected
