"""The question-type interface, the registry, the `Score` it returns, and shared helpers.

A type owns everything about itself: its quiz.yaml rules (`check`), marking (`score`,
`normalise_response`, …), what the quiz page shows (`present`, `review`) and its GIFT form
(`gift_write`, `gift_recognises`, `gift_read`). Nothing else switches on a type's name.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, Protocol

from elearn.questions.fields import answer_fields
from elearn.questions.messages import N_, GiftError, PaperError, QuizError, ResponseError

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


def unregister(name: str) -> None:
    """Forget a registered type (tests that register a type of their own clean up with this)."""
    TYPES.pop(name, None)


def type_of(item: Mapping[str, Any]) -> QuestionType:
    """The registered type of a pool item; QuizError for an unknown type."""
    kind = item.get("type") if isinstance(item, Mapping) else None
    if kind not in TYPES:
        raise QuizError("unknown_type", N_("Unknown question type: %(type)s."), type=str(kind))
    return TYPES[kind]


class Checker(Protocol):
    """The content checker a type's `check` gets for one quiz.yaml item (the catalog's `Fields`).

    Problems go to `report` with the file's line numbers; `prefix` names the item ("item 'x': ").
    """

    report: Any
    data: Any
    prefix: str

    def error(self, key: str | None, message: str, rule: str) -> None: ...
    def keys(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool: ...
    def ident(self, key: str = "id", what: str = "id", max_len: int | None = None) -> str | None: ...
    def bilingual(self, key: str, rule: str = "lang.missing") -> dict | None: ...
    def bilingual_value(self, value: Any, line: int, label: str, rule: str) -> dict | None: ...
    def number(self, key: str) -> float | None: ...
    def integer(self, key: str, low: int | None = None, high: int | None = None) -> int | None: ...
    def mapping(self, key: str) -> Any: ...
    def items(self, key: str, min_len: int = 0) -> Any: ...
    def sub(self, data: Any, prefix: str) -> Checker: ...
    def is_mapping(self, value: Any) -> bool: ...


@dataclass(frozen=True)
class Page:
    """What presenting needs from the page: its content language and how it translates.

    `pick` chooses one language of a {nl, en} text; `gettext` translates interface msgids.
    Passed in so that this package needs neither Flask nor the catalog.
    """

    lang: str
    pick: Callable[[Mapping[str, str] | None, str], str]
    gettext: Callable[[str], str]

    def text(self, value: Mapping[str, str] | None) -> str:
        """A {nl, en} text in the page's language."""
        return self.pick(value, self.lang)


class QuestionType:
    """Interface of a question type; subclasses set `name` and implement the methods."""

    name: ClassVar[str]
    shuffles: ClassVar[bool] = True   # does the draw shuffle its option groups?
    required_keys: ClassVar[tuple[str, ...]] = ()   # quiz.yaml keys of this type, besides the
    optional_keys: ClassVar[tuple[str, ...]] = ()   # common ones (id, type, prompt, …)
    gift_notes: ClassVar[tuple[str, ...]] = ()      # `// [key]` annotations its GIFT form uses
    gift_order: ClassVar[int] = 50   # GIFT import asks types in this order which one a block is

    def check(self, fields: Checker) -> None:
        """Report problems of this type's own keys of a quiz.yaml item (the common ones are checked)."""

    def present(self, item: Mapping[str, Any], options: Mapping[str, list[dict]],
                values: Mapping[str, list[str]], page: Page) -> dict[str, Any]:
        """What the answer page shows of an item beyond its prompt: `widget` (the template under
        templates/quizzes/answer/) and that widget's data, re-filled from `values`."""
        raise NotImplementedError

    def review(self, item: Mapping[str, Any], options: Mapping[str, list[dict]], response: Any,
               right: bool, page: Page) -> dict[str, Any]:
        """What the result page shows of a marked item: `widget` (templates/quizzes/review/) and
        its data: what was given, what is right, feedback (`right`: full marks)."""
        raise NotImplementedError

    def gift_write(self, item: Mapping[str, Any], lang: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(annotations as (key, value), lines of the answer block) of an item in one language."""
        raise GiftError("gift_unsupported_type", N_("Question type %(type)s cannot be written as GIFT."),
                        type=self.name)

    def gift_recognises(self, answers: str, declared: str | None) -> bool:
        """Is this GIFT answer block (stripped, escapes protected) one of this type? `declared`
        is the block's `// [type]` annotation, if any."""
        return False

    def gift_read(self, block: Any, answers: str, pos: int) -> dict[str, Any]:
        """The item's type-specific fields from its GIFT answer block (`block`: see gift_import)."""
        raise NotImplementedError

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


def item_feedback(item: Mapping[str, Any], right: bool, page: Page) -> str:
    """Item-level feedback (matching, ordering, numeric): the correct or the incorrect text."""
    feedback = item.get("feedback") or {}
    return page.text(feedback.get("correct" if right else "incorrect"))
