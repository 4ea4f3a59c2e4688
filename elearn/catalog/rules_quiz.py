"""Rules for modules/<id>/quiz.yaml: pool size, item types, correct answers, feedback, sources."""
from __future__ import annotations

from elearn.catalog.problems import FileReporter
from elearn.catalog.schema import Fields, check_bilingual, is_mapping
from elearn.quizzes.decimals import MAX_LENGTH, fits_answer_box

TYPES = ("single", "multiple", "truefalse", "matching", "ordering", "numeric")
MIN_ITEMS = 12      # so that the 8 drawn differ between attempts
LONGEST_WARN, LONGEST_FAIL = 0.40, 0.60   # share of single items whose keyed option is the longest
COMMON = ("id", "type", "objective", "source", "prompt", "explanation")
TYPE_KEYS = {
    "single": (("choices", "correct"), ()),
    "multiple": (("choices", "correct"), ()),
    "truefalse": (("choices", "correct"), ()),
    "matching": (("pairs",), ()),
    "ordering": (("steps", "feedback"), ()),
    "numeric": (("answer", "feedback"), ("tolerance", "unit")),
}


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
    kind = item.get("type") if isinstance(item.get("type"), str) else None
    if "type" in item and kind not in TYPES:
        fields.error("type", f"type '{item.get('type')}' must be one of: {', '.join(TYPES)}", "quiz.type")
    required, optional = TYPE_KEYS.get(kind, ((), ()))
    optional_all = optional + ("choices", "correct", "pairs", "steps", "feedback", "answer", "tolerance", "unit")
    fields.keys(COMMON + required, optional if kind in TYPES else optional_all)
    fields.bilingual("prompt")
    fields.bilingual("explanation")
    _source(fields, sources)
    objective = fields.data.raw_of("objective")
    if "objective" in item and objective not in objectives:
        fields.error("objective", f"objective '{objective}' is not an objective of module.yaml", "quiz.objective")
        objective = None
    if kind in ("single", "multiple", "truefalse"):
        _choices(fields, kind)
    elif kind == "matching":
        _parts(fields, "pairs", 2, 6, ("id", "left", "right", "feedback"), ("left", "right"))
    elif kind == "ordering":
        _parts(fields, "steps", 3, 6, ("id", "text"), ("text",))
        _right_wrong_feedback(fields)
    elif kind == "numeric":
        _numeric(fields)
    return objective


def _head(fields: Fields) -> str:
    """"item 'x'" from the prefix "item 'x': ", to name a part as "item 'x' choice 'b': "."""
    return fields.prefix.rstrip(": ")


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


def _choices(fields: Fields, kind: str) -> None:
    """choices with ids, text, feedback; correct ids that exist, in the right number."""
    choices = fields.items("choices", min_len=2)
    ids: list[str] = []
    for index, choice in enumerate(choices or []):
        if not is_mapping(choice):
            fields.report.error(choices.line_of(index), f"{fields.prefix}choice {index + 1} must be a mapping", "schema.type")
            continue
        sub = Fields(fields.report, choice, f"{_head(fields)} choice {index + 1}: ")
        choice_id = sub.ident("id", "choice id")
        if choice_id:
            sub.prefix = f"{_head(fields)} choice '{choice_id}': "
            if choice_id in ids:
                sub.error("id", f"choice id '{choice_id}' is used twice", "id.unique")
            ids.append(choice_id)
        sub.keys(("id", "feedback") if kind == "truefalse" else ("id", "text", "feedback"), ("text", "pinned"))
        sub.bilingual("text")
        _feedback(sub, choice)
        if "pinned" in choice and not isinstance(choice["pinned"], bool):
            sub.error("pinned", "pinned must be true or false", "schema.type")
    if kind == "truefalse" and choices is not None and sorted(ids) != ["false", "true"]:
        fields.error("choices", f"a truefalse item has exactly two choices, ids 'true' and 'false' (found {ids})", "quiz.truefalse")
    _correct(fields, kind, ids if choices is not None else None)


def _feedback(sub: Fields, part) -> None:
    """feedback {nl, en} on a choice or pair (rule quiz.feedback)."""
    if "feedback" not in part or part["feedback"] is None:
        for lang in ("nl", "en"):
            sub.error(None, f"missing feedback.{lang}", "quiz.feedback")
        return
    sub.bilingual("feedback", rule="quiz.feedback")


def _correct(fields: Fields, kind: str, ids: list[str] | None) -> None:
    """correct: choice ids that exist; one for single/truefalse, at least one for multiple."""
    correct = fields.items("correct", min_len=1)
    if correct is None:
        return
    chosen = []
    for index, raw in enumerate(correct.raw):
        line = correct.line_of(index)
        if raw is None:
            fields.report.error(line, f"{fields.prefix}correct: entries must be choice ids", "quiz.correct")
        elif ids is not None and raw not in ids:
            fields.report.error(line, f"{fields.prefix}correct: '{raw}' is not a choice id (choices: {', '.join(ids)})", "quiz.correct")
        elif raw in chosen:
            fields.report.error(line, f"{fields.prefix}correct: '{raw}' listed twice", "quiz.correct")
        else:
            chosen.append(raw)
    if kind in ("single", "truefalse") and len(correct) != 1:
        fields.error("correct", f"a {kind} item has exactly one correct choice (found {len(correct)})", "quiz.correct")
    if kind == "multiple" and ids is not None and chosen and len(chosen) == len(ids):
        fields.report.warning(correct.line, f"{fields.prefix}every choice is correct", "quiz.correct")


def _parts(fields: Fields, key: str, low: int, high: int, required: tuple, bilingual: tuple) -> None:
    """pairs / steps: between low and high mappings with ids and bilingual texts."""
    parts = fields.items(key)
    if parts is None:
        return
    if not low <= len(parts) <= high:
        fields.error(key, f"{key}: {low}–{high} entries needed, found {len(parts)}", f"quiz.{key}")
    ids: list[str] = []
    for index, part in enumerate(parts):
        if not is_mapping(part):
            fields.report.error(parts.line_of(index), f"{fields.prefix}{key} {index + 1} must be a mapping", "schema.type")
            continue
        sub = Fields(fields.report, part, f"{_head(fields)} {key[:-1]} {index + 1}: ")
        part_id = sub.ident("id", f"{key[:-1]} id")
        if part_id:
            sub.prefix = f"{_head(fields)} {key[:-1]} '{part_id}': "
            if part_id in ids:
                sub.error("id", f"{key[:-1]} id '{part_id}' is used twice", "id.unique")
            ids.append(part_id)
        sub.keys(tuple(k for k in required if k != "feedback"), ("feedback",) if "feedback" in required else ())
        for text_key in bilingual:
            sub.bilingual(text_key)
        if "feedback" in required:
            _feedback(sub, part)


def _right_wrong_feedback(fields: Fields) -> None:
    """feedback: {correct: {nl,en}, incorrect: {nl,en}} for ordering and numeric items."""
    feedback = fields.mapping("feedback")
    if feedback is None:
        return
    sub = Fields(fields.report, feedback, fields.prefix)
    for key in ("correct", "incorrect"):
        if key not in feedback:
            for lang in ("nl", "en"):
                sub.error(None, f"missing feedback.{key}.{lang}", "quiz.feedback")
        else:
            check_bilingual(fields.report, feedback[key], feedback.line_of(key), fields.prefix, f"feedback.{key}", "quiz.feedback")
    for key in feedback:
        if key not in ("correct", "incorrect"):
            sub.error(key, f"feedback: unknown key '{key}' (use correct and incorrect)", "schema.unknown-key")


def _numeric(fields: Fields) -> None:
    """answer, tolerance ≥ 0, optional unit {nl,en}, right/wrong feedback; numbers a learner can type."""
    answer = fields.number("answer")
    tolerance = fields.number("tolerance")
    if tolerance is not None and tolerance < 0:
        fields.error("tolerance", "tolerance must be 0 or more", "quiz.numeric")
    for key, value in (("answer", answer), ("tolerance", tolerance)):
        # 1e300 passes as a number, but the answer box takes MAX_LENGTH characters: nobody could be right.
        if value is not None and not fits_answer_box(value):
            fields.error(key, f"{key} {value} has more digits than the answer box takes ({MAX_LENGTH})",
                         "quiz.numeric")
    if "unit" in fields.data:
        fields.bilingual("unit")
    _right_wrong_feedback(fields)

