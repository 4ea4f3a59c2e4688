"""A paper as the quiz pages show it, in one language: questions to answer, and the review.

Pure data for the templates; field names follow `fields.py`, so the page can only post what
the engine reads.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from elearn.catalog.labels import pick
from elearn.catalog.present import source_entry, sources
from elearn.quizzes.draw import Paper, render_paper
from elearn.quizzes.fields import field_name, form_values
from elearn.quizzes.types import to_form


def saved_values(pool: Mapping[str, Any], paper: Paper, responses: Mapping[str, Any]) -> dict[str, list[str]]:
    """The form values that re-fill a page from an attempt's saved responses."""
    values: dict[str, list[str]] = {}
    for shown in render_paper(pool, paper):
        response = responses.get(shown.item["id"])
        if response is not None:
            values.update(to_form(shown.item, response, shown.order))
    return values


def _choice_label(item: Mapping[str, Any], choice: Mapping[str, Any], lang: str) -> str:
    """A choice's text; true/false choices have none of their own."""
    if item["type"] == "truefalse":
        return _("True") if choice["id"] == "true" else _("False")
    return pick(choice.get("text"), lang)


def questions(pool: Mapping[str, Any], paper: Paper, lang: str, values: Any = None,
              errors: Mapping[str, str] | None = None) -> list[dict]:
    """Each question with its options in the paper's order and the values to show as chosen."""
    values = form_values(values or {})
    errors = errors or {}
    shown_items = []
    for shown in render_paper(pool, paper):
        item = shown.item
        kind, name = item["type"], field_name(item["id"])
        question = {"id": item["id"], "number": shown.number, "type": kind, "name": name,
                    "prompt": pick(item.get("prompt"), lang), "error": errors.get(item["id"])}
        if kind in ("single", "truefalse", "multiple"):
            chosen = set(values.get(name, []))
            question["options"] = [{"value": c["id"], "label": _choice_label(item, c, lang),
                                    "checked": c["id"] in chosen} for c in shown.options["choices"]]
        elif kind == "numeric":
            question["value"] = (values.get(name) or [""])[0]
            question["unit"] = pick(item.get("unit"), lang)
        elif kind == "matching":
            question["rights"] = [{"number": k, "label": pick(p.get("right"), lang)}
                                  for k, p in enumerate(shown.options["rights"], start=1)]
            question["lefts"] = [{"name": field_name(item["id"], p["id"]), "label": pick(p.get("left"), lang),
                                  "selected": (values.get(field_name(item["id"], p["id"])) or [""])[0]}
                                 for p in item["pairs"]]
        elif kind == "ordering":
            steps = shown.options["steps"]
            question["places"] = list(range(1, len(steps) + 1))
            question["steps"] = [{"name": field_name(item["id"], k), "label": pick(s.get("text"), lang),
                                  "selected": (values.get(field_name(item["id"], k)) or [""])[0]}
                                 for k, s in enumerate(steps, start=1)]
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


def _item_feedback(item: Mapping[str, Any], correct: bool, lang: str) -> str:
    """Item-level feedback (ordering, numeric, matching): the correct or the incorrect text."""
    feedback = item.get("feedback") or {}
    return pick(feedback.get("correct" if correct else "incorrect"), lang)


def review(pool: Mapping[str, Any], paper: Paper, attempt_result: Mapping[str, Any],
           responses: Mapping[str, Any], lang: str) -> list[dict]:
    """Per question: the mark, what was chosen, what is right, the feedback and the source."""
    marks = {row["item"]: row for row in attempt_result.get("items", [])}
    rows = []
    for shown in render_paper(pool, paper):
        item, kind = shown.item, shown.item["type"]
        mark = marks.get(item["id"], {"earned": 0, "possible": 1, "fraction": 0.0})
        response = responses.get(item["id"])
        row = {"number": shown.number, "type": kind, "prompt": pick(item.get("prompt"), lang),
               "fraction": mark["fraction"], "earned": mark["earned"], "possible": mark["possible"],
               "explanation": pick(item.get("explanation"), lang), "source": _source(item, lang),
               "state": "right" if mark["fraction"] == 1 else ("partial" if mark["fraction"] > 0 else "wrong")}
        if kind in ("single", "truefalse", "multiple"):
            chosen = set(response or []) if kind == "multiple" else ({response} if response else set())
            row["options"] = [{"label": _choice_label(item, c, lang), "chosen": c["id"] in chosen,
                               "correct": c["id"] in set(item["correct"]), "feedback": pick(c.get("feedback"), lang)}
                              for c in shown.options["choices"]]
        elif kind == "matching":
            rights = {p["id"]: pick(p.get("right"), lang) for p in item["pairs"]}
            row["pairs"] = [{"left": pick(p.get("left"), lang), "chosen": rights.get((response or {}).get(p["id"])),
                             "correct": rights[p["id"]], "ok": (response or {}).get(p["id"]) == p["id"],
                             "feedback": pick(p.get("feedback"), lang)} for p in item["pairs"]]
            row["feedback"] = _item_feedback(item, row["state"] == "right", lang)
        elif kind == "ordering":
            text = {s["id"]: pick(s.get("text"), lang) for s in item["steps"]}
            row["given"] = [text[s] for s in (response or [])]
            row["correct_order"] = [text[s["id"]] for s in item["steps"]]
            row["feedback"] = _item_feedback(item, row["state"] == "right", lang)
        elif kind == "numeric":
            row["given"] = response
            row["answer"] = item["answer"]
            row["tolerance"] = item.get("tolerance", 0)
            row["unit"] = pick(item.get("unit"), lang)
            row["feedback"] = _item_feedback(item, row["state"] == "right", lang)
        rows.append(row)
    return rows
