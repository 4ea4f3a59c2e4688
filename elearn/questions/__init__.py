"""What a question is: the question types, one class each, registered by name.

A type owns all its knowledge — its quiz.yaml rules, marking, what the quiz pages show and its
GIFT form (interface in `base.py`) — so adding a type is one class with `@register`, plus a
template under templates/quizzes/answer|review/ only when it needs a widget of its own.

Both sides of the data flow ask this registry: the catalog checks quiz.yaml with it, the quiz
engine (`elearn.quizzes`) draws, marks and shows papers with it. So it imports neither: it sits
below both, pure Python without Flask or a database (the catalog hands `check` its field
checker, the quiz pages hand `present` their language and gettext).

Responses are plain JSON values over ids, whatever order the page showed:

    single, truefalse  "a"                       multiple  ["a", "c"]  (pool order)
    matching           {"left-id": "pair-id"}    ordering  ["s2", "s1", "s3"] (learner order)
    numeric            "12.5" (canonical decimal string)      None  unanswered (scores 0)

Modules: `base` (interface, registry, Score), `choice`, `matching`, `numeric` (the built-in
types), `rules` (shared quiz.yaml checks), `fields` (form field names), `decimals`, `messages`,
`gift`/`gift_import`/`gift_parts`/`gift_text` (Moodle GIFT).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The built-in types register themselves on import, in this order (the order `courses check`
# names them in); importing the package is enough to find them in TYPES.
from elearn.questions import choice, matching, numeric  # noqa: F401
from elearn.questions.base import TYPES, Order, Page, QuestionType, Score, register, type_of, unregister

__all__ = ["TYPES", "Page", "Score", "QuestionType", "register", "unregister", "type_of", "score",
           "normalise_response", "perfect_response", "to_form"]


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
