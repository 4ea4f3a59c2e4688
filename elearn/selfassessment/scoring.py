"""Scoring the team self-assessment: per domain, percent of the maximum; weak domains get modules."""
from __future__ import annotations

from dataclasses import dataclass, field

from elearn.catalog.labels import pick
from elearn.catalog.models import live_module
from elearn.catalog.present import view_of

WEAK_BELOW = 50  # percent: a domain scoring below this is "weak" and gets recommended modules


@dataclass
class DomainResult:
    """One domain's score."""

    id: str
    title: str
    points: int
    maximum: int
    recommended: list[dict] = field(default_factory=list)  # [{id, title}] of live modules

    @property
    def percent(self) -> int:
        """Whole percent of the maximum."""
        return round(100 * self.points / self.maximum) if self.maximum else 0

    @property
    def weak(self) -> bool:
        """Below the WEAK_BELOW threshold."""
        return self.percent < WEAK_BELOW


def scale_values(definition: dict) -> list[int]:
    """The allowed answer values, low to high."""
    return [option["value"] for option in definition.get("scale", [])]


def read_answers(definition: dict, form) -> tuple[dict[str, int], list[str]]:
    """Posted form → (answers by question id, ids of unanswered or invalid questions)."""
    allowed = {str(v): v for v in scale_values(definition)}
    answers, missing = {}, []
    for domain in definition.get("domains", []):
        for question in domain["questions"]:
            raw = form.get(f"q-{question['id']}", "")
            if raw in allowed:
                answers[question["id"]] = allowed[raw]
            else:
                missing.append(question["id"])
    return answers, missing


def score(definition: dict, answers: dict[str, int], lang: str) -> list[DomainResult]:
    """Per-domain points and percent; unanswered questions count as the lowest value."""
    values = scale_values(definition) or [0, 1]
    low, high = min(values), max(values)
    results = []
    for domain in definition.get("domains", []):
        questions = domain["questions"]
        points = sum(answers.get(q["id"], low) - low for q in questions)
        result = DomainResult(domain["id"], pick(domain["title"], lang), points, (high - low) * len(questions))
        if result.weak:
            result.recommended = recommended_modules(domain.get("modules", []), lang)
        results.append(result)
    return results


def recommended_modules(module_ids: list[str], lang: str) -> list[dict]:
    """Recommended modules that are currently offered, in the order the file lists them."""
    found = []
    for module_id in module_ids:
        module = live_module(module_id)
        if module is not None:
            found.append({"id": module_id, "title": view_of(module, lang).title})
    return found
