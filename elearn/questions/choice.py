"""Choice questions: single (one right choice), multiple (any number), truefalse."""
from __future__ import annotations

from typing import Any

from elearn.questions import gift_parts as gp
from elearn.questions.base import Checker, QuestionType, Score, one_value, own_parts, register
from elearn.questions.fields import field_name
from elearn.questions.gift_text import escape, restore
from elearn.questions.messages import N_, ResponseError
from elearn.questions.rules import head, option_feedback

_TRUEFALSE = {"T": "true", "TRUE": "true", "F": "false", "FALSE": "false"}


def check_choices(fields: Checker, choice_keys: tuple[str, ...]) -> list[str] | None:
    """choices with ids, text, feedback; returns the choice ids (None when there is no list)."""
    choices = fields.items("choices", min_len=2)
    ids: list[str] = []
    for index, choice in enumerate(choices or []):
        if not fields.is_mapping(choice):
            fields.report.error(choices.line_of(index), f"{fields.prefix}choice {index + 1} must be a mapping", "schema.type")
            continue
        sub = fields.sub(choice, f"{head(fields)} choice {index + 1}: ")
        choice_id = sub.ident("id", "choice id")
        if choice_id:
            sub.prefix = f"{head(fields)} choice '{choice_id}': "
            if choice_id in ids:
                sub.error("id", f"choice id '{choice_id}' is used twice", "id.unique")
            ids.append(choice_id)
        sub.keys(choice_keys, ("text", "pinned"))
        sub.bilingual("text")
        option_feedback(sub, choice)
        if "pinned" in choice and not isinstance(choice["pinned"], bool):
            sub.error("pinned", "pinned must be true or false", "schema.type")
    return ids if choices is not None else None


def check_correct(fields: Checker, kind: str, ids: list[str] | None, exactly_one: bool) -> list[str] | None:
    """correct: choice ids that exist, each once; exactly one when `exactly_one`. Returns them."""
    correct = fields.items("correct", min_len=1)
    if correct is None:
        return None
    chosen: list[str] = []
    for index, raw in enumerate(correct.raw):
        line = correct.line_of(index)
        if raw is None:
            fields.report.error(line, f"{fields.prefix}correct: entries must be choice ids", "quiz.correct")
        elif ids is not None and raw not in ids:
            fields.report.error(line, f"{fields.prefix}correct: '{raw}' is not a choice id (choices: {', '.join(ids)})", "quiz.correct")
        elif raw in chosen:
            fields.report.error(line, f"{fields.prefix}correct: '{raw}' listed twice", "quiz.correct")
        else:
            chosen.append(raw)
    if exactly_one and len(correct) != 1:
        fields.error("correct", f"a {kind} item has exactly one correct choice (found {len(correct)})", "quiz.correct")
    return chosen


@register
class Single(QuestionType):
    """One choice; full marks for a correct one."""

    name = "single"
    required_keys = ("choices", "correct")
    gift_notes = ("choices", "pinned")
    gift_order = 20
    choice_keys: tuple[str, ...] = ("id", "text", "feedback")   # required keys of each choice
    widget = "radio"

    def check(self, fields):
        """Choices with feedback; exactly one of them correct."""
        ids = check_choices(fields, self.choice_keys)
        check_correct(fields, self.name, ids, exactly_one=True)

    def option_groups(self, item):
        """Choices are shown (and shuffled, except pinned ones)."""
        return {"choices": item["choices"]}

    def normalise_response(self, item, raw, order=None):
        """One known choice id, or None."""
        chosen = one_value(own_parts(item, raw, {None}).get(None, []), N_("Choose one answer."))
        if chosen is not None and chosen not in {c["id"] for c in item["choices"]}:
            raise ResponseError("unknown_choice", N_("That answer is not one of the options."))
        return chosen

    def score(self, item, response):
        """1 for a correct choice, else 0."""
        correct = set(item["correct"])
        if response is None:
            return Score(0, 1, missed=frozenset(correct), answered=False)
        ok = response in correct
        return Score(int(ok), 1, {response: float(ok)}, frozenset({response} & correct),
                     frozenset({response} - correct), frozenset(correct - {response}))

    def perfect_response(self, item):
        """The correct choice."""
        return item["correct"][0]

    def to_form(self, item, response, order=None):
        """`q.<item>` = the choice id."""
        return {field_name(item["id"]): [] if response is None else [response]}

    def label(self, choice, page) -> str:
        """A choice's text on the page."""
        return page.text(choice.get("text"))

    def chosen(self, response: Any) -> set[str]:
        """The choice ids a response chose."""
        return {response} if response else set()

    def present(self, item, options, values, page):
        """Radio buttons in the paper's order."""
        chosen = set(values.get(field_name(item["id"]), []))
        return {"widget": self.widget,
                "options": [{"value": c["id"], "label": self.label(c, page), "checked": c["id"] in chosen}
                            for c in options["choices"]]}

    def review(self, item, options, response, right, page):
        """Each option: chosen, correct, its feedback."""
        chosen = self.chosen(response)
        return {"widget": "options",
                "options": [{"label": self.label(c, page), "chosen": c["id"] in chosen,
                             "correct": c["id"] in set(item["correct"]), "feedback": page.text(c.get("feedback"))}
                            for c in options["choices"]]}

    def gift_recognises(self, answers, declared):
        """{=right ~wrong …}."""
        return "~" in answers and "=" in answers

    def gift_write(self, item, lang):
        """One line per choice, in pool order; ids and pinned ones as annotations."""
        correct = set(item["correct"])
        weight = f"{100 / len(correct):.5f}".rstrip("0").rstrip(".")
        body = []
        for choice in item["choices"]:
            text = gp.lang_text(choice, "text", lang, where=f"{item['id']}/{choice['id']}")
            body.append(self.gift_mark(choice["id"] in correct, text, weight) + escape(text)
                        + gp.option_feedback(choice, lang))
        extra = [("choices", " ".join(c["id"] for c in item["choices"]))]
        pinned = [c["id"] for c in item["choices"] if c.get("pinned")]
        return extra + ([("pinned", " ".join(pinned))] if pinned else []), body

    def gift_mark(self, right: bool, text: str, weight: str) -> str:
        """`=` for the right choice, `~` for the others."""
        # "~%50% of patients" would read as a 50% weight: an explicit %0% keeps it text
        return "=" if right else ("~%0%" if text.startswith("%") else "~")

    def gift_read(self, block, answers, pos):
        """{=right ~wrong …}: exactly one `=` answer; partial weights are not our single type."""
        found = gp.split_answers(block, answers, pos, "=~")
        for marker, text, at in found:
            if marker == "~" and (gp.weight(text)[0] or 0) > 0:
                raise block.fail("gift_partial_single", N_("Line %(line)s: a single-answer question cannot "
                                                           "give partial credit."), at)
        rights = [at for marker, _, at in found if marker == "="]
        if len(rights) != 1:
            raise block.fail("gift_one_right", N_("Line %(line)s: a single-answer question needs exactly one = answer."),
                             rights[1] if rights else pos)
        return gp.read_choices(block, found, pos, lambda marker, w: marker == "=")


@register
class Multiple(Single):
    """Any number of choices.

    Partial credit = (correct chosen − wrong chosen) / number correct, floored at 0
    (Moodle's weights +100/n and −100/n give the same). `parts` holds ±1/n per chosen option.
    """

    name = "multiple"
    widget = "checkbox"

    def check(self, fields):
        """Choices with feedback; at least one correct (a warning when all are)."""
        ids = check_choices(fields, self.choice_keys)
        chosen = check_correct(fields, self.name, ids, exactly_one=False)
        if ids is not None and chosen and len(chosen) == len(ids):
            fields.report.warning(fields.data["correct"].line, f"{fields.prefix}every choice is correct", "quiz.correct")

    def normalise_response(self, item, raw, order=None):
        """Known, distinct choice ids in pool order, or None when none is ticked."""
        chosen = own_parts(item, raw, {None}).get(None, [])
        ids = [c["id"] for c in item["choices"]]
        if any(c not in ids for c in chosen):
            raise ResponseError("unknown_choice", N_("That answer is not one of the options."))
        if len(set(chosen)) != len(chosen):
            raise ResponseError("duplicate_value", N_("An option was sent twice."))
        return sorted(chosen, key=ids.index) or None

    def score(self, item, response):
        """(correct chosen − wrong chosen) / number correct, at least 0."""
        correct, chosen = set(item["correct"]), set(response or ())
        right, wrong = chosen & correct, chosen - correct
        parts = {c: (1 if c in correct else -1) / len(correct) for c in chosen}
        return Score(max(0, len(right) - len(wrong)), len(correct), parts, frozenset(right),
                     frozenset(wrong), frozenset(correct - chosen), answered=bool(chosen))

    def perfect_response(self, item):
        """Every correct choice, in pool order."""
        return [c["id"] for c in item["choices"] if c["id"] in set(item["correct"])]

    def to_form(self, item, response, order=None):
        """`q.<item>` repeated once per ticked choice."""
        return {field_name(item["id"]): list(response or [])}

    def chosen(self, response):
        """The ticked choice ids."""
        return set(response or [])

    def gift_recognises(self, answers, declared):
        """{~%50%right ~%-50%wrong …}: weights only, no `=`."""
        return "~" in answers and "=" not in answers

    def gift_mark(self, right, text, weight):
        """Weights ±100/number correct: exactly our rule."""
        return f"~%{weight}%" if right else f"~%-{weight}%"

    def gift_read(self, block, answers, pos):
        """{~%50%right ~%-50%wrong …}: answers with a positive weight are the correct ones."""
        found = gp.split_answers(block, answers, pos, "~")
        fields = gp.read_choices(block, found, pos, lambda marker, w: (w or 0) > 0)
        if not fields["correct"]:
            raise block.fail("gift_no_right", N_("Line %(line)s: no answer has a positive weight."), pos)
        return fields


@register
class TrueFalse(Single):
    """Single choice between the ids `true` and `false`, always shown in that order."""

    name = "truefalse"
    shuffles = False
    choice_keys = ("id", "feedback")   # the page says True/False; a text is optional
    gift_notes = ()
    gift_order = 40

    def check(self, fields):
        """Exactly the choices `true` and `false`, one of them correct."""
        ids = check_choices(fields, self.choice_keys)
        if ids is not None and sorted(ids) != ["false", "true"]:
            fields.error("choices", f"a truefalse item has exactly two choices, ids 'true' and 'false' (found {ids})", "quiz.truefalse")
        check_correct(fields, self.name, ids, exactly_one=True)

    def label(self, choice, page):
        """True/false choices have no text of their own."""
        return page.gettext(N_("True")) if choice["id"] == "true" else page.gettext(N_("False"))

    def gift_recognises(self, answers, declared):
        """{TRUE…} or {F…}."""
        return answers.split("#")[0].strip() in _TRUEFALSE

    def gift_write(self, item, lang):
        """{TRUE#feedback if wrong#feedback if right}: Moodle's order of the two feedbacks."""
        by_id = {c["id"]: c for c in item["choices"]}
        right = item["correct"][0]
        wrong = "false" if right == "true" else "true"
        wrong_text, right_text = (gp.lang_text(by_id[c], "feedback", lang, required=False) for c in (wrong, right))
        line = "TRUE" if right == "true" else "FALSE"
        if wrong_text or right_text:
            line += "#" + escape(wrong_text) + ("#" + escape(right_text) if right_text else "")
        return [], [line]

    def gift_read(self, block, answers, pos):
        """{TRUE#feedback if wrong#feedback if right}."""
        verdict, *feedback = answers.strip().split("#", 2)
        right = _TRUEFALSE[verdict.strip()]
        wrong = "false" if right == "true" else "true"
        texts = dict(zip((wrong, right), (restore(f) for f in feedback)))
        choices = [{"id": c, **({"feedback": {block.lang: texts[c]}} if texts.get(c) else {})}
                   for c in ("true", "false")]
        return {"choices": choices, "correct": [right]}
