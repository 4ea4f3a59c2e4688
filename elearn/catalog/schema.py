"""Typed field checks shared by every content file (keys, ids, bilingual text, numbers)."""
from __future__ import annotations

import re

from elearn.catalog.canmeds import IDS as ROLE_IDS
from elearn.catalog.problems import FileReporter
from elearn.catalog.yamlsrc import LDict, LList

ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
ID_MAX = 64   # the catalog's id columns (module and course ids, topics) hold 64 characters
LANGS = ("nl", "en")
PILLARS = ("principles", "implementation", "preconditions")
PHASES = ("A", "B", "C")
MODES = ("online-course", "workshop", "masterclass", "inspiration-visit")
CANMEDS = ROLE_IDS   # elearn.catalog.canmeds: the roles a module serves
DOMAIN_QUESTION_COUNTS = {
    "multidisciplinary-team": 6,
    "care-pathways-outcomes": 3,
    "costs-funding": 4,
    "chain-collaboration": 3,
    "learning-improving": 3,
    "it-data": 3,
    "leadership-culture": 3,
}
DOMAINS = tuple(DOMAIN_QUESTION_COUNTS)


def is_mapping(value) -> bool:
    """A located mapping (what every structured field must be)."""
    return isinstance(value, LDict)


def is_list(value) -> bool:
    """A located sequence."""
    return isinstance(value, LList)


class Fields:
    """Checks of one mapping's fields, reporting into one file with a message prefix."""

    def __init__(self, report: FileReporter, data: LDict, prefix: str = ""):
        self.report, self.data, self.prefix = report, data, prefix

    def sub(self, data: LDict, prefix: str) -> Fields:
        """Checks of a nested mapping, reporting into the same file."""
        return Fields(self.report, data, prefix)

    @staticmethod
    def is_mapping(value) -> bool:
        """A located mapping (for code that gets a Fields but not this module, as question types do)."""
        return is_mapping(value)

    def bilingual_value(self, value, line: int, label: str, rule: str = "lang.missing") -> dict | None:
        """A {nl, en} value nested deeper than one key (`label` names it, e.g. feedback.correct)."""
        return check_bilingual(self.report, value, line, self.prefix, label, rule)

    def error(self, key, message: str, rule: str) -> None:
        """Report a problem at the line of `key` (or the mapping)."""
        line = self.data.line_of(key) if key is not None else self.data.line
        self.report.error(line, f"{self.prefix}{message}", rule)

    def keys(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> bool:
        """Missing and unknown keys; False when a required key is missing."""
        complete = True
        for key in required:
            if key not in self.data or self.data[key] is None:
                self.error(None, f"missing '{key}'", "schema.required")
                complete = False
        for key in self.data:
            if key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                self.error(key, f"unknown key '{key}' (allowed: {allowed})", "schema.unknown-key")
        return complete

    def ident(self, key: str = "id", what: str = "id", max_len: int | None = None) -> str | None:
        """A lowercase a-z0-9- id written as a scalar (of at most `max_len` characters when the
        catalog keeps it in a column); None (reported) when malformed."""
        if key not in self.data:
            return None
        raw = self.data.raw_of(key)
        if raw is None or is_mapping(self.data[key]) or is_list(self.data[key]):
            self.error(key, f"{what} must be a plain text id", "id.format")
            return None
        if not ID_RE.match(raw):
            self.error(key, f"{what} '{raw}' must be lowercase a-z, 0-9 and '-'", "id.format")
            return None
        if max_len is not None and len(raw) > max_len:
            self.error(key, f"{what} '{raw[:20]}…' is longer than {max_len} characters", "id.format")
            return None
        return raw

    def text(self, key: str) -> str | None:
        """A non-empty string."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(key, f"'{key}' must be non-empty text", "schema.type")
            return None
        return value

    def bilingual(self, key: str, rule: str = "lang.missing") -> dict | None:
        """A {nl, en} mapping with both texts non-empty (field `key`)."""
        if key not in self.data or self.data[key] is None:
            return None
        return check_bilingual(self.report, self.data[key], self.data.line_of(key), self.prefix, key, rule)

    def integer(self, key: str, low: int | None = None, high: int | None = None) -> int | None:
        """A whole number within [low, high]."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"'{key}' must be a whole number", "schema.type")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(key, f"'{key}' must be between {low} and {high}", "schema.range")
            return None
        return value

    def number(self, key: str) -> float | None:
        """An int or float (not a bool, not quoted text)."""
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(key, f"'{key}' must be a number", "schema.type")
            return None
        return value

    def mapping(self, key: str) -> LDict | None:
        """A nested mapping."""
        value = self.data.get(key)
        if value is None:
            return None
        if not is_mapping(value):
            self.error(key, f"'{key}' must be a mapping", "schema.type")
            return None
        return value

    def items(self, key: str, min_len: int = 0) -> LList | None:
        """A list (at least `min_len` items)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not is_list(value):
            self.error(key, f"'{key}' must be a list", "schema.type")
            return None
        if len(value) < min_len:
            self.error(key, f"'{key}' needs at least {min_len} item(s), has {len(value)}", "schema.length")
        return value

    def id_list(self, key: str, what: str) -> list[str] | None:
        """A list of ids, each well-formed and listed once; returns the ids in order."""
        value = self.items(key)
        if value is None:
            return None
        ids: list[str] = []
        for index, raw in enumerate(value.raw):
            line = value.line_of(index)
            if raw is None or not ID_RE.match(raw):
                self.report.error(line, f"{self.prefix}{key}: {what} '{raw or value[index]}' is not a valid id", "id.format")
            elif raw in ids:
                self.report.error(line, f"{self.prefix}{key}: {what} '{raw}' listed twice", "id.unique")
            else:
                ids.append(raw)
        return ids


def check_bilingual(report: FileReporter, value, line: int, prefix: str, key: str,
                    rule: str = "lang.missing") -> dict | None:
    """Report a field that is not {nl: text, en: text}; return the plain dict when usable."""
    if not is_mapping(value):
        report.error(line, f"{prefix}{key} must be a mapping with 'nl' and 'en' texts", rule)
        return None
    ok = True
    for lang in LANGS:
        text = value.get(lang)
        if text is None:
            report.error(value.line, f"{prefix}missing {key}.{lang}", rule)
            ok = False
        elif not isinstance(text, str) or not text.strip():
            report.error(value.line_of(lang), f"{prefix}{key}.{lang} must be non-empty text", rule)
            ok = False
    for extra in value:
        if extra not in LANGS:
            report.error(value.line_of(extra), f"{prefix}{key}: unknown language '{extra}' (use nl and en)", "lang.unknown")
    return {lang: value[lang].strip() for lang in LANGS} if ok else None
