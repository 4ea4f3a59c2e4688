"""Rules for modules/<id>/activities.yaml: case assignments, the reflection and further reading."""
from __future__ import annotations

from dataclasses import dataclass

from elearn.catalog.mdsrc import links_of
from elearn.catalog.problems import FileReporter
from elearn.catalog.rules_text import check_link
from elearn.catalog.schema import Fields, is_mapping

MIN_CASES = 2
MIN_FURTHER_READING = 2
CASE_MINUTES = (10, 45)
REFLECTION_MINUTES = (10, 30)
READING_MINUTES = (1, 24 * 60)
CASE_KEYS = ("id", "objective", "minutes", "title", "situation", "task", "model_answer", "sources")
CASE_MARKDOWN = ("situation", "task", "model_answer")


@dataclass
class ModuleContext:
    """What the rules look up: the module's objectives and lessons, sources.yaml, every module."""

    objectives: list[str]
    lessons: set[str]                        # anchors a `#lesson-id` link may name (this module)
    sources: dict[str, str]                  # id → "seed" | "literature"
    module_lessons: dict[str, list[str]]     # for module:ID#lesson links


def check_activities(report: FileReporter, data, context: ModuleContext) -> None:
    """Validate activities.yaml against module.yaml, the lessons and sources.yaml."""
    if not is_mapping(data):
        report.error(1, "activities.yaml must be a mapping with cases, reflection and further_reading",
                     "schema.type")
        return
    fields = Fields(report, data)
    fields.keys(("cases", "reflection", "further_reading"))
    ids: set[str] = set()
    cases = fields.items("cases")
    if cases is not None and len(cases) < MIN_CASES:
        fields.error("cases", f"{len(cases)} case(s); a module has at least {MIN_CASES} case assignments",
                     "activities.cases")
    for index, case in enumerate(cases or []):
        if not is_mapping(case):
            report.error(data["cases"].line_of(index), f"case {index + 1} must be a mapping", "schema.type")
            continue
        _case(Fields(report, case, f"case {index + 1}: "), context, ids)
    reflection = fields.mapping("reflection")
    if reflection is not None:
        _reflection(Fields(report, reflection, "reflection: "), context, ids)
    readings = fields.items("further_reading")
    if readings is not None and len(readings) < MIN_FURTHER_READING:
        fields.error("further_reading", f"{len(readings)} further reading item(s); a module lists at least "
                                        f"{MIN_FURTHER_READING}", "activities.further-reading")
    seen: set[str] = set()
    for index, reading in enumerate(readings or []):
        if not is_mapping(reading):
            report.error(readings.line_of(index), f"further_reading {index + 1} must be a mapping", "schema.type")
            continue
        _further_reading(Fields(report, reading, f"further_reading {index + 1}: "), context, seen)


def _named(fields: Fields, what: str, ids: set[str]) -> None:
    """The activity's id: well-formed, unique among the module's cases and reflection."""
    activity_id = fields.ident("id", f"{what} id")
    if activity_id:
        fields.prefix = f"{what} '{activity_id}': "
        if activity_id in ids:
            fields.error("id", f"id '{activity_id}' is used twice in this file", "id.unique")
        ids.add(activity_id)


def _case(fields: Fields, context: ModuleContext, ids: set[str]) -> None:
    """A case: objective of module.yaml, 10–45 minutes, bilingual Markdown, the sources it rests on."""
    fields.keys(CASE_KEYS)
    _named(fields, "case", ids)
    objective = fields.data.raw_of("objective")
    if "objective" in fields.data and objective not in context.objectives:
        fields.error("objective", f"objective '{objective}' is not an objective of module.yaml "
                                  f"({', '.join(context.objectives) or 'none'})", "activities.objective")
    _minutes(fields, "minutes", CASE_MINUTES)
    fields.bilingual("title")
    for key in CASE_MARKDOWN:
        _markdown(fields, key, context)
    sources = fields.items("sources", min_len=1)
    for index, source in enumerate(sources or []):
        if not is_mapping(source):
            fields.report.error(sources.line_of(index), f"{fields.prefix}sources {index + 1} must be a mapping "
                                                        "{doc, section}", "schema.type")
            continue
        sub = Fields(fields.report, source, f"{fields.prefix}sources {index + 1}: ")
        sub.keys(("doc", "section"))
        doc = source.raw_of("doc")
        if "doc" in source and doc not in context.sources:
            sub.error("doc", f"document '{doc}' is not in sources.yaml", "activities.source")
        sub.text("section")


def _reflection(fields: Fields, context: ModuleContext, ids: set[str]) -> None:
    """The reflection: id, 10–30 minutes, a bilingual Markdown prompt."""
    fields.keys(("id", "minutes", "prompt"))
    _named(fields, "reflection", ids)
    _minutes(fields, "minutes", REFLECTION_MINUTES)
    _markdown(fields, "prompt", context)


def _further_reading(fields: Fields, context: ModuleContext, seen: set[str]) -> None:
    """A literature id of sources.yaml, why {nl,en}; `required: true` counts, so it needs minutes."""
    fields.keys(("source", "why"), ("required", "minutes"))
    source = fields.data.raw_of("source")
    if "source" in fields.data:
        fields.prefix = f"further_reading '{source}': "
        if context.sources.get(source) != "literature":
            known = "a seed document" if source in context.sources else "not in sources.yaml"
            fields.error("source", f"source '{source}' is {known}; further reading names a "
                                   "`kind: literature` entry of sources.yaml", "activities.further-reading")
        elif source in seen:
            fields.error("source", f"source '{source}' is listed twice", "id.unique")
        seen.add(source)
    fields.bilingual("why")
    required = fields.data.get("required", False)
    if not isinstance(required, bool):
        fields.error("required", "required must be true or false", "schema.type")
        required = False
    if "minutes" in fields.data:
        _minutes(fields, "minutes", READING_MINUTES)
    elif required:
        fields.error("required", "required further reading counts in the study load: give its minutes",
                     "activities.required-minutes")


def _minutes(fields: Fields, key: str, bounds: tuple[int, int]) -> int | None:
    """A whole number of minutes within `bounds`."""
    value = fields.data.get(key)
    if value is None:
        return None
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int):
        fields.error(key, f"'{key}' must be a whole number of minutes", "schema.type")
        return None
    if not low <= value <= high:
        fields.error(key, f"'{key}' is {value}; it must be between {low} and {high}", "activities.minutes")
        return None
    return value


def _markdown(fields: Fields, key: str, context: ModuleContext) -> None:
    """A bilingual Markdown text whose links follow the lesson rules (`#id` names a lesson)."""
    texts = fields.bilingual(key)
    if texts is None:
        return
    value = fields.data[key]
    for lang in texts:
        for link in links_of(value[lang]):
            check_link(fields.report, link.target, value.text_line(lang, link.line), context.lessons,
                       context.sources, context.module_lessons, anchor_place="among this module's lessons")
