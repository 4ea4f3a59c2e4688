"""A module's study load derived from its files (courses/README.md, "Study load"), in minutes."""
from __future__ import annotations

import math

READING_WORDS_PER_MINUTE = 150   # study text read to be understood, not skimmed
MINUTES_PER_DRAWN_ITEM = 1.5
TOLERANCE = 0.15                 # a claim may exceed the derived load by at most 15 %
PARTS = ("reading", "post_test", "cases", "reflection", "further_reading")


def derive(module) -> dict:
    """{reading, post_test, cases, reflection, further_reading, derived, claimed} in whole minutes
    (reading and post-test rounded up); a part whose numbers are missing or malformed counts 0."""
    words = max(module.words.values(), default=0)
    draw = _whole(_get(module.quiz, "draw"))
    activities = module.activities
    cases = _get(activities, "cases")
    reflection = _get(activities, "reflection")
    readings = _get(activities, "further_reading")
    load = {
        "reading": math.ceil(words / READING_WORDS_PER_MINUTE),
        "post_test": math.ceil(draw * MINUTES_PER_DRAWN_ITEM),
        "cases": sum(_whole(_get(case, "minutes")) for case in _entries(cases)),
        "reflection": _whole(_get(reflection, "minutes")),
        "further_reading": sum(_whole(_get(item, "minutes")) for item in _entries(readings)
                               if _get(item, "required") is True),
    }
    load["derived"] = sum(load[part] for part in PARTS)
    load["claimed"] = _whole(_get(module.meta, "study_load_minutes"))
    return load


def over_claimed(load: dict) -> bool:
    """True when the claimed load exceeds the derived load by more than the tolerance."""
    return load["claimed"] > load["derived"] * (1 + TOLERANCE)


def _get(mapping, key):
    """mapping[key] when `mapping` is a mapping, else None."""
    return mapping.get(key) if isinstance(mapping, dict) else None


def _entries(value) -> list:
    """The items of a list value (nothing for anything else)."""
    return value if isinstance(value, list) else []


def _whole(value) -> int:
    """A non-negative whole number as written, else 0 (bools are not numbers here)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
