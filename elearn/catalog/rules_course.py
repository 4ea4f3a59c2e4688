"""Rules for sources.yaml, <course>/course.yaml and self-assessment.yaml."""
from __future__ import annotations

import re

from elearn.catalog.problems import FileReporter
from elearn.catalog.schema import DOMAIN_QUESTION_COUNTS, ID_MAX, PHASES, Fields, is_list, is_mapping

YEAR_RE = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")   # a publication year, 1500–2099


def check_sources(report: FileReporter, data) -> dict[str, str]:
    """A list of seed documents {id, file, title {nl,en}, publisher} and literature
    {id, kind: literature, reference, url}; returns {id: kind} ("seed" or "literature")."""
    kinds: dict[str, str] = {}
    if not is_list(data):
        report.error(1, "sources.yaml must be a list of documents", "schema.type")
        return kinds
    for index, entry in enumerate(data):
        if not is_mapping(entry):
            report.error(data.line_of(index), f"source {index + 1} must be a mapping", "schema.type")
            continue
        fields = Fields(report, entry, f"source {index + 1}: ")
        kind = entry.raw_of("kind") if "kind" in entry else "seed"
        if kind == "literature":
            _literature(fields)
        elif "kind" in entry:
            fields.error("kind", f"kind '{kind}' must be 'literature' (seed documents have no kind)", "source.kind")
            continue
        else:
            fields.keys(("id", "title"), ("file", "publisher", "url", "year"))
            fields.bilingual("title")
        source_id = fields.ident("id", "source id")
        if source_id:
            if source_id in kinds:
                fields.error("id", f"source id '{source_id}' is used twice", "id.unique")
            kinds[source_id] = kind
    return kinds


def _literature(fields: Fields) -> None:
    """kind: literature — a full citation with its year, and an optional https link."""
    fields.keys(("id", "kind", "reference"), ("url",))
    reference = fields.text("reference")
    if reference is not None and not YEAR_RE.search(reference):
        fields.error("reference", "reference has no 4-digit year; a full citation names it", "source.reference")
    url = fields.text("url")
    if url is not None and not (url.startswith("https://") and len(url) > len("https://")):
        fields.error("url", f"url '{url}' must be an https:// address", "source.url")


def check_course(report: FileReporter, data, folder: str, module_ids: set[str]) -> dict | None:
    """A course: id = folder, phase, texts, existing modules in order, pass mark, credits."""
    if not is_mapping(data):
        report.error(1, "course.yaml must be a mapping of fields", "schema.type")
        return None
    fields = Fields(report, data)
    fields.keys(("id", "phase", "title", "summary", "audience", "modules"), ("pass_mark", "credits"))
    course_id = fields.ident("id", "course id", max_len=ID_MAX)
    if course_id and course_id != folder:
        fields.error("id", f"course id '{course_id}' must equal its folder name '{folder}'", "id.folder")
    if "phase" in data and data.raw_of("phase") not in PHASES:
        fields.error("phase", f"phase '{data.raw_of('phase')}' must be one of: {', '.join(PHASES)}", "course.phase")
    for key in ("title", "summary", "audience"):
        fields.bilingual(key)
    modules = fields.id_list("modules", "module") or []
    if "modules" in data and is_list(data["modules"]) and not data["modules"]:
        fields.error("modules", "a course lists at least one module", "course.modules")
    for module_id in modules:
        if module_id not in module_ids:
            report.error(data["modules"].line_of(data["modules"].raw.index(module_id)),
                         f"modules: there is no module '{module_id}' in modules/", "course.module")
    fields.integer("pass_mark", 1, 100)
    credits = fields.mapping("credits")
    if credits is not None:
        sub = Fields(report, credits, "credits: ")
        sub.keys(("points", "kind"))
        sub.number("points")
        sub.text("kind")
    return {"id": course_id or folder, "modules": modules}


def check_course_load(report: FileReporter, data, modules: dict[str, dict]) -> None:
    """The course lists every module offered in its phase, and claims no more accreditation hours
    than its modules' claimed study load (`modules`: id → {phases, claimed minutes})."""
    if not is_mapping(data) or not is_list(data.get("modules")):
        return
    listed = [m for m in data["modules"].raw if m in modules]
    phase = data.raw_of("phase")
    missing = [m for m, info in sorted(modules.items()) if phase in info["phases"] and m not in listed]
    if phase in PHASES and missing:
        report.error(data.line_of("modules"), f"modules: phase {phase} modules missing from this course: "
                                              f"{', '.join(missing)} (their module.yaml lists phase {phase})",
                     "course.phases")
    credits = data.get("credits")
    points = credits.get("points") if is_mapping(credits) else None
    if isinstance(points, (int, float)) and not isinstance(points, bool):
        minutes = sum(modules[m]["claimed"] for m in listed)
        if points > minutes / 60:
            report.error(credits.line_of("points"),
                         f"credits: points {points} exceed the modules' claimed study load: {minutes} minutes "
                         f"= {minutes / 60:.2f} hours", "course.credits")


def check_self_assessment(report: FileReporter, data, module_ids: set[str], sources: set[str]) -> None:
    """The 7 fixed domains with their question counts, a low-to-high scale, existing modules."""
    if not is_mapping(data):
        report.error(1, "self-assessment.yaml must be a mapping with source, scale and domains", "schema.type")
        return
    fields = Fields(report, data)
    fields.keys(("scale", "domains"), ("source",))
    source = fields.mapping("source")
    if source is not None and source.raw_of("doc") not in sources:
        Fields(report, source, "source: ").error("doc", f"document '{source.raw_of('doc')}' is not in sources.yaml", "sa.source")
    _scale(report, fields)
    domains = fields.items("domains")
    if domains is None:
        return
    found: list[str] = []
    question_ids: set[str] = set()
    for index, domain in enumerate(domains):
        if not is_mapping(domain):
            report.error(domains.line_of(index), f"domain {index + 1} must be a mapping", "schema.type")
            continue
        sub = Fields(report, domain, f"domain {index + 1}: ")
        sub.keys(("id", "title", "modules", "questions"))
        domain_id = sub.ident("id", "domain id")
        if domain_id:
            sub.prefix = f"domain '{domain_id}': "
            if domain_id not in DOMAIN_QUESTION_COUNTS:
                sub.error("id", f"unknown domain '{domain_id}' (the 7 domains: {', '.join(DOMAIN_QUESTION_COUNTS)})", "sa.domains")
            elif domain_id in found:
                sub.error("id", f"domain '{domain_id}' is listed twice", "id.unique")
            found.append(domain_id)
        sub.bilingual("title")
        for module_id in sub.id_list("modules", "module") or []:
            if module_id not in module_ids:
                report.error(domain["modules"].line_of(domain["modules"].raw.index(module_id)),
                             f"{sub.prefix}modules: there is no module '{module_id}'", "sa.module")
        _questions(report, sub, domain_id, question_ids)
    for domain_id in DOMAIN_QUESTION_COUNTS:
        if domain_id not in found:
            fields.error("domains", f"domain '{domain_id}' is missing (all 7 domains of 001 are required)", "sa.domains")


def _scale(report: FileReporter, fields: Fields) -> None:
    """scale: ≥ 2 options {value, nl, en}, values rising from 0."""
    scale = fields.items("scale", min_len=2)
    previous = None
    for index, option in enumerate(scale or []):
        if not is_mapping(option):
            report.error(scale.line_of(index), f"scale option {index + 1} must be a mapping", "schema.type")
            continue
        sub = Fields(report, option, f"scale option {index + 1}: ")
        sub.keys(("value", "nl", "en"))
        value = sub.integer("value", 0, 100)
        for lang in ("nl", "en"):
            sub.text(lang)
        if value is not None:
            if (previous is None and value != 0) or (previous is not None and value <= previous):
                sub.error("value", "scale values rise from 0, low to high", "sa.scale")
            previous = value


def _questions(report: FileReporter, sub: Fields, domain_id: str | None, question_ids: set[str]) -> None:
    """questions: [{id, text {nl,en}}], the number 001 gives for the domain, ids unique."""
    questions = sub.items("questions", min_len=1)
    if questions is None:
        return
    expected = DOMAIN_QUESTION_COUNTS.get(domain_id or "")
    if expected and len(questions) != expected:
        sub.error("questions", f"{expected} questions expected (checklist of 001), found {len(questions)}", "sa.questions")
    for index, question in enumerate(questions):
        if not is_mapping(question):
            report.error(questions.line_of(index), f"{sub.prefix}question {index + 1} must be a mapping", "schema.type")
            continue
        q = Fields(report, question, f"{sub.prefix}question {index + 1}: ")
        q.keys(("id", "text"))
        question_id = q.ident("id", "question id")
        if question_id:
            q.prefix = f"{sub.prefix}question '{question_id}': "
            if question_id in question_ids:
                q.error("id", f"question id '{question_id}' is used twice", "id.unique")
            question_ids.add(question_id)
        q.bilingual("text")
