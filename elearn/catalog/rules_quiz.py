"""Rules for modules/<id>/quiz.yaml: pool size, coverage, item ids, sources; each item type's own
rules (answers, feedback) are its `check` in elearn.questions."""
from __future__ import annotations

from elearn.catalog.problems import FileReporter
from elearn.catalog.schema import Fields, is_mapping
from elearn.questions import TYPES

MIN_ITEMS = 12      # so that the 8 drawn differ between attempts
LONGEST_WARN, LONGEST_FAIL = 0.40, 0.60   # share of single items whose keyed option is the longest
COMMON = ("id", "type", "objective", "source", "prompt", "explanation")


def _any_type_keys() -> tuple[str, ...]:
    """Every key some registered type has (allowed while an item's type is unknown), in order."""
    keys: dict[str, None] = {}
    for kind in TYPES.values():
        keys.update(dict.fromkeys(kind.required_keys + kind.optional_keys))
    return tuple(keys)


def check_quiz(report: FileReporter, data, objectives: list[str], sources: set[str]) -> None:
    """Validate a post-test pool against the module's objectives and sources.yaml."""
    if not is_mapping(data):
        report.error(1, "quiz.yaml must be a mapping with pass_mark, draw and items", "schema.type")
        return
    fields = Fields(report, data)
    fields.keys(("pass_mark", "draw", "items"))
    fields.integer("pass_mark", 1, 100)
    draw = fields.integer("draw", 1, 1000)
    items = fields.items("items")
    if items is None:
        return
    if len(items) < MIN_ITEMS:
        fields.error("items", f"the pool has {len(items)} item(s); at least {MIN_ITEMS} are needed", "quiz.min-items")
    if draw is not None and draw > len(items):
        fields.error("draw", f"draw {draw} is larger than the pool ({len(items)} items)", "quiz.draw")
    seen: set[str] = set()
    covered: set[str] = set()
    for index, item in enumerate(items):
        if not is_mapping(item):
            report.error(items.line_of(index), f"items[{index + 1}] must be a mapping", "schema.type")
            continue
        objective = _item(report, item, index, seen, objectives, sources)
        if objective:
            covered.add(objective)
    for objective in objectives:
        if objective not in covered:
            fields.error("items", f"objective '{objective}' is not tested by any item", "quiz.coverage")
    _longest_keyed(fields, items)


def keyed_longest(items) -> tuple[int, int]:
    """(single-choice items whose keyed option is strictly the longest in nl or in en, single-choice
    items that can be measured): test-wise learners pick the longest option, so a pool must not
    reward it."""
    biased = measured = 0
    for item in items if isinstance(items, list) else []:
        if not is_mapping(item) or item.get("type") != "single":
            continue
        choices, correct = item.get("choices"), item.get("correct")
        if not isinstance(choices, list) or not isinstance(correct, list) or len(correct) != 1:
            continue
        texts = {choice.raw_of("id"): choice.get("text") for choice in choices if is_mapping(choice)}
        keyed = correct.raw[0]
        if keyed not in texts or len(texts) < 2 or not all(is_mapping(t) for t in texts.values()):
            continue
        measured += 1
        for lang in ("nl", "en"):
            lengths = {cid: len(t.get(lang).strip()) for cid, t in texts.items() if isinstance(t.get(lang), str)}
            others = [length for cid, length in lengths.items() if cid != keyed]
            if keyed in lengths and others and lengths[keyed] > max(others):
                biased += 1
                break
    return biased, measured


def _longest_keyed(fields: Fields, items) -> None:
    """Warn above 40 %, fail above 60 % of single-choice items keyed to their longest option."""
    biased, measured = keyed_longest(items)
    if not measured or biased / measured <= LONGEST_WARN:
        return
    message = (f"the keyed answer is the longest option in {biased} of {measured} single-choice items "
               f"({biased / measured:.0%}); options of an item should have about the same length "
               f"(warning above {LONGEST_WARN:.0%}, error above {LONGEST_FAIL:.0%})")
    if biased / measured > LONGEST_FAIL:
        fields.error("items", message, "quiz.longest-keyed")
    else:
        fields.report.warning(fields.data.line_of("items"), message, "quiz.longest-keyed")


def _item(report, item, index, seen, objectives, sources) -> str | None:
    """Check one item; returns its objective id when valid."""
    fields = Fields(report, item, f"item {index + 1}: ")
    item_id = fields.ident("id", "item id")
    if item_id:
        fields.prefix = f"item '{item_id}': "
        if item_id in seen:
            fields.error("id", f"item id '{item_id}' is used twice in this pool", "id.unique")
        seen.add(item_id)
    kind = TYPES.get(item.get("type")) if isinstance(item.get("type"), str) else None
    if "type" in item and kind is None:
        fields.error("type", f"type '{item.get('type')}' must be one of: {', '.join(TYPES)}", "quiz.type")
    if kind is not None:
        fields.keys(COMMON + kind.required_keys, kind.optional_keys)
    else:
        fields.keys(COMMON, _any_type_keys())
    fields.bilingual("prompt")
    fields.bilingual("explanation")
    _source(fields, sources)
    objective = fields.data.raw_of("objective")
    if "objective" in item and objective not in objectives:
        fields.error("objective", f"objective '{objective}' is not an objective of module.yaml", "quiz.objective")
        objective = None
    if kind is not None:
        kind.check(fields)   # the type's own rules (elearn.questions)
    return objective


def _source(fields: Fields, sources: set[str]) -> None:
    """source: {doc, section}, doc an id of sources.yaml."""
    source = fields.mapping("source")
    if source is None:
        return
    sub = Fields(fields.report, source, f"{fields.prefix}source: ")
    sub.keys(("doc", "section"))
    doc = source.raw_of("doc")
    if "doc" in source and doc not in sources:
        sub.error("doc", f"document '{doc}' is not in sources.yaml (known: {', '.join(sorted(sources))})", "quiz.source")
    sub.text("section")
