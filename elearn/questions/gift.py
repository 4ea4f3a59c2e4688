"""Moodle GIFT export and import of a question pool, one language per file.

Each question type writes and reads its own answer block (`QuestionType.gift_write`/`gift_read`,
helpers in gift_parts); this module writes what every item shares. Encoding of the built-in
types (ids in `::id::`, the rest in `// [key] value` annotations):

    single     {=right#feedback ~wrong#feedback ####explanation}      // [choices] a b c
    multiple   {~%50%right#fb ~%-50%wrong#fb ...}  weights ±100/number correct, which is
               exactly our rule (correct − wrong chosen)/number correct, floored at 0
    truefalse  {TRUE#feedback if wrong#feedback if right ####explanation}
    matching   {=left -> right ...}  // [pairs] p1 p2; // [feedback:p1] … (GIFT has none)
    ordering   not native: a matching of place numbers to steps, {=1 -> first step =2 -> …},
               marked // [type] ordering, // [steps] …, // [feedback-correct] / [-incorrect]
    numeric    {#=12.5:0.5#feedback if right ~#feedback if wrong ####explanation}  // [unit] …

Also annotated: [type], [objective], [source], [section], [pinned]. Moodle reads the file as
plain GIFT (ordering arrives as a matching question). True/false choice texts are not carried
(GIFT has none; the page says True/False). Texts are trimmed, as Moodle trims them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elearn.questions.base import TYPES
from elearn.questions.gift_import import import_gift, merge_language
from elearn.questions.gift_parts import lang_text
from elearn.questions.gift_text import escape
from elearn.questions.messages import N_, GiftError

__all__ = ["export_gift", "import_gift", "merge_language"]


def export_gift(pool: Mapping[str, Any], lang: str) -> str:
    """The pool's items as GIFT text in one language ("nl" or "en")."""
    return "\n".join(_question(item, lang) for item in pool["items"])


def _question(item: Mapping[str, Any], lang: str) -> str:
    """One item: annotations, `::id::`, the prompt and the type's answer block."""
    kind = item["type"]
    if kind not in TYPES:
        raise GiftError("gift_unsupported_type", N_("Question type %(type)s cannot be written as GIFT."),
                        type=kind)
    notes = [("type", kind)]
    notes += [(key, item[key]) for key in ("objective",) if item.get(key)]
    source = item.get("source") or {}
    notes += [(key, source[doc_key]) for key, doc_key in (("source", "doc"), ("section", "section"))
              if source.get(doc_key)]
    extra, body = TYPES[kind].gift_write(item, lang)
    explanation = lang_text(item, "explanation", lang, required=False)
    if explanation:
        body.append("####" + escape(explanation))
    lines = [f"// [{key}] {escape(value)}" for key, value in notes + extra]
    prompt = "[markdown]" + escape(lang_text(item, "prompt", lang))
    lines.append(f"::{item['id']}::{prompt}{{")
    lines += ["\t" + line for line in body]
    return "\n".join(lines + ["}", ""])
