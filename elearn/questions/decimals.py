"""Reading numbers the way people type them: "12,5", "12.5", "1.234,5", "1 234.5", "−3"."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from elearn.questions.messages import N_, ResponseError

MAX_LENGTH = 40
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")   # grouping spaces and the Swiss apostrophe
_SHAPE = re.compile(r"[+-]?[0-9.,]*[0-9][0-9.,]*")
_GROUPED = {sep: re.compile(r"[0-9]{1,3}(?:" + re.escape(sep) + r"[0-9]{3})+") for sep in ".,"}


def parse_decimal(text: str) -> Decimal:
    """Parse a typed number; raises ResponseError for anything that is not a plain number.

    Rule: with both "." and "," the last one is the decimal mark and the other groups
    thousands (in threes); a mark used twice or more groups thousands; a mark used once is
    the decimal mark — so "1,234" and "1.234" both mean 1.234 (Dutch learners type commas).
    No exponents, no nan/inf.
    """
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        raise _not_a_number()
    cleaned = _SPACES.sub("", text.strip()).replace("\u2212", "-")
    if not _SHAPE.fullmatch(cleaned):
        raise _not_a_number()
    sign = "-" if cleaned.startswith("-") else ""
    digits = cleaned.lstrip("+-")
    integer, decimal_mark, fraction = _split_decimal(digits)
    for sep in ".,":
        if sep in integer:
            if not _GROUPED[sep].fullmatch(integer):
                raise _not_a_number()
            integer = integer.replace(sep, "")
    if not re.fullmatch(r"[0-9]*", fraction) or not (integer or fraction):
        raise _not_a_number()
    try:
        value = Decimal(f"{sign}{integer or '0'}{'.' if decimal_mark else ''}{fraction}")
    except InvalidOperation:  # pragma: no cover - the shape checks above rule this out
        raise _not_a_number() from None
    # Stored as canonical(value), which must read back (re-filled page, marking at submit):
    # ".000…1" of MAX_LENGTH characters would be stored as "0.000…1", one character too long.
    if not fits_answer_box(value):
        raise _not_a_number()
    return value


def fits_answer_box(value: Decimal | float | int) -> bool:
    """Whether a learner can type this number: its stored form (canonical) has at most MAX_LENGTH
    characters. The exponent is looked at first: writing out 1e999999 would take minutes."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return abs(number.adjusted()) < MAX_LENGTH and len(canonical(number)) <= MAX_LENGTH


def canonical(value: Decimal | float | int | str) -> str:
    """A number as the shortest plain decimal string ("12.5", "100", "0"): how responses are stored."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == 0:
        return "0"
    # Not normalize(): it rounds to the context's 28 digits, so a longer number came back another one.
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _split_decimal(digits: str) -> tuple[str, str, str]:
    """(integer part with grouping marks, the decimal mark or "", fraction digits)."""
    last = max(digits.rfind("."), digits.rfind(","))
    if last < 0:
        return digits, "", ""
    mark = digits[last]
    other = "," if mark == "." else "."
    if other in digits or digits.count(mark) == 1:
        return digits[:last], mark, digits[last + 1:]
    return digits, "", ""          # one mark used several times: thousands grouping only


def _not_a_number() -> ResponseError:
    """The error for input that is not a number."""
    return ResponseError("not_a_number", N_("Type a number, for example 12.5 or 12,5."))
