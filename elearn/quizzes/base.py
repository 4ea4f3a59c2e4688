"""The question-type interface, the registry, the `Score` it returns, and shared helpers."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from elearn.quizzes.fields import answer_fields
from elearn.quizzes.messages import N_, PaperError, QuizError, ResponseError

TYPES: dict[str, QuestionType] = {}
Order = Mapping[str, list[str]]   # option group → ids in the order the paper shows them


@dataclass(frozen=True)
class Score:
    """The mark of one response: `earned`/`possible` exactly, plus what was right and wrong.

    `parts` holds per-part marks (per type: the chosen choice, each pair, each step, the
    number); `right`/`wrong`/`missed` name the options to mark in feedback.
    """

    earned: int
    possible: int
    parts: Mapping[str, float] = field(default_factory=dict)
    right: frozenset[str] = frozenset()
    wrong: frozenset[str] = frozenset()
    missed: frozenset[str] = frozenset()
    answered: bool = True

    @property
    def exact(self) -> Fraction:
        """The fraction of the item's mark earned, exactly (sums of these stay exact)."""
        return Fraction(self.earned, self.possible)

    @property
    def fraction(self) -> float:
        """The fraction of the item's mark earned, 0..1."""
        return self.earned / self.possible

    @property
    def correct(self) -> bool:
        """Full marks."""
        return self.earned == self.possible

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly form for an attempt to store."""
        return {"earned": self.earned, "possible": self.possible, "fraction": self.fraction,
                "parts": dict(self.parts), "right": sorted(self.right), "wrong": sorted(self.wrong),
                "missed": sorted(self.missed), "answered": self.answered}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    """Class decorator: make a question type available under its `name`."""
    TYPES[cls.name] = cls()
    return cls


def type_of(item: Mapping[str, Any]) -> QuestionType:
    """The registered type of a pool item; QuizError for an unknown type."""
    kind = item.get("type") if isinstance(item, Mapping) else None
    if kind not in TYPES:
        raise QuizError("unknown_type", N_("Unknown question type: %(type)s."), type=str(kind))
    return TYPES[kind]


class QuestionType:
    """Interface of a question type; subclasses set `name` and implement the methods."""

    name: ClassVar[str]
    shuffles: ClassVar[bool] = True   # does the draw shuffle its option groups?

    def option_groups(self, item: Mapping[str, Any]) -> dict[str, list[dict]]:
        """The option lists a paper orders and shows ({} when there are none)."""
        return {}

    def score(self, item: Mapping[str, Any], response: Any) -> Score:
        """Score a normalised response (None = unanswered)."""
        raise NotImplementedError

    def normalise_response(self, item: Mapping[str, Any], raw: Any, order: Order | None = None) -> Any:
        """Posted form values → response; ResponseError for anything a real form cannot send."""
        raise NotImplementedError

    def perfect_response(self, item: Mapping[str, Any]) -> Any:
        """The response that scores 1 (shown in review, used by tests)."""
        raise NotImplementedError

    def to_form(self, item: Mapping[str, Any], response: Any, order: Order | None = None) -> dict[str, list[str]]:
        """The form values that post `response` (to re-fill a page); inverse of normalise."""
        raise NotImplementedError


def own_parts(item: Mapping[str, Any], raw: Any, allowed: set[str | None]) -> dict[str | None, list[str]]:
    """This item's non-empty values by part; refuses other items' fields and unknown parts."""
    parts: dict[str | None, list[str]] = {}
    for (item_id, part), values in answer_fields(raw).items():
        if item_id != item["id"]:
            raise ResponseError("foreign_field", N_("The form sent an answer for another question."))
        if part not in allowed:
            raise ResponseError("unknown_field", N_("The form sent an answer this question does not have."))
        parts[part] = [v for v in values if v != ""]
    return parts


def shown_ids(item: Mapping[str, Any], group: str, order: Order | None) -> list[str]:
    """Ids of an option group in the paper's order (pool order without a paper)."""
    ids = [option["id"] for option in type_of(item).option_groups(item)[group]]
    if order is None:
        return ids
    stored = list(order.get(group, ()))
    if sorted(stored) != sorted(ids):
        raise PaperError("order_mismatch", N_("The stored paper does not match question %(item)s."),
                         item=item["id"])
    return stored


def one_value(values: list[str], msgid: str) -> str | None:
    """The single value of a part, None when empty; ResponseError(msgid) when several."""
    if len(values) > 1:
        raise ResponseError("too_many_values", msgid)
    return values[0] if values else None


def display_number(value: str, count: int) -> int:
    """A posted 1-based display number as an int in 1..count; ResponseError otherwise."""
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= count:
        raise ResponseError("unknown_choice", N_("That answer is not one of the options."))
    return int(value)
