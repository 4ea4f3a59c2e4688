"""Reading GIFT (ours or any Moodle export) into pool items in one language; see gift.py."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from elearn.questions.base import TYPES
from elearn.questions.gift_text import ANNOTATION, FORMATS, ID, protect, restore, slug, unescape
from elearn.questions.messages import N_, GiftError

_COMMON_KEYS = {"id", "type", "objective", "source", "section"}   # annotations of every item


def _known_note(key: str) -> bool:
    """An annotation some item or registered type writes (`feedback:<pair id>` is matching's)."""
    return key in _COMMON_KEYS or any(key in kind.gift_notes for kind in TYPES.values()) \
        or key.startswith("feedback:")


def import_gift(text: str, lang: str) -> list[dict[str, Any]]:
    """GIFT text → pool items whose texts are {lang: …}; GiftError names the line of a problem."""
    items: list[dict[str, Any]] = []
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    block: list[str] = []
    for number, line in enumerate(lines + [""], start=1):
        if line.strip():
            block.append(line)
            continue
        if block:
            item = _Block(number - len(block), block, lang).read(len(items) + 1)
            if item is not None:
                if any(i["id"] == item["id"] for i in items):
                    raise GiftError("gift_duplicate_id", N_("Line %(line)s: question id %(id)s is used twice."),
                                    number - len(block), id=item["id"])
                items.append(item)
        block = []
    return items


class _Block:
    """One question's lines (a GIFT question ends at a blank line), read with line numbers."""

    def __init__(self, start: int, lines: list[str], lang: str) -> None:
        """Split annotations from the question text, keeping line positions."""
        self.start, self.lang, self.notes, body = start, lang, {}, []
        for offset, line in enumerate(lines):
            if line.lstrip().startswith("//"):
                body.append("")
                if match := ANNOTATION.match(line):
                    self._note(match[1], unescape(match[2]), start + offset)
            else:
                body.append(line)
        self.text = protect("\n".join(body))

    def _note(self, key: str, value: str, line: int) -> None:
        """Remember one `// [key] value` annotation."""
        if not _known_note(key):
            raise GiftError("gift_bad_annotation", N_("Line %(line)s: unknown annotation [%(key)s]."), line, key=key)
        self.notes[key] = (value, line)

    def fail(self, code: str, msgid: str, pos: int = 0, **params: Any) -> GiftError:
        """An error at a position of the question text."""
        return GiftError(code, msgid, self.start + self.text.count("\n", 0, pos), **params)

    def note(self, key: str, default: str | None = None) -> str | None:
        """An annotation's value."""
        return self.notes[key][0] if key in self.notes else default

    def read(self, ordinal: int) -> dict[str, Any] | None:
        """The item, or None for a category line or a comment-only block."""
        stripped = self.text.strip()
        if not stripped or stripped.startswith("$CATEGORY:"):
            if self.notes:
                raise self.fail("gift_orphan_notes", N_("Line %(line)s: annotations without a question after them."))
            return None
        pos, title = len(self.text) - len(self.text.lstrip()), None
        if self.text.startswith("::", pos):
            end = self.text.find("::", pos + 2)
            if end < 0:
                raise self.fail("gift_title", N_("Line %(line)s: the question name is not closed with ::."), pos)
            title, pos = restore(self.text[pos + 2:end]), end + 2
        opening, closing = self.text.find("{", pos), self.text.find("}", pos)
        if opening < 0 or closing < opening or "{" in self.text[opening + 1:closing]:
            raise self.fail("gift_braces", N_("Line %(line)s: the question needs one answer block {…}."),
                            max(opening, pos))
        if self.text[closing + 1:].strip():
            raise self.fail("gift_missing_word", N_("Line %(line)s: text after the answer block "
                                                    "(missing-word questions) is not supported."), closing)
        prompt = restore(self.text[pos:opening])
        prompt = next((prompt[len(f):].strip() for f in FORMATS if prompt.startswith(f)), prompt)
        if not prompt:
            raise self.fail("gift_no_prompt", N_("Line %(line)s: the question has no text."), pos)
        answers, explanation = self.text[opening + 1:closing], ""
        if (gf := answers.rfind("####")) >= 0:
            answers, explanation = answers[:gf], restore(answers[gf + 4:])
        item = {"id": self._id(title, ordinal), "type": None, "prompt": {self.lang: prompt}}
        item.update(self._meta())
        item.update(self._answers(answers, opening + 1))
        if explanation:
            item["explanation"] = {self.lang: explanation}
        return item

    def _id(self, title: str | None, ordinal: int) -> str:
        """Our id from [id], else the name (made id-shaped), else item-<n>."""
        name = self.note("id") or title or ""
        return name if ID.fullmatch(name) else (slug(name) or f"item-{ordinal}")

    def _meta(self) -> dict[str, Any]:
        """objective and source from annotations."""
        meta: dict[str, Any] = {}
        if self.note("objective"):
            meta["objective"] = self.note("objective")
        if self.note("source"):
            meta["source"] = {"doc": self.note("source")}
            if self.note("section"):
                meta["source"]["section"] = self.note("section")
        return meta

    def _answers(self, answers: str, pos: int) -> dict[str, Any]:
        """Detect the type as Moodle does (each type says whether a block is its own, asked in
        `gift_order`) and let it read the answers."""
        body, declared = answers.strip(), self.note("type")
        kind = next((k.name for k in sorted(TYPES.values(), key=lambda k: k.gift_order)
                     if k.gift_recognises(body, declared)), None)
        if kind is None:
            raise self.fail("gift_unsupported", N_("Line %(line)s: only single, multiple, true/false, matching, "
                                                   "ordering and numeric questions can be imported."), pos)
        if self.note("type", kind) != kind:
            raise self.fail("gift_type_mismatch", N_("Line %(line)s: the answers do not fit type %(type)s."),
                            pos, type=self.note("type"))
        return {"type": kind, **TYPES[kind].gift_read(self, answers, pos)}


def merge_language(items: list[Mapping[str, Any]], imported: list[Mapping[str, Any]], lang: str) -> list[dict]:
    """Put the `lang` texts of imported items into copies of the pool's items (matched by id).

    Refuses an imported item the pool lacks or one whose structure (ids, answers) differs.
    """
    merged = [copy.deepcopy(dict(item)) for item in items]
    by_id = {item["id"]: item for item in merged}
    for new in imported:
        if new["id"] not in by_id:
            raise GiftError("gift_unknown_item", N_("Question %(item)s is not in the pool."), item=new["id"])
        _merge(by_id[new["id"]], new, lang, new["id"])
    return merged


def _merge(old: Any, new: Any, lang: str, item_id: str) -> Any:
    """Copy text dicts {lang: …} from new into old; everything else must be equal."""
    if isinstance(new, Mapping) and set(new) == {lang}:
        merged = dict(old) if isinstance(old, Mapping) else {}
        merged[lang] = new[lang]
        return merged
    same_shape = (isinstance(new, Mapping) and isinstance(old, Mapping)) or (
        isinstance(new, list) and isinstance(old, list) and len(new) == len(old))
    if not same_shape and old != new:
        raise GiftError("gift_structure_changed",
                        N_("Question %(item)s differs from the pool in more than its %(lang)s text."),
                        item=item_id, lang=lang)
    if isinstance(new, Mapping):
        for key, value in new.items():
            old[key] = _merge(old.get(key), value, lang, item_id)
    elif isinstance(new, list):
        for i, value in enumerate(new):
            old[i] = _merge(old[i], value, lang, item_id)
    return old
