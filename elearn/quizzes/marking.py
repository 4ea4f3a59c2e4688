"""Reading a whole quiz post against the stored paper, and marking the paper.

Every item counts one mark; an item's mark is its score fraction (partial credit included).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from elearn.questions import Score, normalise_response, score
from elearn.questions.fields import answer_fields, field_name
from elearn.questions.messages import N_, ResponseError
from elearn.quizzes.draw import Paper, render_paper


@dataclass(frozen=True)
class Post:
    """A post read against a paper: responses per item, and per-item errors to show."""

    responses: dict[str, Any]
    errors: dict[str, ResponseError] = field(default_factory=dict)


@dataclass(frozen=True)
class PaperResult:
    """The marks of a paper: a Score per item (paper order) and the exact total."""

    scores: dict[str, Score]

    @property
    def earned(self) -> Fraction:
        """Marks earned, exactly (one mark per item)."""
        return sum((s.exact for s in self.scores.values()), Fraction(0))

    @property
    def possible(self) -> int:
        """Marks available: the number of items."""
        return len(self.scores)

    @property
    def percent(self) -> float:
        """Marks earned as a percentage, 0..100."""
        return float(100 * self.earned / self.possible) if self.possible else 0.0

    def passed(self, pass_mark: float) -> bool:
        """At or above the pass mark (percent), compared exactly: 7 of 10 passes a 70 mark."""
        return self.possible > 0 and 100 * self.earned >= Fraction(str(pass_mark)) * self.possible

    def marks(self) -> dict[str, float]:
        """Item id → mark fraction in paper order: one row of `analysis.analyse` input."""
        return {item_id: s.fraction for item_id, s in self.scores.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the attempt to store (items as a list: JSONB keeps no key order)."""
        return {"percent": self.percent, "earned": str(self.earned), "possible": self.possible,
                "items": [{"item": i, **s.to_dict()} for i, s in self.scores.items()]}


def read_post(pool: Mapping[str, Any], paper: Paper, form: Any) -> Post:
    """Normalise every item of the paper from a post (MultiDict or dict).

    An answer to an item not on the paper raises ResponseError (a tampered or stale form);
    problems within an item are collected in `Post.errors` so the page can show them all.
    """
    fields = answer_fields(form)
    if any(item_id not in paper.items for item_id, _ in fields):
        raise ResponseError("item_not_on_paper",
                            N_("The form sent an answer to a question that is not on your paper."))
    responses, errors = {}, {}
    for shown in render_paper(pool, paper):
        item_id = shown.item["id"]
        own = {field_name(i, part): values for (i, part), values in fields.items() if i == item_id}
        try:
            responses[item_id] = normalise_response(shown.item, own, shown.order)
        except ResponseError as error:
            errors[item_id] = error
    return Post(responses, errors)


def mark_paper(pool: Mapping[str, Any], paper: Paper, responses: Mapping[str, Any]) -> PaperResult:
    """Score every item of the paper; items without a response score 0."""
    return PaperResult({shown.item["id"]: score(shown.item, responses.get(shown.item["id"]))
                        for shown in render_paper(pool, paper)})
