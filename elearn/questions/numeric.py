"""Numeric questions: a number, right within a tolerance, compared as exact decimals."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from elearn.questions import gift_parts as gp
from elearn.questions.base import QuestionType, Score, item_feedback, one_value, own_parts, register
from elearn.questions.decimals import MAX_LENGTH, canonical, fits_answer_box, parse_decimal
from elearn.questions.fields import field_name
from elearn.questions.gift_text import escape, restore
from elearn.questions.messages import N_
from elearn.questions.rules import outcome_feedback


@register
class Numeric(QuestionType):
    """A number; right when |response − answer| ≤ tolerance, compared as exact decimals."""

    name = "numeric"
    required_keys = ("answer", "feedback")
    optional_keys = ("tolerance", "unit")
    gift_notes = ("unit",)
    gift_order = 10   # {#…} is numeric whatever else the block holds

    def check(self, fields):
        """answer, tolerance ≥ 0, optional unit {nl,en}, right/wrong feedback; numbers a learner can type."""
        answer = fields.number("answer")
        tolerance = fields.number("tolerance")
        if tolerance is not None and tolerance < 0:
            fields.error("tolerance", "tolerance must be 0 or more", "quiz.numeric")
        for key, value in (("answer", answer), ("tolerance", tolerance)):
            # 1e300 passes as a number, but the answer box takes MAX_LENGTH characters: nobody could be right.
            if value is not None and not fits_answer_box(value):
                fields.error(key, f"{key} {value} has more digits than the answer box takes ({MAX_LENGTH})",
                             "quiz.numeric")
        if "unit" in fields.data:
            fields.bilingual("unit")
        outcome_feedback(fields)

    def normalise_response(self, item, raw, order=None):
        """One typed number ("12,5" or "12.5") → canonical decimal string, or None."""
        typed = one_value(own_parts(item, raw, {None}).get(None, []), N_("Give one number."))
        return None if typed is None else canonical(parse_decimal(typed))

    def score(self, item, response):
        """1 within the tolerance, else 0."""
        if response is None:
            return Score(0, 1, missed=frozenset({"answer"}), answered=False)
        answer, tolerance = Decimal(str(item["answer"])), Decimal(str(item.get("tolerance", 0)))
        given = parse_decimal(response) if isinstance(response, str) else Decimal(str(response))
        ok = abs(given - answer) <= tolerance
        return Score(int(ok), 1, {"answer": float(ok)}, frozenset({"answer"} if ok else ()),
                     frozenset(() if ok else {"answer"}))

    def perfect_response(self, item):
        """The answer itself."""
        return canonical(item["answer"])

    def to_form(self, item, response, order=None):
        """`q.<item>` = the number."""
        return {field_name(item["id"]): [] if response is None else [str(response)]}

    def present(self, item, options, values, page):
        """A box for the number, with the unit."""
        return {"widget": "number", "value": (values.get(field_name(item["id"])) or [""])[0],
                "unit": page.text(item.get("unit"))}

    def review(self, item, options, response, right, page):
        """The number given, the answer and its tolerance."""
        return {"widget": "number", "given": response, "answer": item["answer"],
                "tolerance": item.get("tolerance", 0), "unit": page.text(item.get("unit")),
                "feedback": item_feedback(item, right, page)}

    def gift_recognises(self, answers, declared):
        """{#…}."""
        return answers.startswith("#")

    def gift_write(self, item, lang):
        """{#=answer:tolerance#right feedback ~#wrong feedback}; the unit as an annotation."""
        feedback = item.get("feedback") or {}
        right = gp.lang_text(feedback, "correct", lang, required=False)
        wrong = gp.lang_text(feedback, "incorrect", lang, required=False)
        answer = f"={canonical(item['answer'])}"
        if "tolerance" in item:                      # absent means exact, in GIFT as in quiz.yaml
            answer += f":{canonical(item['tolerance'])}"
        body = ["#", answer + ("#" + escape(right) if right else "")] + (["~#" + escape(wrong)] if wrong else [])
        unit = gp.lang_text(item, "unit", lang, required=False)
        return ([("unit", unit)] if unit else []), body

    def gift_read(self, block, answers, pos):
        """{#answer:tolerance}, {#min..max} or {#=answer:tolerance#right ~#wrong}; one answer only."""
        body, wrong = answers.strip()[1:], ""
        if "~" in body:
            body, rest = body.split("~", 1)
            wrong = restore(rest.split("#", 1)[1]) if "#" in rest else ""
        found = [part for part in body.split("=") if part.strip()]
        if len(found) != 1:
            raise block.fail("gift_one_number", N_("Line %(line)s: a numeric question needs exactly one answer."), pos)
        weight_value, text = gp.weight(found[0])
        if weight_value not in (None, 100):
            raise block.fail("gift_partial_numeric", N_("Line %(line)s: partial credit for a number is not supported."),
                             pos)
        value, _, right = text.partition("#")
        if ".." in value:
            low, high = (gp.read_number(block, v, pos) for v in value.split("..", 1))
            answer, tolerance = (low + high) / 2, (high - low) / 2
        else:
            answer_text, colon, tolerance_text = value.partition(":")
            answer = gp.read_number(block, answer_text, pos)
            tolerance = gp.read_number(block, tolerance_text, pos) if colon else None   # none: exact
        if tolerance is not None and tolerance < 0:   # no answer could ever be right (quiz.yaml refuses it too)
            raise block.fail("gift_negative_tolerance", N_("Line %(line)s: %(text)s gives a tolerance below 0 "
                                                           "(write a range low..high)."), pos, text=restore(value))
        fields: dict[str, Any] = {"answer": gp.plain(answer)}
        if tolerance is not None:
            fields["tolerance"] = gp.plain(tolerance)
        feedback = {k: {block.lang: t} for k, t in (("correct", restore(right)), ("incorrect", wrong)) if t}
        if feedback:
            fields["feedback"] = feedback
        if block.note("unit"):
            fields["unit"] = {block.lang: block.note("unit")}
        return fields
