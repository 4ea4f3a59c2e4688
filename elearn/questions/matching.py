"""Matching (each left to its right) and ordering (steps put in order) questions."""
from __future__ import annotations

from elearn.questions import gift_parts as gp
from elearn.questions.base import (QuestionType, Score, display_number, item_feedback, one_value, own_parts, register,
                                   shown_ids)
from elearn.questions.fields import field_name
from elearn.questions.messages import N_, ResponseError
from elearn.questions.rules import outcome_feedback, parts


@register
class Matching(QuestionType):
    """Each left matched to a right (right options named by their pair id); credit per pair."""

    name = "matching"
    required_keys = ("pairs",)
    gift_notes = ("pairs",)   # and feedback:<pair id>, which gift_import accepts for any id
    gift_order = 30

    def check(self, fields):
        """2–6 pairs with ids, left, right and feedback."""
        parts(fields, "pairs", 2, 6, ("id", "left", "right", "feedback"), ("left", "right"))

    def option_groups(self, item):
        """The right-hand sides are shuffled; the lefts keep pool order."""
        return {"rights": item["pairs"]}

    def normalise_response(self, item, raw, order=None):
        """`q.<item>.<left>` = shown number of a right → {left: pair id}, or None."""
        lefts = [p["id"] for p in item["pairs"]]
        rights = shown_ids(item, "rights", order)
        found = own_parts(item, raw, set(lefts))
        matched = {}
        for left, values in found.items():
            number = one_value(values, N_("Choose one match per item."))
            if number is not None:
                matched[left] = rights[display_number(number, len(rights)) - 1]
        return dict(sorted(matched.items(), key=lambda kv: lefts.index(kv[0]))) or None

    def score(self, item, response):
        """One mark per left matched to its own pair."""
        response = response or {}
        marks = {p["id"]: float(response.get(p["id"]) == p["id"]) for p in item["pairs"]}
        right = frozenset(k for k, v in marks.items() if v)
        missed = frozenset(k for k in marks if k not in response)
        return Score(len(right), len(marks), marks, right, frozenset(marks) - right - missed,
                     missed, answered=bool(response))

    def perfect_response(self, item):
        """Every left matched to its own pair."""
        return {p["id"]: p["id"] for p in item["pairs"]}

    def to_form(self, item, response, order=None):
        """`q.<item>.<left>` = 1-based shown number of the chosen right."""
        rights = shown_ids(item, "rights", order)
        return {field_name(item["id"], left): [str(rights.index(right) + 1)]
                for left, right in (response or {}).items()}

    def present(self, item, options, values, page):
        """The numbered rights, and a choice of one of them per left."""
        return {"widget": "match",
                "rights": [{"number": k, "label": page.text(p.get("right"))}
                           for k, p in enumerate(options["rights"], start=1)],
                "lefts": [{"name": field_name(item["id"], p["id"]), "label": page.text(p.get("left")),
                           "selected": (values.get(field_name(item["id"], p["id"])) or [""])[0]}
                          for p in item["pairs"]]}

    def review(self, item, options, response, right, page):
        """Per left: the match given, the right one, the pair's feedback."""
        rights = {p["id"]: page.text(p.get("right")) for p in item["pairs"]}
        given = response or {}
        return {"widget": "pairs",
                "pairs": [{"left": page.text(p.get("left")), "chosen": rights.get(given.get(p["id"])),
                           "correct": rights[p["id"]], "ok": given.get(p["id"]) == p["id"],
                           "feedback": page.text(p.get("feedback"))} for p in item["pairs"]],
                "feedback": item_feedback(item, right, page)}

    def gift_recognises(self, answers, declared):
        """{=left -> right …}, unless marked as our ordering."""
        return "=" in answers and "->" in answers and declared != "ordering"

    def gift_write(self, item, lang):
        """Pairs in pool order; pair ids and per-pair feedback as annotations (GIFT has none)."""
        extra = [("pairs", " ".join(p["id"] for p in item["pairs"]))]
        extra += [(f"feedback:{p['id']}", text) for p in item["pairs"]
                  if (text := gp.lang_text(p, "feedback", lang, required=False))]
        return extra, gp.pair_lines(item, lang)

    def gift_read(self, block, answers, pos):
        """{=left -> right …}; pair ids and per-pair feedback from annotations."""
        sides = gp.read_sides(block, answers, pos)
        pair_ids = gp.read_ids(block, "pairs", len(sides), "p", pos)
        pairs = []
        for pair_id, (left, right) in zip(pair_ids, sides):
            pair = {"id": pair_id, "left": {block.lang: left}, "right": {block.lang: right}}
            if block.note(f"feedback:{pair_id}"):
                pair["feedback"] = {block.lang: block.note(f"feedback:{pair_id}")}
            pairs.append(pair)
        return {"pairs": pairs}


@register
class Ordering(QuestionType):
    """Steps put in order (pool order is the right one); credit per step in its right place."""

    name = "ordering"
    required_keys = ("steps", "feedback")
    gift_notes = ("steps", "feedback-correct", "feedback-incorrect")
    gift_order = 30

    def check(self, fields):
        """3–6 steps with ids and text; feedback for right and wrong."""
        parts(fields, "steps", 3, 6, ("id", "text"), ("text",))
        outcome_feedback(fields)

    def option_groups(self, item):
        """The steps, shuffled on the paper."""
        return {"steps": item["steps"]}

    def normalise_response(self, item, raw, order=None):
        """`q.<item>.<k>` = place of the k-th shown step → step ids in the learner's order."""
        shown = shown_ids(item, "steps", order)
        found = own_parts(item, raw, {str(k) for k in range(1, len(shown) + 1)})
        places = {}
        for k, values in found.items():
            place = one_value(values, N_("Give each step one place."))
            if place is not None:
                places[shown[int(k) - 1]] = display_number(place, len(shown))
        if not places:
            return None
        if len(places) < len(shown):
            raise ResponseError("incomplete_order",
                                N_("Give every step a place in the order, or leave them all empty."))
        if len(set(places.values())) < len(places):
            raise ResponseError("duplicate_position", N_("Each place in the order can be given to one step only."))
        return sorted(places, key=places.get)

    def score(self, item, response):
        """One mark per step at its own place."""
        steps = [s["id"] for s in item["steps"]]
        given = list(response or [])
        marks = {s: float(i < len(given) and given[i] == s) for i, s in enumerate(steps)}
        right = frozenset(s for s, v in marks.items() if v)
        missed = frozenset() if given else frozenset(steps)
        return Score(len(right), len(steps), marks, right, frozenset(steps) - right - missed, missed,
                     answered=bool(given))

    def perfect_response(self, item):
        """The steps in pool order."""
        return [s["id"] for s in item["steps"]]

    def to_form(self, item, response, order=None):
        """`q.<item>.<k>` = 1-based place of the k-th shown step."""
        if not response:
            return {}
        return {field_name(item["id"], k): [str(response.index(step) + 1)]
                for k, step in enumerate(shown_ids(item, "steps", order), start=1)}

    def present(self, item, options, values, page):
        """The steps in the paper's order, each with a choice of place."""
        steps = options["steps"]
        return {"widget": "order", "places": list(range(1, len(steps) + 1)),
                "steps": [{"name": field_name(item["id"], k), "label": page.text(s.get("text")),
                           "selected": (values.get(field_name(item["id"], k)) or [""])[0]}
                          for k, s in enumerate(steps, start=1)]}

    def review(self, item, options, response, right, page):
        """The order given beside the right one."""
        text = {s["id"]: page.text(s.get("text")) for s in item["steps"]}
        return {"widget": "order", "given": [text[s] for s in (response or [])],
                "correct_order": [text[s["id"]] for s in item["steps"]],
                "feedback": item_feedback(item, right, page)}

    def gift_recognises(self, answers, declared):
        """Our encoding: a matching marked // [type] ordering."""
        return "=" in answers and "->" in answers and declared == "ordering"

    def gift_write(self, item, lang):
        """Not native: a matching of place numbers 1..n to the steps in their right order."""
        steps = [{"id": s["id"], "right": s.get("text", {})} for s in item["steps"]]
        extra = [("steps", " ".join(s["id"] for s in steps))] + gp.outcome_notes(item, lang)
        return extra, gp.pair_lines({"id": item["id"], "pairs": steps}, lang, lefts=True)

    def gift_read(self, block, answers, pos):
        """A matching of places 1..n to steps (our encoding); steps come back in place order."""
        sides = gp.read_sides(block, answers, pos)
        places = [left for left, _ in sides]
        if sorted(places) != sorted(str(n) for n in range(1, len(sides) + 1)):
            raise block.fail("gift_places", N_("Line %(line)s: an ordering question numbers its steps 1 to n."), pos)
        in_order = [right for _, right in sorted(sides, key=lambda side: int(side[0]))]
        step_ids = gp.read_ids(block, "steps", len(sides), "s", pos)
        fields = {"steps": [{"id": s, "text": {block.lang: t}} for s, t in zip(step_ids, in_order)]}
        feedback = {k: {block.lang: block.note(f"feedback-{k}")} for k in ("correct", "incorrect")
                    if block.note(f"feedback-{k}")}
        return fields | ({"feedback": feedback} if feedback else {})
