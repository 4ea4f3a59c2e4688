"""Moodle GIFT export and import of a question pool, one language per file.

Encoding of our types (ids in `::id::`, the rest in `// [key] value` annotations):

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

from elearn.quizzes.decimals import canonical
from elearn.quizzes.gift_import import import_gift, merge_language
from elearn.quizzes.gift_text import escape
from elearn.quizzes.messages import N_, GiftError

__all__ = ["export_gift", "import_gift", "merge_language"]


def export_gift(pool: Mapping[str, Any], lang: str) -> str:
    """The pool's items as GIFT text in one language ("nl" or "en")."""
    return "\n".join(_question(item, lang) for item in pool["items"])


def _question(item: Mapping[str, Any], lang: str) -> str:
    """One item: annotations, `::id::`, the prompt and the answer block."""
    kind = item["type"]
    writer = _WRITERS.get(kind)
    if writer is None:
        raise GiftError("gift_unsupported_type", N_("Question type %(type)s cannot be written as GIFT."),
                        type=kind)
    notes = [("type", kind)]
    notes += [(key, item[key]) for key in ("objective",) if item.get(key)]
    source = item.get("source") or {}
    notes += [(key, source[doc_key]) for key, doc_key in (("source", "doc"), ("section", "section"))
              if source.get(doc_key)]
    extra, body = writer(item, lang)
    explanation = _text(item, "explanation", lang, required=False)
    if explanation:
        body.append("####" + escape(explanation))
    lines = [f"// [{key}] {escape(value)}" for key, value in notes + extra]
    prompt = "[markdown]" + escape(_text(item, "prompt", lang))
    lines.append(f"::{item['id']}::{prompt}{{")
    lines += ["\t" + line for line in body]
    return "\n".join(lines + ["}", ""])


def _text(owner: Mapping[str, Any], key: str, lang: str, required: bool = True, where: str = "") -> str:
    """owner[key][lang], or "" when optional and missing; GiftError when required and missing."""
    value = (owner.get(key) or {}).get(lang, "")
    if required and not str(value).strip():
        raise GiftError("gift_missing_text", N_("%(where)s has no %(lang)s text for %(field)s."),
                        where=where or owner.get("id", "?"), lang=lang, field=key)
    return str(value).strip()


def _feedback(option: Mapping[str, Any], lang: str) -> str:
    """`#feedback` for an option, or "" without feedback."""
    text = _text(option, "feedback", lang, required=False)
    return "#" + escape(text) if text else ""


def _choices(item, lang):
    """single and multiple: one line per choice, in pool order."""
    correct = set(item["correct"])
    weight = f"{100 / len(correct):.5f}".rstrip("0").rstrip(".")
    body = []
    for choice in item["choices"]:
        text = _text(choice, "text", lang, where=f"{item['id']}/{choice['id']}")
        if item["type"] == "single":
            # "~%50% of patients" would read as a 50% weight: an explicit %0% keeps it text
            mark = "=" if choice["id"] in correct else ("~%0%" if text.startswith("%") else "~")
        else:
            mark = f"~%{weight}%" if choice["id"] in correct else f"~%-{weight}%"
        body.append(mark + escape(text) + _feedback(choice, lang))
    extra = [("choices", " ".join(c["id"] for c in item["choices"]))]
    pinned = [c["id"] for c in item["choices"] if c.get("pinned")]
    return extra + ([("pinned", " ".join(pinned))] if pinned else []), body


def _truefalse(item, lang):
    """{TRUE#feedback if wrong#feedback if right}: Moodle's order of the two feedbacks."""
    by_id = {c["id"]: c for c in item["choices"]}
    right = item["correct"][0]
    wrong = "false" if right == "true" else "true"
    wrong_text, right_text = (_text(by_id[c], "feedback", lang, required=False) for c in (wrong, right))
    line = "TRUE" if right == "true" else "FALSE"
    if wrong_text or right_text:
        line += "#" + escape(wrong_text) + ("#" + escape(right_text) if right_text else "")
    return [], [line]


def _pairs(item, lang, lefts=None):
    """matching (lefts = the pairs' lefts) or ordering (lefts = place numbers)."""
    body = []
    for number, pair in enumerate(item["pairs"], start=1):
        left = str(number) if lefts else _text(pair, "left", lang, where=f"{item['id']}/{pair['id']}")
        if "->" in left:
            raise GiftError("gift_arrow_in_left", N_("%(where)s: a matching left side may not contain '->'."),
                            where=f"{item['id']}/{pair['id']}")
        right = _text(pair, "right", lang, where=f"{item['id']}/{pair['id']}")
        body.append(f"={escape(left)} -> {escape(right)}")
    return body


def _matching(item, lang):
    """Pairs in pool order; pair ids and per-pair feedback as annotations."""
    extra = [("pairs", " ".join(p["id"] for p in item["pairs"]))]
    extra += [(f"feedback:{p['id']}", text) for p in item["pairs"]
              if (text := _text(p, "feedback", lang, required=False))]
    return extra, _pairs(item, lang)


def _ordering(item, lang):
    """A matching of place numbers 1..n to the steps in their right order."""
    steps = [{"id": s["id"], "right": s.get("text", {})} for s in item["steps"]]
    extra = [("steps", " ".join(s["id"] for s in steps))] + _outcome_feedback(item, lang)
    return extra, _pairs({"id": item["id"], "pairs": steps}, lang, lefts=True)


def _numeric(item, lang):
    """{#=answer:tolerance#right feedback ~#wrong feedback}; the unit as an annotation."""
    feedback = item.get("feedback") or {}
    right = _text(feedback, "correct", lang, required=False)
    wrong = _text(feedback, "incorrect", lang, required=False)
    answer = f"={canonical(item['answer'])}"
    if "tolerance" in item:                      # absent means exact, in GIFT as in quiz.yaml
        answer += f":{canonical(item['tolerance'])}"
    body = ["#", answer + ("#" + escape(right) if right else "")] + (["~#" + escape(wrong)] if wrong else [])
    unit = _text(item, "unit", lang, required=False)
    return ([("unit", unit)] if unit else []), body


def _outcome_feedback(item, lang):
    """Ordering's feedback {correct, incorrect} as annotations."""
    feedback = item.get("feedback") or {}
    return [(f"feedback-{key}", text) for key in ("correct", "incorrect")
            if (text := _text(feedback, key, lang, required=False))]


_WRITERS = {"single": _choices, "multiple": _choices, "truefalse": _truefalse,
            "matching": _matching, "ordering": _ordering, "numeric": _numeric}
