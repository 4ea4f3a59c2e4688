"""Item analysis of first attempts, computed as Moodle's quiz statistics report does.

Input: one mapping per learner's first attempt, item id → mark fraction 0..1, in paper order.
Every item counts one mark, so facility F = mean(x_i) / max(x_i) = mean(x_i).

- discrimination index = 100·Cov(x_i, X−x_i) / √(V(x_i)·V(X−x_i)), over the attempts that
  had item i, X the attempt's total: the item against the REST of the test, on Moodle's
  −100..100 scale (a correlation of 0.1 is an index of 10). Moodle's own numbers for items
  drawn by random slots correlate with the whole total instead; we follow the formula above.
- Cronbach's α = p/(p−1)·(1 − ΣV(x_j)/V(X)), reported as a fraction (Moodle shows it ×100
  as "coefficient of internal consistency"); named KR-20 when every mark is 0 or 1. Columns
  are items when every attempt had the same items, else paper positions (slots, as Moodle
  does with random questions) when every paper had the same length, else α is None.
- Variances and covariances divide by n−1, as Moodle does. Anything undefined (fewer than
  two attempts, zero variance) is None, never an error.
- Flags: facility > 0.8 "too_easy", < 0.3 "too_hard"; index < 10 "not_discriminating".
- `min_attempts`: below it an item's facility, sd, discrimination and flags are withheld (None,
  `withheld`), and α below it overall: one or two attempts would call a fine question "too hard".
"""
from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from elearn import csvsafe

TOO_EASY, TOO_HARD, NOT_DISCRIMINATING = "too_easy", "too_hard", "not_discriminating"
FACILITY_HIGH = 0.8
FACILITY_LOW = 0.3
DISCRIMINATION_MIN = 10.0   # on Moodle's 100 scale, i.e. a correlation of 0.1
_DENOMINATOR = 10_000       # marks are k/n with small n: recover them exactly from floats


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one item; None where undefined."""

    item_id: str
    attempts: int
    facility: float | None               # 0..1
    sd: float | None                     # standard deviation of the mark, 0..1 scale
    discrimination_index: float | None   # −100..100 (Moodle's scale)
    flags: tuple[str, ...]
    withheld: bool = False               # fewer attempts than the minimum: figures not shown

    @property
    def discrimination(self) -> float | None:
        """The discrimination as a correlation, −1..1."""
        return None if self.discrimination_index is None else self.discrimination_index / 100


@dataclass(frozen=True)
class Analysis:
    """The item table and the test's internal consistency."""

    attempts: int
    items: list[ItemStats]
    alpha: float | None
    alpha_method: str | None   # "KR-20" or "Cronbach's alpha"
    alpha_basis: str | None    # "items" or "slots"
    min_attempts: int = 0      # attempts an item (and α: the test) needs before figures are shown

    @property
    def alpha_withheld(self) -> bool:
        """Too few first attempts for the internal consistency to mean anything."""
        return self.attempts < self.min_attempts


def analyse(first_attempts: Sequence[Mapping[str, float]], item_ids: Sequence[str] | None = None,
            min_attempts: int = 0) -> Analysis:
    """Analyse first attempts; `item_ids` (e.g. pool order) lists items, unattempted ones too; figures
    of items with fewer than `min_attempts` attempts (and α below it) are withheld."""
    rows = [{k: Fraction(v).limit_denominator(_DENOMINATOR) for k, v in a.items()} for a in first_attempts]
    if item_ids is None:
        item_ids = list(dict.fromkeys(k for row in rows for k in row))
    items = [_withheld(s) if s.attempts < min_attempts else s for s in (_item_stats(i, rows) for i in item_ids)]
    alpha, method, basis = _alpha(rows) if len(rows) >= min_attempts else (None, None, None)
    return Analysis(len(rows), items, alpha, method, basis, min_attempts)


def _withheld(stats: ItemStats) -> ItemStats:
    """The item with only its attempt count: too few attempts to judge it."""
    return ItemStats(stats.item_id, stats.attempts, None, None, None, (), withheld=True)


def _item_stats(item_id: str, rows: list[dict[str, Fraction]]) -> ItemStats:
    """Facility, sd, discrimination and flags of one item."""
    marks = [row[item_id] for row in rows if item_id in row]
    rest = [sum(row.values()) - row[item_id] for row in rows if item_id in row]
    if not marks:
        return ItemStats(item_id, 0, None, None, None, ())
    facility = float(sum(marks) / len(marks))
    v_item, v_rest = _variance(marks), _variance(rest)
    sd = None if v_item is None else math.sqrt(v_item)
    index = None
    if v_item and v_rest:
        index = float(100 * _covariance(marks, rest) / Fraction(math.sqrt(v_item * v_rest)))
    flags = tuple(flag for flag, hit in ((TOO_EASY, facility > FACILITY_HIGH),
                                         (TOO_HARD, facility < FACILITY_LOW),
                                         (NOT_DISCRIMINATING, index is not None and index < DISCRIMINATION_MIN))
                  if hit)
    return ItemStats(item_id, len(marks), facility, sd, index, flags)


def _alpha(rows: list[dict[str, Fraction]]) -> tuple[float | None, str | None, str | None]:
    """Cronbach's α over items or slots (see the module docstring); (None, None, None) if undefined."""
    if len(rows) < 2:
        return None, None, None
    if all(row.keys() == rows[0].keys() for row in rows):
        columns, basis = [[row[k] for row in rows] for k in rows[0]], "items"
    elif len({len(row) for row in rows}) == 1:
        columns, basis = [list(marks) for marks in zip(*(list(row.values()) for row in rows))], "slots"
    else:
        return None, None, None
    p, v_total = len(columns), _variance([sum(row.values()) for row in rows])
    if p < 2 or not v_total:
        return None, None, None
    alpha = Fraction(p, p - 1) * (1 - sum(_variance(c) for c in columns) / v_total)
    dichotomous = all(m in (0, 1) for row in rows for m in row.values())
    return float(alpha), ("KR-20" if dichotomous else "Cronbach's alpha"), basis


def _variance(values: Sequence[Fraction]) -> Fraction | None:
    """Sample variance (n−1), exact; None for fewer than two values."""
    return _covariance(values, values)


def _covariance(xs: Sequence[Fraction], ys: Sequence[Fraction]) -> Fraction | None:
    """Sample covariance (n−1), exact; None for fewer than two pairs."""
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / (n - 1)


def to_csv(analysis: Analysis, decimal_comma: bool = False) -> str:
    """The item table as CSV (percentages like Moodle); `decimal_comma` for Dutch spreadsheets (;).
    A withheld item has blank figures and says why in the `note` column."""
    out = io.StringIO()
    writer = csvsafe.writer(out, delimiter=";" if decimal_comma else ",", lineterminator="\n")
    writer.writerow(["item", "attempts", "facility_percent", "sd_percent", "discrimination_index", "flags", "note"])

    def number(value: float | None) -> str:
        """Two decimals, empty for None."""
        text = "" if value is None else f"{value:.2f}"
        return text.replace(".", ",") if decimal_comma else text

    for s in analysis.items:
        writer.writerow([s.item_id, s.attempts, number(None if s.facility is None else 100 * s.facility),
                         number(None if s.sd is None else 100 * s.sd), number(s.discrimination_index),
                         " ".join(s.flags),
                         f"n/a: fewer than {analysis.min_attempts} first attempts" if s.withheld else ""])
    return out.getvalue()
