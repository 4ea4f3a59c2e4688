"""Rules for nl.md / en.md: front matter, lesson ids, closing sections, parallel languages, links."""
from __future__ import annotations

import re

from elearn.catalog.mdsrc import TextDoc
from elearn.catalog.problems import FileReporter
from elearn.catalog.schema import ID_RE, is_mapping

CLOSING = ("key-points", "references")
LIST_ITEM_RE = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+\S")


def check_text(report: FileReporter, doc: TextDoc, lang: str) -> list[str]:
    """Structure of one language file; returns its lesson ids in order (closing sections excluded)."""
    for problem in doc.yaml_problems:
        report.error(problem.line, f"front matter: {problem.message}", problem.rule)
    if doc.front_error:
        report.error(1, doc.front_error, "md.front-matter")
    elif not doc.yaml_problems:
        front_lang = doc.front.get("lang") if is_mapping(doc.front) else None
        if front_lang != lang:
            report.error(2, f"front matter must say lang: {lang} (found {front_lang!r})", "md.lang")
    for number, _line in doc.intro[:1]:
        report.warning(number, "text before the first lesson heading is not shown", "md.intro")
    lessons: list[str] = []
    seen: set[str] = set()
    closing_seen: list[str] = []
    for section in doc.sections:
        if not section.id:
            report.error(section.line, f"lesson heading '{section.title}' needs an id: ## {section.title} {{#lesson-id}}", "md.lesson-id")
            continue
        if not ID_RE.match(section.id):
            report.error(section.line, f"lesson id '{section.id}' must be lowercase a-z, 0-9 and '-'", "id.format")
            continue
        if section.id in seen:
            report.error(section.line, f"lesson id '{section.id}' is used twice", "id.unique")
            continue
        seen.add(section.id)
        if not any(line.strip() for line in section.body):
            report.error(section.line, f"section '{section.id}' has no text", "md.empty-section")
        if section.id in CLOSING:
            closing_seen.append(section.id)
            if not any(LIST_ITEM_RE.match(line) for line in section.body):
                report.error(section.line, f"section '{section.id}' must be a list", f"md.{section.id}")
        elif closing_seen:
            report.error(section.line, f"lesson '{section.id}' comes after '{closing_seen[0]}'; key-points and references close the file", "md.closing-order")
        else:
            lessons.append(section.id)
    end = max([s.line for s in doc.sections], default=doc.body_start)
    for closing in CLOSING:
        if closing not in seen:
            report.error(end, f"missing closing section '## … {{#{closing}}}'", f"md.{closing}")
    if closing_seen == ["references", "key-points"]:
        report.error(doc.sections[-1].line, "key-points comes before references", "md.closing-order")
    if not lessons and doc.sections:
        report.error(doc.sections[0].line, "no lessons before the closing sections", "md.no-lessons")
    return lessons


def check_parallel(report: FileReporter, nl_lessons: list[str], en_lessons: list[str], en_doc: TextDoc) -> None:
    """en.md must have the lessons of nl.md, same ids, same order."""
    if nl_lessons == en_lessons:
        return
    lines = {s.id: s.line for s in en_doc.sections if s.id}
    for index in range(max(len(nl_lessons), len(en_lessons))):
        nl_id = nl_lessons[index] if index < len(nl_lessons) else None
        en_id = en_lessons[index] if index < len(en_lessons) else None
        if nl_id != en_id:
            line = lines.get(en_id, en_doc.sections[-1].line if en_doc.sections else 1)
            here = f"'{en_id}'" if en_id else "missing"
            there = f"'{nl_id}'" if nl_id else "missing"
            report.error(line, f"lesson {index + 1} is {here} here but {there} in nl.md; "
                               f"nl.md has {nl_lessons}, en.md has {en_lessons}", "md.parallel")
            return


def check_links(report: FileReporter, doc: TextDoc, sources, module_lessons: dict[str, list[str]]) -> None:
    """Every link is source:ID, module:ID, #anchor in this file, or http(s)/mailto; figure: references
    are checked by rules_figures."""
    anchors = doc.anchor_ids()
    for link in doc.links:
        if not link.target.startswith("figure:"):
            check_link(report, link.target, link.line, anchors, sources, module_lessons)


def check_link(report: FileReporter, target: str, line: int, anchors: set[str], sources,
               module_lessons: dict[str, list[str]], anchor_place: str = "in this file") -> None:
    """One link target: source:ID, module:ID, #anchor (one of `anchors`), or http(s)/mailto."""
    scheme, _, rest = target.partition(":") if ":" in target else ("", "", target)
    if target.startswith("#"):
        if target[1:] not in anchors:
            report.error(line, f"link '{target}': no heading with id '{target[1:]}' {anchor_place}", "link.anchor")
    elif scheme == "source":
        doc_id = rest.split("#", 1)[0]
        if doc_id not in sources:
            report.error(line, f"link '{target}': '{doc_id}' is not a document of sources.yaml", "link.source")
    elif scheme == "module":
        module_id, _, fragment = rest.partition("#")
        if module_id not in module_lessons:
            report.error(line, f"link '{target}': there is no module '{module_id}'", "link.module")
        elif fragment and fragment not in module_lessons[module_id]:
            report.error(line, f"link '{target}': module '{module_id}' has no lesson '{fragment}'", "link.anchor")
    elif scheme in ("http", "https", "mailto") and rest:
        return
    elif scheme == "figure":
        report.error(line, f"link '{target}': figures go in the lessons of nl.md and en.md only", "link.scheme")
    else:
        report.error(line, f"link '{target}': use source:ID, module:ID, #lesson-id or https://", "link.scheme")
