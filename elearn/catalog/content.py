"""Validated files → the plain JSON the database keeps (module content, quiz pool, courses, documents)."""
from __future__ import annotations

import hashlib
import json

from elearn.catalog.render import RENDER_VERSION, cited_sources, plain_title, render_markdown
from elearn.catalog.schema import LANGS
from elearn.catalog.validate import ContentSet, ModuleSource
from elearn.catalog.yamlsrc import LDict, LList

# Fields whose values are ids: kept exactly as written (`true` stays "true", `002` stays "002").
ID_KEYS = {"id", "doc", "objective", "topic", "pillar", "primary_phase", "phase", "type"}
ID_LIST_KEYS = {"correct", "modules", "domains", "phases", "modes"}


def plain(value, key: str | None = None):
    """Located YAML → plain dicts/lists, ids as the text written."""
    if isinstance(value, LDict):
        result = {}
        for k, v in value.items():
            raw = value.raw_of(k)
            result[str(k)] = raw if (k in ID_KEYS and raw is not None) else plain(v, str(k))
        return result
    if isinstance(value, LList):
        if key in ID_LIST_KEYS:
            return [raw if raw is not None else plain(item) for item, raw in zip(value, value.raw)]
        return [plain(item) for item in value]
    return value


def digest(data) -> str:
    """sha256 of a JSON-able value (stable key order)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def module_hash(module: ModuleSource) -> str:
    """The version key: the module's files plus the renderer version."""
    return hashlib.sha256(f"{module.digest}:{RENDER_VERSION}".encode()).hexdigest()


def module_content(module: ModuleSource) -> dict:
    """module.yaml fields plus lessons, key points and references rendered per language."""
    content = plain(module.meta)
    content.setdefault("domains", [])
    content["lessons"], content["key_points"], content["references"], content["sources_cited"] = {}, {}, {}, []
    for lang in LANGS:
        doc = module.texts[lang]
        lesson_ids = {s.id for s in doc.sections if s.id}
        lessons = []
        for section in doc.sections:
            html = render_markdown("\n".join([f"## {section.title} {{#{section.id}}}"] + section.body), lesson_ids)
            if section.id in ("key-points", "references"):
                content[section.id.replace("-", "_")][lang] = html
            else:
                lessons.append({"id": section.id, "title": plain_title(section.title), "html": html})
            for source_id in cited_sources(html):
                if source_id not in content["sources_cited"]:
                    content["sources_cited"].append(source_id)
        content["lessons"][lang] = lessons
    return content


def sources_document(content: ContentSet) -> dict:
    """sources.yaml keyed by id."""
    return {entry["id"]: entry for entry in plain(content.sources)}


def courses_data(content: ContentSet) -> dict[str, dict]:
    """course.yaml files as plain dicts by id."""
    return {course_id: plain(data) for course_id, data in content.courses.items()}
