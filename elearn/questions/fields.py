"""Form field names of a quiz page, and reading a posted form into plain lists of strings.

Contract with the templates (ids are `a-z0-9-`, so "." can never be part of one):

- single, truefalse, multiple: `q.<item>` = a choice id (multiple: the name repeats)
- numeric:                     `q.<item>` = the typed number ("12,5" and "12.5" both work)
- matching:  `q.<item>.<left pair id>` = k, the 1-based number of the right-hand option
             as shown on the paper ("" = not matched yet)
- ordering:  `q.<item>.<k>` for the step shown k-th (1-based) = the position the learner
             gives it, 1..n ("" = not placed)

Matching and ordering post display numbers, never ids, because pair and step ids would give
the answer away. Fields not starting with "q." (lt, csrf_token, buttons) are not answers.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elearn.questions.messages import N_, ResponseError

PREFIX = "q."
MAX_FIELDS = 300         # a huge paper (50 items × 6 parts) stays below; bounds the work per post
MAX_VALUES = 600
MAX_VALUE_LENGTH = 64    # ids and numbers are short; anything longer is not an answer


def field_name(item_id: str, part: str | int | None = None) -> str:
    """The form field name for an item, or for one part of it."""
    return f"{PREFIX}{item_id}" if part is None else f"{PREFIX}{item_id}.{part}"


def parse_field(name: str) -> tuple[str, str | None] | None:
    """Split `q.<item>[.<part>]` into (item, part); None for fields that are not answers."""
    if not isinstance(name, str) or not name.startswith(PREFIX):
        return None
    item_id, _, part = name[len(PREFIX):].partition(".")
    return item_id, (part if _ else None)


def form_values(form: Any) -> dict[str, list[str]]:
    """A werkzeug MultiDict, a dict of str or of lists → {name: [values]} (non-strings refused)."""
    if hasattr(form, "getlist") and hasattr(form, "keys"):
        pairs = [(key, form.getlist(key)) for key in form.keys()]
    elif isinstance(form, Mapping):
        pairs = list(form.items())
    else:
        raise ResponseError("bad_form", N_("The answers could not be read."))
    values: dict[str, list[str]] = {}
    for key, raw in pairs:
        listed = list(raw) if isinstance(raw, (list, tuple)) else [raw]
        if not isinstance(key, str) or not all(isinstance(v, str) for v in listed):
            raise ResponseError("bad_form", N_("The answers could not be read."))
        values[key] = listed
    return values


def answer_fields(form: Any) -> dict[tuple[str, str | None], list[str]]:
    """The quiz fields of a form keyed by (item, part), size-checked; other fields dropped."""
    fields: dict[tuple[str, str | None], list[str]] = {}
    for name, values in form_values(form).items():
        parsed = parse_field(name)
        if parsed is not None:
            fields[parsed] = [v.strip() for v in values]
    if len(fields) > MAX_FIELDS or sum(len(v) for v in fields.values()) > MAX_VALUES:
        raise ResponseError("too_many_fields", N_("The form sent more answers than the quiz has."))
    if any(len(v) > MAX_VALUE_LENGTH for values in fields.values() for v in values):
        raise ResponseError("value_too_long", N_("An answer is too long."))
    return fields
