"""The question types, one small class each, registered by name (as CTFd registers flag types).

Adding a type touches one place: a class here with `@register` (interface in `base.py`;
drawing, marking and item analysis use only that interface; GIFT support is optional).
Responses are plain JSON values over ids, whatever order the page showed:

    single, truefalse  "a"                       multiple  ["a", "c"]  (pool order)
    matching           {"left-id": "pair-id"}    ordering  ["s2", "s1", "s3"] (learner order)
    numeric            "12.5" (canonical decimal string)      None  unanswered (scores 0)
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from elearn.quizzes.base import (TYPES, Order, QuestionType, Score, display_number, one_value,
                                 own_parts, register, shown_ids, type_of)
from elearn.quizzes.decimals import canonical, parse_decimal
from elearn.quizzes.fields import field_name
from elearn.quizzes.messages import N_, ResponseError

__all__ = ["TYPES", "Score", "QuestionType", "register", "type_of", "score", "normalise_response",
           "perfect_response", "to_form"]


def score(item: Mapping[str, Any], response: Any) -> Score:
    """Score a normalised response to a pool item."""
    return type_of(item).score(item, response)


def normalise_response(item: Mapping[str, Any], raw_form_values: Any, order: Order | None = None) -> Any:
    """This item's posted form values → response (`order`: the paper's, see fields.py)."""
    return type_of(item).normalise_response(item, raw_form_values, order)


def perfect_response(item: Mapping[str, Any]) -> Any:
    """The response that earns full marks."""
    return type_of(item).perfect_response(item)


def to_form(item: Mapping[str, Any], response: Any, order: Order | None = None) -> dict[str, list[str]]:
    """Form values that would post `response` on a page showing `order`."""
    return type_of(item).to_form(item, response, order)


@register
class Single(QuestionType):
    """One choice; full marks for a correct one."""

    name = "single"

    def option_groups(self, item):
        """Choices are shown (and shuffled, except pinned ones)."""
        return {"choices": item["choices"]}

    def normalise_response(self, item, raw, order=None):
        """One known choice id, or None."""
        chosen = one_value(own_parts(item, raw, {None}).get(None, []), N_("Choose one answer."))
        if chosen is not None and chosen not in {c["id"] for c in item["choices"]}:
            raise ResponseError("unknown_choice", N_("That answer is not one of the options."))
        return chosen

    def score(self, item, response):
        """1 for a correct choice, else 0."""
        correct = set(item["correct"])
        if response is None:
            return Score(0, 1, missed=frozenset(correct), answered=False)
        ok = response in correct
        return Score(int(ok), 1, {response: float(ok)}, frozenset({response} & correct),
                     frozenset({response} - correct), frozenset(correct - {response}))

    def perfect_response(self, item):
        """The correct choice."""
        return item["correct"][0]

    def to_form(self, item, response, order=None):
        """`q.<item>` = the choice id."""
        return {field_name(item["id"]): [] if response is None else [response]}


@register
class TrueFalse(Single):
    """Single choice between the ids `true` and `false`, always shown in that order."""

    name = "truefalse"
    shuffles = False


@register
class Multiple(QuestionType):
    """Any number of choices.

    Partial credit = (correct chosen − wrong chosen) / number correct, floored at 0
    (Moodle's weights +100/n and −100/n give the same). `parts` holds ±1/n per chosen option.
    """

    name = "multiple"
    option_groups = Single.option_groups

    def normalise_response(self, item, raw, order=None):
        """Known, distinct choice ids in pool order, or None when none is ticked."""
        chosen = own_parts(item, raw, {None}).get(None, [])
        ids = [c["id"] for c in item["choices"]]
        if any(c not in ids for c in chosen):
            raise ResponseError("unknown_choice", N_("That answer is not one of the options."))
        if len(set(chosen)) != len(chosen):
            raise ResponseError("duplicate_value", N_("An option was sent twice."))
        return sorted(chosen, key=ids.index) or None

    def score(self, item, response):
        """(correct chosen − wrong chosen) / number correct, at least 0."""
        correct, chosen = set(item["correct"]), set(response or ())
        right, wrong = chosen & correct, chosen - correct
        parts = {c: (1 if c in correct else -1) / len(correct) for c in chosen}
        return Score(max(0, len(right) - len(wrong)), len(correct), parts, frozenset(right),
                     frozenset(wrong), frozenset(correct - chosen), answered=bool(chosen))

    def perfect_response(self, item):
        """Every correct choice, in pool order."""
        return [c["id"] for c in item["choices"] if c["id"] in set(item["correct"])]

    def to_form(self, item, response, order=None):
        """`q.<item>` repeated once per ticked choice."""
        return {field_name(item["id"]): list(response or [])}


@register
class Matching(QuestionType):
    """Each left matched to a right (right options named by their pair id); credit per pair."""

    name = "matching"

    def option_groups(self, item):
        """The right-hand sides are shuffled; the lefts keep pool order."""
        return {"rights": item["pairs"]}

    def normalise_response(self, item, raw, order=None):
        """`q.<item>.<left>` = shown number of a right → {left: pair id}, or None."""
        lefts = [p["id"] for p in item["pairs"]]
        rights = shown_ids(item, "rights", order)
        parts = own_parts(item, raw, set(lefts))
        matched = {}
        for left, values in parts.items():
            number = one_value(values, N_("Choose one match per item."))
            if number is not None:
                matched[left] = rights[display_number(number, len(rights)) - 1]
        return dict(sorted(matched.items(), key=lambda kv: lefts.index(kv[0]))) or None

    def score(self, item, response):
        """One mark per left matched to its own pair."""
        response = response or {}
        parts = {p["id"]: float(response.get(p["id"]) == p["id"]) for p in item["pairs"]}
        right = frozenset(k for k, v in parts.items() if v)
        missed = frozenset(k for k in parts if k not in response)
        return Score(len(right), len(parts), parts, right, frozenset(parts) - right - missed,
                     missed, answered=bool(response))

    def perfect_response(self, item):
        """Every left matched to its own pair."""
        return {p["id"]: p["id"] for p in item["pairs"]}

    def to_form(self, item, response, order=None):
        """`q.<item>.<left>` = 1-based shown number of the chosen right."""
        rights = shown_ids(item, "rights", order)
        return {field_name(item["id"], left): [str(rights.index(right) + 1)]
                for left, right in (response or {}).items()}


@register
class Ordering(QuestionType):
    """Steps put in order (pool order is the right one); credit per step in its right place."""

    name = "ordering"

    def option_groups(self, item):
        """The steps, shuffled on the paper."""
        return {"steps": item["steps"]}

    def normalise_response(self, item, raw, order=None):
        """`q.<item>.<k>` = place of the k-th shown step → step ids in the learner's order."""
        shown = shown_ids(item, "steps", order)
        parts = own_parts(item, raw, {str(k) for k in range(1, len(shown) + 1)})
        places = {}
        for k, values in parts.items():
            place = one_value(values, N_("Give each step one place."))
            if place is not None:
                places[shown[int(k) - 1]] = display_number(place, len(shown))
        if not places:
            return None
        if len(places) < len(shown):
            raise ResponseError("incomplete_order",
                                N_("Give every step a place in the order, or leave them all empty."))
        if len(set(places.values())) < len(places):
            raise ResponseError("duplicate_position", N_("Each place in the order can be given to one step only."))
        return sorted(places, key=places.get)

    def score(self, item, response):
        """One mark per step at its own place."""
        steps = [s["id"] for s in item["steps"]]
        given = list(response or [])
        parts = {s: float(i < len(given) and given[i] == s) for i, s in enumerate(steps)}
        right = frozenset(s for s, v in parts.items() if v)
        missed = frozenset() if given else frozenset(steps)
        return Score(len(right), len(steps), parts, right, frozenset(steps) - right - missed, missed,
                     answered=bool(given))

    def perfect_response(self, item):
        """The steps in pool order."""
        return [s["id"] for s in item["steps"]]

    def to_form(self, item, response, order=None):
        """`q.<item>.<k>` = 1-based place of the k-th shown step."""
        if not response:
            return {}
        return {field_name(item["id"], k): [str(response.index(step) + 1)]
                for k, step in enumerate(shown_ids(item, "steps", order), start=1)}


@register
class Numeric(QuestionType):
    """A number; right when |response − answer| ≤ tolerance, compared as exact decimals."""

    name = "numeric"

    def normalise_response(self, item, raw, order=None):
        """One typed number ("12,5" or "12.5") → canonical decimal string, or None."""
        typed = one_value(own_parts(item, raw, {None}).get(None, []), N_("Give one number."))
        return None if typed is None else canonical(parse_decimal(typed))

    def score(self, item, response):
        """1 within the tolerance, else 0."""
        if response is None:
            return Score(0, 1, missed=frozenset({"answer"}), answered=False)
        answer, tolerance = Decimal(str(item["answer"])), Decimal(str(item.get("tolerance", 0)))
        given = parse_decimal(response) if isinstance(response, str) else Decimal(str(response))
        ok = abs(given - answer) <= tolerance
        return Score(int(ok), 1, {"answer": float(ok)}, frozenset({"answer"} if ok else ()),
                     frozenset(() if ok else {"answer"}))

    def perfect_response(self, item):
        """The answer itself."""
        return canonical(item["answer"])

    def to_form(self, item, response, order=None):
        """`q.<item>` = the number."""
        return {field_name(item["id"]): [] if response is None else [str(response)]}
