"""Reading the answer block of each GIFT question type (called by gift_import with its block).

Every reader gets the block (for annotations, language and errors with line numbers), the
answer text with escapes protected (general feedback already removed) and its position.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from elearn.quizzes.decimals import MAX_LENGTH, fits_answer_box
from elearn.quizzes.gift_text import ID, restore
from elearn.quizzes.messages import N_, GiftError

_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")


def single(block, answers: str, pos: int) -> dict[str, Any]:
    """{=right ~wrong …}: exactly one `=` answer; partial weights are not our single type."""
    found = _split(block, answers, pos, "=~")
    for marker, text, at in found:
        if marker == "~" and (_weight(text)[0] or 0) > 0:
            raise block.fail("gift_partial_single", N_("Line %(line)s: a single-answer question cannot "
                                                       "give partial credit."), at)
    rights = [at for marker, _, at in found if marker == "="]
    if len(rights) != 1:
        raise block.fail("gift_one_right", N_("Line %(line)s: a single-answer question needs exactly one = answer."),
                         rights[1] if rights else pos)
    return _choices(block, found, pos, lambda marker, w: marker == "=")


def multiple(block, answers: str, pos: int) -> dict[str, Any]:
    """{~%50%right ~%-50%wrong …}: answers with a positive weight are the correct ones."""
    found = _split(block, answers, pos, "~")
    fields = _choices(block, found, pos, lambda marker, w: (w or 0) > 0)
    if not fields["correct"]:
        raise block.fail("gift_no_right", N_("Line %(line)s: no answer has a positive weight."), pos)
    return fields


def truefalse(block, answers: str, pos: int) -> dict[str, Any]:
    """{TRUE#feedback if wrong#feedback if right}."""
    verdict, *feedback = answers.strip().split("#", 2)
    right = {"T": "true", "TRUE": "true", "F": "false", "FALSE": "false"}[verdict.strip()]
    wrong = "false" if right == "true" else "true"
    texts = dict(zip((wrong, right), (restore(f) for f in feedback)))
    choices = [{"id": c, **({"feedback": {block.lang: texts[c]}} if texts.get(c) else {})}
               for c in ("true", "false")]
    return {"choices": choices, "correct": [right]}


def matching(block, answers: str, pos: int) -> dict[str, Any]:
    """{=left -> right …}; pair ids and per-pair feedback from annotations."""
    sides = _sides(block, answers, pos)
    pair_ids = _ids(block, "pairs", len(sides), "p", pos)
    pairs = []
    for pair_id, (left, right) in zip(pair_ids, sides):
        pair = {"id": pair_id, "left": {block.lang: left}, "right": {block.lang: right}}
        if block.note(f"feedback:{pair_id}"):
            pair["feedback"] = {block.lang: block.note(f"feedback:{pair_id}")}
        pairs.append(pair)
    return {"pairs": pairs}


def ordering(block, answers: str, pos: int) -> dict[str, Any]:
    """A matching of places 1..n to steps (our encoding); steps come back in place order."""
    sides = _sides(block, answers, pos)
    places = [left for left, _ in sides]
    if sorted(places) != sorted(str(n) for n in range(1, len(sides) + 1)):
        raise block.fail("gift_places", N_("Line %(line)s: an ordering question numbers its steps 1 to n."), pos)
    in_order = [right for _, right in sorted(sides, key=lambda side: int(side[0]))]
    step_ids = _ids(block, "steps", len(sides), "s", pos)
    fields: dict[str, Any] = {"steps": [{"id": s, "text": {block.lang: t}} for s, t in zip(step_ids, in_order)]}
    feedback = {k: {block.lang: block.note(f"feedback-{k}")} for k in ("correct", "incorrect")
                if block.note(f"feedback-{k}")}
    return fields | ({"feedback": feedback} if feedback else {})


def numeric(block, answers: str, pos: int) -> dict[str, Any]:
    """{#answer:tolerance}, {#min..max} or {#=answer:tolerance#right ~#wrong}; one answer only."""
    body, wrong = answers.strip()[1:], ""
    if "~" in body:
        body, rest = body.split("~", 1)
        wrong = restore(rest.split("#", 1)[1]) if "#" in rest else ""
    found = [part for part in body.split("=") if part.strip()]
    if len(found) != 1:
        raise block.fail("gift_one_number", N_("Line %(line)s: a numeric question needs exactly one answer."), pos)
    weight_value, text = _weight(found[0])
    if weight_value not in (None, 100):
        raise block.fail("gift_partial_numeric", N_("Line %(line)s: partial credit for a number is not supported."),
                         pos)
    value, _, right = text.partition("#")
    if ".." in value:
        low, high = (_number(block, v, pos) for v in value.split("..", 1))
        answer, tolerance = (low + high) / 2, (high - low) / 2
    else:
        answer_text, colon, tolerance_text = value.partition(":")
        answer = _number(block, answer_text, pos)
        tolerance = _number(block, tolerance_text, pos) if colon else None   # none: exact
    if tolerance is not None and tolerance < 0:   # no answer could ever be right (quiz.yaml refuses it too)
        raise block.fail("gift_negative_tolerance", N_("Line %(line)s: %(text)s gives a tolerance below 0 "
                                                       "(write a range low..high)."), pos, text=restore(value))
    fields: dict[str, Any] = {"answer": _plain(answer)}
    if tolerance is not None:
        fields["tolerance"] = _plain(tolerance)
    feedback = {k: {block.lang: t} for k, t in (("correct", restore(right)), ("incorrect", wrong)) if t}
    if feedback:
        fields["feedback"] = feedback
    if block.note("unit"):
        fields["unit"] = {block.lang: block.note("unit")}
    return fields


def _split(block, answers: str, pos: int, markers: str) -> list[tuple[str, str, int]]:
    """(marker, text, position) per answer; text before the first marker is an error."""
    starts = [i for i, ch in enumerate(answers) if ch in markers]
    if not starts or answers[:starts[0]].strip():
        raise block.fail("gift_answer_start", N_("Line %(line)s: every answer must start with = or ~."), pos)
    ends = starts[1:] + [len(answers)]
    return [(answers[s], answers[s + 1:e], pos + s) for s, e in zip(starts, ends)]


def _choices(block, found, pos: int, is_right) -> dict[str, Any]:
    """Choices with ids from [choices] (or a, b, c…), feedback, [pinned]; and the correct ids."""
    choice_ids = _ids(block, "choices", len(found), "", pos)
    pinned = set((block.note("pinned") or "").split())
    if pinned - set(choice_ids):
        raise GiftError("gift_bad_pinned", N_("Line %(line)s: [pinned] names a choice the question lacks."),
                        block.notes["pinned"][1])
    choices, correct = [], []
    for choice_id, (marker, raw, at) in zip(choice_ids, found):
        weight_value, rest = _weight(raw) if marker == "~" else (None, raw)   # Moodle: no weights after =
        text, _, feedback = rest.partition("#")
        if not restore(text):
            raise block.fail("gift_empty_answer", N_("Line %(line)s: an answer has no text."), at)
        choice = {"id": choice_id, "text": {block.lang: restore(text)}}
        if restore(feedback):
            choice["feedback"] = {block.lang: restore(feedback)}
        if choice_id in pinned:
            choice["pinned"] = True
        choices.append(choice)
        if is_right(marker, weight_value):
            correct.append(choice_id)
    return {"choices": choices, "correct": correct}


def _sides(block, answers: str, pos: int) -> list[tuple[str, str]]:
    """(left, right) texts of `=left -> right` answers."""
    sides = []
    for _, text, at in _split(block, answers, pos, "="):
        left, arrow, right = text.partition("->")
        if not arrow or not restore(left) or not restore(right):
            raise block.fail("gift_pair", N_("Line %(line)s: a matching answer reads =left -> right."), at)
        sides.append((restore(left), restore(right)))
    return sides


def _ids(block, key: str, count: int, prefix: str, pos: int) -> list[str]:
    """Ids from the [key] annotation, else generated (a, b, c… or p1, p2…)."""
    given = block.note(key)
    if given is None:
        return [chr(97 + i) if not prefix and i < 26 else f"{prefix or 'c'}{i + 1}" for i in range(count)]
    ids = given.split()
    if len(ids) != count or len(set(ids)) != count or not all(ID.fullmatch(i) for i in ids):
        raise GiftError("gift_bad_ids", N_("Line %(line)s: [%(key)s] must list %(count)s distinct ids."),
                        block.notes[key][1], key=key, count=count)
    return ids


def _weight(text: str) -> tuple[float | None, str]:
    """Split a leading %weight% off an answer: (weight or None, the rest)."""
    match = _WEIGHT.match(text)
    return (float(match[1]), text[match.end():]) if match else (None, text)


def _number(block, text: str, pos: int) -> Decimal:
    """A GIFT number ("12.5", "-3"); GiftError otherwise."""
    try:
        value = Decimal(restore(text))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise block.fail("gift_not_a_number", N_("Line %(line)s: %(text)s is not a number."), pos,
                         text=restore(text))
    # A number no learner could type in the answer box is a typo (and 1e999999 would take minutes
    # to become an int).
    if not fits_answer_box(value):
        raise block.fail("gift_number_too_long", N_("Line %(line)s: %(text)s has more digits than the answer "
                                                    "box takes (%(max)s)."), pos, text=restore(text), max=MAX_LENGTH)
    return value


def _plain(value: Decimal) -> int | float:
    """int when whole, else float (as YAML would give); a fraction too fine for a float's digits
    becomes the whole number the float holds, so that an exported number reads back the same."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    return int(number) if number.is_integer() else number
