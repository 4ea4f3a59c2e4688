"""GIFT text rules shared by export and import: escaping, and our comment annotations.

GIFT escapes `~ = # { } :` and the backslash with a backslash and writes a newline as `\\n`
(Moodle's qformat_gift does the same). Reading, we swap escaped characters for private-use
placeholders first, as Moodle does, so splitting on the special characters is plain string work.

Our stable ids and the fields GIFT has no place for travel in comment lines Moodle ignores:
`// [key] value` (one per line, value escaped like GIFT text), before the question.
"""
from __future__ import annotations

import re

SPECIALS = "\\~=#{}:"
_PLACEHOLDER = {ch: chr(0xE000 + i) for i, ch in enumerate(SPECIALS)}
_RESTORE = {v: k for k, v in _PLACEHOLDER.items()}
_NEWLINE_MARK = chr(0xE000 + len(SPECIALS))
ANNOTATION = re.compile(r"^\s*//\s*\[([a-z0-9][a-z0-9:-]*)\][ \t]?(.*?)\s*$")
FORMATS = ("[html]", "[markdown]", "[plain]", "[moodle]")
ID = re.compile(r"[a-z0-9][a-z0-9-]*")


def escape(text: str) -> str:
    """Text as GIFT writes it: specials backslashed, newlines as \\n, carriage returns dropped."""
    out = []
    for ch in str(text).replace("\r", ""):
        out.append("\\n" if ch == "\n" else "\\" + ch if ch in SPECIALS else ch)
    return "".join(out)


def protect(raw: str) -> str:
    """Replace escape sequences with placeholders (an unknown escape keeps its backslash)."""
    out, i = [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and (raw[i + 1] in SPECIALS or raw[i + 1] == "n"):
            nxt = raw[i + 1]
            out.append(_NEWLINE_MARK if nxt == "n" else _PLACEHOLDER[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def restore(protected: str) -> str:
    """Turn placeholders back into the characters they stand for; trim like Moodle does."""
    text = "".join(_RESTORE.get(ch, ch) for ch in protected).replace(_NEWLINE_MARK, "\n")
    return text.strip()


def unescape(raw: str) -> str:
    """Read one escaped GIFT value (as in annotations) back to text."""
    return restore(protect(raw))


def slug(text: str) -> str:
    """A stable-id-shaped version of a foreign question name ("Q1: Value" → "q1-value")."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))
