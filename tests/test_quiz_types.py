"""Question types: scoring rules, response normalisation and its refusals, the registry."""
from fractions import Fraction

import pytest
from werkzeug.datastructures import MultiDict

from elearn import questions as types
from elearn.questions.base import QuestionType, Score
from elearn.quizzes.examples import example_pool
from elearn.questions.fields import MAX_FIELDS, MAX_VALUE_LENGTH, MAX_VALUES
from elearn.questions.messages import QuizError, ResponseError

POOL = {item["id"]: item for item in example_pool()["items"]}
SINGLE, TF, MULTI = POOL["value-definition"], POOL["prom-owner"], POOL["outcome-tiers"]
MATCH, ORDER, NUM = POOL["measure-terms"], POOL["improvement-cycle"], POOL["value-ratio"]


def refused(item, form, code, order=None):
    """normalise_response must refuse `form` with error `code`."""
    with pytest.raises(ResponseError) as caught:
        types.normalise_response(item, form, order)
    assert caught.value.code == code, caught.value
    return caught.value


# --- single and true/false ------------------------------------------------------------

def test_single_scores_right_wrong_and_unanswered():
    right = types.score(SINGLE, "a")
    assert (right.fraction, right.correct, right.right, right.wrong) == (1.0, True, {"a"}, frozenset())
    wrong = types.score(SINGLE, "b")
    assert (wrong.fraction, wrong.wrong, wrong.missed) == (0.0, {"b"}, {"a"})
    blank = types.score(SINGLE, None)
    assert (blank.fraction, blank.answered, blank.missed) == (0.0, False, {"a"})


def test_single_normalises_one_known_choice_and_ignores_other_fields():
    assert types.normalise_response(SINGLE, {"q.value-definition": "b", "lt": "tok", "csrf_token": "x"}) == "b"
    assert types.normalise_response(SINGLE, {"q.value-definition": ["  c "]}) == "c"
    assert types.normalise_response(SINGLE, {"q.value-definition": ""}) is None
    assert types.normalise_response(SINGLE, MultiDict([("q.value-definition", "a")])) == "a"


def test_single_refuses_what_a_real_form_cannot_send():
    refused(SINGLE, {"q.value-definition": "z"}, "unknown_choice")
    refused(SINGLE, {"q.value-definition": ["a", "b"]}, "too_many_values")
    refused(SINGLE, {"q.prom-owner": "true"}, "foreign_field")
    refused(SINGLE, {"q.value-definition.extra": "a"}, "unknown_field")
    refused(SINGLE, {"q.value-definition": "a" * (MAX_VALUE_LENGTH + 1)}, "value_too_long")
    refused(SINGLE, {f"q.value-definition.{n}": "a" for n in range(MAX_FIELDS + 1)}, "too_many_fields")
    refused(SINGLE, {"q.value-definition": ["a"] * (MAX_VALUES + 1)}, "too_many_fields")
    refused(SINGLE, {"q.value-definition": 3}, "bad_form")
    refused(SINGLE, ["q.value-definition"], "bad_form")


def test_truefalse_is_single_choice_and_never_shuffled():
    assert types.score(TF, "false").correct and not types.score(TF, "true").correct
    refused(TF, {"q.prom-owner": "yes"}, "unknown_choice")
    assert types.TYPES["truefalse"].shuffles is False


# --- multiple: (correct chosen − wrong chosen) / number correct, floored at 0 ----------

@pytest.mark.parametrize("chosen, expected", [
    (["a", "b", "d"], Fraction(3, 3)),   # all 3 correct, none wrong
    (["a", "b"], Fraction(2, 3)),        # 2 correct − 0 wrong = 2 of 3
    (["a", "b", "c"], Fraction(1, 3)),   # 2 correct − 1 wrong = 1 of 3
    (["a", "c"], Fraction(0)),           # 1 − 1 = 0
    (["c"], Fraction(0)),                # 0 − 1 = −1, floored at 0
    (["a", "b", "c", "d"], Fraction(2, 3)),  # ticking everything: 3 − 1 = 2 of 3
    (None, Fraction(0)),
])
def test_multiple_partial_credit_rule(chosen, expected):
    assert types.score(MULTI, chosen).exact == expected


def test_multiple_reports_signed_parts_and_feedback_sets():
    result = types.score(MULTI, ["a", "c"])
    assert result.parts == {"a": pytest.approx(1 / 3), "c": pytest.approx(-1 / 3)}
    assert (result.right, result.wrong, result.missed) == ({"a"}, {"c"}, {"b", "d"})


def test_multiple_normalises_to_pool_order_and_refuses_duplicates():
    assert types.normalise_response(MULTI, {"q.outcome-tiers": ["d", "a"]}) == ["a", "d"]
    assert types.normalise_response(MULTI, {"q.outcome-tiers": []}) is None
    refused(MULTI, {"q.outcome-tiers": ["a", "a"]}, "duplicate_value")
    refused(MULTI, {"q.outcome-tiers": ["a", "zz"]}, "unknown_choice")


# --- matching: display numbers in, pair ids out; credit per pair ----------------------

ORDER_RIGHTS = {"rights": ["cost", "prom", "prem"]}   # how a paper shows the right-hand sides


def test_matching_reads_display_numbers_against_the_paper_order():
    form = {"q.measure-terms.prom": "2", "q.measure-terms.prem": "3", "q.measure-terms.cost": "1"}
    response = types.normalise_response(MATCH, form, ORDER_RIGHTS)
    assert response == {"prom": "prom", "prem": "prem", "cost": "cost"}
    assert types.score(MATCH, response).fraction == 1.0


def test_matching_gives_credit_per_pair_and_allows_unmatched_lefts():
    response = types.normalise_response(MATCH, {"q.measure-terms.prom": "2", "q.measure-terms.prem": "1",
                                                "q.measure-terms.cost": ""}, ORDER_RIGHTS)
    assert response == {"prom": "prom", "prem": "cost"}
    result = types.score(MATCH, response)
    assert result.exact == Fraction(1, 3)
    assert (result.right, result.wrong, result.missed) == ({"prom"}, {"prem"}, {"cost"})


def test_matching_refuses_ids_out_of_range_numbers_and_unknown_lefts():
    refused(MATCH, {"q.measure-terms.prom": "prom"}, "unknown_choice", ORDER_RIGHTS)   # ids would leak answers
    refused(MATCH, {"q.measure-terms.prom": "0"}, "unknown_choice", ORDER_RIGHTS)
    refused(MATCH, {"q.measure-terms.prom": "4"}, "unknown_choice", ORDER_RIGHTS)
    refused(MATCH, {"q.measure-terms.nope": "1"}, "unknown_field", ORDER_RIGHTS)
    refused(MATCH, {"q.measure-terms": "1"}, "unknown_field", ORDER_RIGHTS)


# --- ordering: place per shown step; credit per step in its right place -----------------

SHOWN_STEPS = {"steps": ["learn", "measure", "improve", "compare"]}


def order_form(places):
    """Form giving the k-th shown step the place places[k-1]."""
    return {f"q.improvement-cycle.{k}": str(p) for k, p in enumerate(places, start=1)}


def test_ordering_reads_places_of_shown_steps():
    response = types.normalise_response(ORDER, order_form([3, 1, 4, 2]), SHOWN_STEPS)
    assert response == ["measure", "compare", "learn", "improve"]
    assert types.score(ORDER, response).correct


def test_ordering_credit_per_step_in_place():
    # learner order: compare, measure, learn, improve → learn (3rd) and improve (4th) in place
    result = types.score(ORDER, ["compare", "measure", "learn", "improve"])
    assert result.exact == Fraction(2, 4)
    assert result.right == {"learn", "improve"} and result.wrong == {"compare", "measure"}


def test_ordering_refuses_incomplete_duplicate_and_out_of_range_places():
    assert types.normalise_response(ORDER, order_form(["", "", "", ""]), SHOWN_STEPS) is None
    refused(ORDER, order_form([1, 2, 3, ""]), "incomplete_order", SHOWN_STEPS)
    refused(ORDER, order_form([1, 1, 3, 4]), "duplicate_position", SHOWN_STEPS)
    refused(ORDER, order_form([1, 2, 3, 5]), "unknown_choice", SHOWN_STEPS)
    refused(ORDER, {"q.improvement-cycle.measure": "1"}, "unknown_field", SHOWN_STEPS)


def test_a_stored_order_that_does_not_fit_the_item_is_a_paper_error():
    from elearn.questions.messages import PaperError

    with pytest.raises(PaperError):
        types.normalise_response(ORDER, order_form([1, 2, 3, 4]), {"steps": ["a", "b", "c", "d"]})


# --- numeric: answer ± tolerance, decimal comma accepted, exact decimals ----------------

@pytest.mark.parametrize("typed, stored, right", [
    ("12,5", "12.5", True), ("12.5", "12.5", True), ("13", "13", True),   # 12.5 + 0.5 is inside
    ("12,0", "12", True), ("13,01", "13.01", False), ("-12,5", "-12.5", False), ("1.234,5", "1234.5", False),
])
def test_numeric_normalises_and_scores(typed, stored, right):
    response = types.normalise_response(NUM, {"q.value-ratio": typed})
    assert response == stored
    assert types.score(NUM, response).correct is right


def test_numeric_tolerance_is_compared_exactly_not_in_floating_point():
    item = {"id": "n", "type": "numeric", "answer": 0.3, "tolerance": 0.1}
    assert types.score(item, "0,4").correct          # 0.4 − 0.3 in floats is 0.10000000000000003
    assert not types.score(item, "0.4001").correct


@pytest.mark.parametrize("typed", ["abc", "1e3", "nan", "inf", "12,5,0", "1.2.3", "--1", "½"])
def test_numeric_refuses_what_is_not_a_plain_number(typed):
    refused(NUM, {"q.value-ratio": typed}, "not_a_number")


def test_numeric_refuses_two_numbers():
    refused(NUM, {"q.value-ratio": ["1", "2"]}, "too_many_values")


def test_a_long_number_is_stored_with_every_digit():
    # canonical() used Decimal.normalize(), which rounds to 28 digits: the learner's 40 became another number.
    typed = "1234567890123456789012345678901234567890"
    assert types.normalise_response(NUM, {"q.value-ratio": typed}) == typed


@pytest.mark.parametrize("typed", ["." + "0" * 38 + "1", "-." + "0" * 37 + "1"])
def test_a_number_whose_stored_form_would_not_read_back_is_refused(typed):
    # Found by atheris (tests/fuzz/fuzz_quiz_form.py): 40 characters typed, stored as "0.000…1" (41),
    # which the re-filled page could not post again and the submit could not mark (a 5xx).
    refused(NUM, {"q.value-ratio": typed}, "not_a_number")
    stored = types.normalise_response(NUM, {"q.value-ratio": typed[:-2] + "1"})
    assert types.normalise_response(NUM, types.to_form(NUM, stored)) == stored
    types.score(NUM, stored)


# --- registry, perfect responses, form round trip, messages ----------------------------

def test_every_type_round_trips_its_perfect_response_through_the_form():
    for item in POOL.values():
        kind = types.type_of(item)
        order = {g: [o["id"] for o in reversed(opts)] for g, opts in kind.option_groups(item).items()}
        perfect = types.perfect_response(item)
        assert types.normalise_response(item, types.to_form(item, perfect, order), order) == perfect
        assert types.score(item, perfect).fraction == 1.0


def test_unknown_type_is_refused_clearly():
    with pytest.raises(QuizError, match="Unknown question type: essay"):
        types.score({"id": "x", "type": "essay"}, "text")


def test_adding_a_type_is_one_registered_class():
    @types.register
    class YesNo(QuestionType):
        """A toy type: 'yes' is right."""

        name = "yesno-test"

        def score(self, item, response):
            """1 for yes."""
            return Score(int(response == "yes"), 1)

    try:
        assert types.score({"id": "t", "type": "yesno-test"}, "yes").correct
    finally:
        del types.TYPES["yesno-test"]


def test_errors_translate_with_the_given_gettext():
    error = refused(SINGLE, {"q.value-definition": "z"}, "unknown_choice")
    catalogue = {"That answer is not one of the options.": "Dat antwoord is geen van de opties."}
    assert error.translate(lambda msgid, **kw: catalogue[msgid] % kw) == "Dat antwoord is geen van de opties."
    assert str(error) == "That answer is not one of the options."


def test_score_serialises_for_the_attempt():
    data = types.score(MULTI, ["a", "c"]).to_dict()
    assert data["earned"] == 0 and data["possible"] == 3 and data["wrong"] == ["c"]
