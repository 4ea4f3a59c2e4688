"""CSV for spreadsheets without formula injection: every CSV the tool writes goes through `writer`.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or tab, carriage return,
NUL, which some of them skip first) as a formula, so a learner named `=HYPERLINK("http://x","y")`
would put a live link in the instructor's spreadsheet. Such a cell gets a leading apostrophe, as
OWASP advises: spreadsheets show the text as typed, and a plain-text reader sees the one extra quote.

Numbers stay numbers: an int or float is not text, and a string that is only a number (`-3`, `-12,50`,
`1.5e3`) cannot call a function, so a negative score is not turned into text that stops adding up.
Leading spaces do not hide a formula (` =1+1` is neutralised too).
"""
from __future__ import annotations

import csv
import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def cell(value):
    """The value as a spreadsheet may safely read it: text that could start a formula gets a leading '."""
    if not isinstance(value, str) or PLAIN_NUMBER.fullmatch(value):
        return value
    if value.lstrip(" ").startswith(TRIGGERS):
        return "'" + value
    return value


class _SafeWriter:
    """csv.writer whose rows are neutralised cell by cell."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row):
        """Write one row, each cell through `cell`."""
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows):
        """Write several rows."""
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> _SafeWriter:
    """A csv.writer (same options) that neutralises formula cells."""
    return _SafeWriter(out, **options)
