"""A paper as the quiz pages show it, in one language: questions to answer, and the review.

Pure data for the templates: what every item shares is here, each type adds its own `widget`
and that widget's data (`QuestionType.present`/`review`, templates/quizzes/answer|review/).
Field names follow `elearn.questions.fields`, so the page can only post what the engine reads.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from elearn.catalog.labels import pick
from elearn.catalog.present import source_entry, sources
from elearn.questions import Page, to_form, type_of
from elearn.questions.fields import field_name, form_values
from elearn.quizzes.draw import Paper, render_paper


def saved_values(pool: Mapping[str, Any], paper: Paper, responses: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form values that re-fill a page from an attempt's saved responses."""
    values: dict[str, list[str]] = {}
    for shown in render_paper(pool, paper):
        response = responses.get(shown.item["id"])
        if response is not None:
            values.update(to_form(shown.item, response, shown.order))
    return values


def _page(lang: str) -> Page:
    """What the question types need to show an item in `lang`."""
    return Page(lang, pick, _)


def questions(pool: Mapping[str, Any], paper: Paper, lang: str, values: Any = None,
              errors: Mapping[str, str] | None = None) -> list[dict]:
    """Each question with its options in the paper's order and the values to show as chosen."""
    values = form_values(values or {})
    errors = errors or {}
    page = _page(lang)
    shown_items = []
    for shown in render_paper(pool, paper):
        item = shown.item
        question = {"id": item["id"], "number": shown.number, "type": item["type"], "name": field_name(item["id"]),
                    "prompt": pick(item.get("prompt"), lang), "error": errors.get(item["id"])}
        question.update(type_of(item).present(item, shown.options, values, page))
        shown_items.append(question)
    return shown_items


def answered(question: Mapping[str, Any]) -> bool:
    """Did the learner give any answer to this question (for the review-before-submit step)?"""
    if "options" in question:
        return any(o["checked"] for o in question["options"])
    if "value" in question:
        return bool(question["value"])
    return any(part["selected"] for part in question.get("lefts", question.get("steps", [])))


def _source(item: Mapping[str, Any], lang: str) -> dict | None:
    """The source an item rests on: a seed document's title, or a literature entry's reference and url."""
    ref = item.get("source") or {}
    doc = ref.get("doc")
    if not doc:
        return None
    entry = source_entry(doc, sources(), lang)
    return {"doc": doc, "section": ref.get("section", ""), "title": entry["title"],
            "reference": entry["reference"], "url": entry["url"]}


def review(pool: Mapping[str, Any], paper: Paper, attempt_result: Mapping[str, Any],
           responses: Mapping[str, Any], lang: str) -> list[dict]:
    """Per question: the mark, what was chosen, what is right, the feedback and the source."""
    marks = {row["item"]: row for row in attempt_result.get("items", [])}
    page = _page(lang)
    rows = []
    for shown in render_paper(pool, paper):
        item, kind = shown.item, shown.item["type"]
        mark = marks.get(item["id"], {"earned": 0, "possible": 1, "fraction": 0.0})
        row = {"number": shown.number, "type": kind, "prompt": pick(item.get("prompt"), lang),
               "fraction": mark["fraction"], "earned": mark["earned"], "possible": mark["possible"],
               "explanation": pick(item.get("explanation"), lang), "source": _source(item, lang),
               "state": "right" if mark["fraction"] == 1 else ("partial" if mark["fraction"] > 0 else "wrong")}
        row.update(type_of(item).review(item, shown.options, responses.get(item["id"]), row["state"] == "right", page))
        rows.append(row)
    return rows
