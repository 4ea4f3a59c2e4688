"""Pieces of GIFT the question types build their `gift_write` and `gift_read` from.

Writing: texts of one language, escaped, as answer lines and `// [key]` annotations.
Reading: every reader gets the block (for annotations, language and errors with line numbers,
see gift_import), the answer text with escapes protected (general feedback already removed) and
its position.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from elearn.questions.decimals import MAX_LENGTH, fits_answer_box
from elearn.questions.gift_text import ID, escape, restore
from elearn.questions.messages import N_, GiftError

WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")


def lang_text(owner: Mapping[str, Any], key: str, lang: str, required: bool = True, where: str = "") -> str:
    """owner[key][lang], or "" when optional and missing; GiftError when required and missing."""
    value = (owner.get(key) or {}).get(lang, "")
    if required and not str(value).strip():
        raise GiftError("gift_missing_text", N_("%(where)s has no %(lang)s text for %(field)s."),
                        where=where or owner.get("id", "?"), lang=lang, field=key)
    return str(value).strip()


def option_feedback(option: Mapping[str, Any], lang: str) -> str:
    """`#feedback` for an option, or "" without feedback."""
    value = lang_text(option, "feedback", lang, required=False)
    return "#" + escape(value) if value else ""


def pair_lines(item: Mapping[str, Any], lang: str, lefts: bool = False) -> list[str]:
    """matching (lefts = the pairs' lefts) or ordering (lefts = place numbers)."""
    body = []
    for number, pair in enumerate(item["pairs"], start=1):
        left = str(number) if lefts else lang_text(pair, "left", lang, where=f"{item['id']}/{pair['id']}")
        if "->" in left:
            raise GiftError("gift_arrow_in_left", N_("%(where)s: a matching left side may not contain '->'."),
                            where=f"{item['id']}/{pair['id']}")
        right = lang_text(pair, "right", lang, where=f"{item['id']}/{pair['id']}")
        body.append(f"={escape(left)} -> {escape(right)}")
    return body


def outcome_notes(item: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """Item feedback {correct, incorrect} as annotations (GIFT has no place for it)."""
    feedback = item.get("feedback") or {}
    return [(f"feedback-{key}", value) for key in ("correct", "incorrect")
            if (value := lang_text(feedback, key, lang, required=False))]


def split_answers(block, answers: str, pos: int, markers: str) -> list[tuple[str, str, int]]:
    """(marker, text, position) per answer; text before the first marker is an error."""
    starts = [i for i, ch in enumerate(answers) if ch in markers]
    if not starts or answers[:starts[0]].strip():
        raise block.fail("gift_answer_start", N_("Line %(line)s: every answer must start with = or ~."), pos)
    ends = starts[1:] + [len(answers)]
    return [(answers[s], answers[s + 1:e], pos + s) for s, e in zip(starts, ends)]


def read_choices(block, found, pos: int, is_right) -> dict[str, Any]:
    """Choices with ids from [choices] (or a, b, c…), feedback, [pinned]; and the correct ids."""
    choice_ids = read_ids(block, "choices", len(found), "", pos)
    pinned = set((block.note("pinned") or "").split())
    if pinned - set(choice_ids):
        raise GiftError("gift_bad_pinned", N_("Line %(line)s: [pinned] names a choice the question lacks."),
                        block.notes["pinned"][1])
    choices, correct = [], []
    for choice_id, (marker, raw, at) in zip(choice_ids, found):
        weight_value, rest = weight(raw) if marker == "~" else (None, raw)   # Moodle: no weights after =
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


def read_sides(block, answers: str, pos: int) -> list[tuple[str, str]]:
    """(left, right) texts of `=left -> right` answers."""
    sides = []
    for _, text, at in split_answers(block, answers, pos, "="):
        left, arrow, right = text.partition("->")
        if not arrow or not restore(left) or not restore(right):
            raise block.fail("gift_pair", N_("Line %(line)s: a matching answer reads =left -> right."), at)
        sides.append((restore(left), restore(right)))
    return sides


def read_ids(block, key: str, count: int, prefix: str, pos: int) -> list[str]:
    """Ids from the [key] annotation, else generated (a, b, c… or p1, p2…)."""
    given = block.note(key)
    if given is None:
        return [chr(97 + i) if not prefix and i < 26 else f"{prefix or 'c'}{i + 1}" for i in range(count)]
    ids = given.split()
    if len(ids) != count or len(set(ids)) != count or not all(ID.fullmatch(i) for i in ids):
        raise GiftError("gift_bad_ids", N_("Line %(line)s: [%(key)s] must list %(count)s distinct ids."),
                        block.notes[key][1], key=key, count=count)
    return ids


def weight(text: str) -> tuple[float | None, str]:
    """Split a leading %weight% off an answer: (weight or None, the rest)."""
    match = WEIGHT.match(text)
    return (float(match[1]), text[match.end():]) if match else (None, text)


def read_number(block, text: str, pos: int) -> Decimal:
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


def plain(value: Decimal) -> int | float:
    """int when whole, else float (as YAML would give); a fraction too fine for a float's digits
    becomes the whole number the float holds, so that an exported number reads back the same."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    return int(number) if number.is_integer() else number
