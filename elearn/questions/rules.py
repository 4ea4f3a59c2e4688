"""quiz.yaml rules several question types share (option lists, feedback), over a `Checker`.

Messages and rule keys are the ones `courses check` prints (see courses/README.md).
"""
from __future__ import annotations

from typing import Any

from elearn.questions.base import Checker


def head(fields: Checker) -> str:
    """"item 'x'" from the prefix "item 'x': ", to name a part as "item 'x' choice 'b': "."""
    return fields.prefix.rstrip(": ")


def option_feedback(sub: Checker, part: Any) -> None:
    """feedback {nl, en} on a choice or pair (rule quiz.feedback)."""
    if "feedback" not in part or part["feedback"] is None:
        for lang in ("nl", "en"):
            sub.error(None, f"missing feedback.{lang}", "quiz.feedback")
        return
    sub.bilingual("feedback", rule="quiz.feedback")


def parts(fields: Checker, key: str, low: int, high: int, required: tuple, bilingual: tuple) -> None:
    """pairs / steps: between low and high mappings with ids and bilingual texts."""
    found = fields.items(key)
    if found is None:
        return
    if not low <= len(found) <= high:
        fields.error(key, f"{key}: {low}–{high} entries needed, found {len(found)}", f"quiz.{key}")
    ids: list[str] = []
    for index, part in enumerate(found):
        if not fields.is_mapping(part):
            fields.report.error(found.line_of(index), f"{fields.prefix}{key} {index + 1} must be a mapping", "schema.type")
            continue
        sub = fields.sub(part, f"{head(fields)} {key[:-1]} {index + 1}: ")
        part_id = sub.ident("id", f"{key[:-1]} id")
        if part_id:
            sub.prefix = f"{head(fields)} {key[:-1]} '{part_id}': "
            if part_id in ids:
                sub.error("id", f"{key[:-1]} id '{part_id}' is used twice", "id.unique")
            ids.append(part_id)
        sub.keys(tuple(k for k in required if k != "feedback"), ("feedback",) if "feedback" in required else ())
        for text_key in bilingual:
            sub.bilingual(text_key)
        if "feedback" in required:
            option_feedback(sub, part)


def outcome_feedback(fields: Checker) -> None:
    """feedback: {correct: {nl,en}, incorrect: {nl,en}} for ordering and numeric items."""
    feedback = fields.mapping("feedback")
    if feedback is None:
        return
    sub = fields.sub(feedback, fields.prefix)
    for key in ("correct", "incorrect"):
        if key not in feedback:
            for lang in ("nl", "en"):
                sub.error(None, f"missing feedback.{key}.{lang}", "quiz.feedback")
        else:
            fields.bilingual_value(feedback[key], feedback.line_of(key), f"feedback.{key}", "quiz.feedback")
    for key in feedback:
        if key not in ("correct", "incorrect"):
            sub.error(key, f"feedback: unknown key '{key}' (use correct and incorrect)", "schema.unknown-key")
