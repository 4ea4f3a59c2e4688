"""Validated files → the plain JSON the database keeps (module content, quiz pool, courses, documents)."""
from __future__ import annotations

import hashlib
import json

from elearn.catalog import figures as figure_files
from elearn.catalog import study_load
from elearn.catalog.render import RENDER_VERSION, cited_sources, plain_title, render_markdown
from elearn.catalog.schema import LANGS
from elearn.catalog.validate import ContentSet, ModuleSource
from elearn.catalog.yamlsrc import LDict, LList

# Fields whose values are ids: kept exactly as written (`true` stays "true", `002` stays "002").
ID_KEYS = {"id", "doc", "objective", "topic", "pillar", "primary_phase", "phase", "type", "source"}
ID_LIST_KEYS = {"correct", "modules", "domains", "phases", "modes", "canmeds"}


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


def module_hash(module: ModuleSource, sources: dict | None = None) -> str:
    """The version key: the module's files, the renderer version and the references of its further
    reading (copied from sources.yaml into the version, so an edited reference is a new version)."""
    readings = further_reading(plain(module.activities), sources or {}) if module.activities is not None else []
    cited = digest([(item["source"], item["reference"], item["url"]) for item in readings])
    return hashlib.sha256(f"{module.digest}:{RENDER_VERSION}:{cited}".encode()).hexdigest()


def module_content(module: ModuleSource, sources: dict | None = None) -> dict:
    """module.yaml fields plus lessons, key points and references rendered per language, the
    activities (None without activities.yaml) and the derived study load; `sources` is
    sources_document(), for the references of further reading."""
    content = plain(module.meta)
    content.setdefault("domains", [])
    content.setdefault("canmeds", [])
    content["lessons"], content["key_points"], content["references"], content["sources_cited"] = {}, {}, {}, []
    content["figures"] = {}
    for lang in LANGS:
        doc = module.texts[lang]
        lesson_ids = {s.id for s in doc.sections if s.id}
        shown = figures_shown(module, lang)
        for entry in shown.values():
            content["figures"][entry["file"]] = module.figures[entry["file"]].decode("utf-8")
        lessons = []
        for section in doc.sections:
            html = render_markdown("\n".join([f"## {section.title} {{#{section.id}}}"] + section.body), lesson_ids, shown)
            if section.id in ("key-points", "references"):
                content[section.id.replace("-", "_")][lang] = html
            else:
                lessons.append({"id": section.id, "title": plain_title(section.title), "html": html})
            for source_id in cited_sources(html):
                if source_id not in content["sources_cited"]:
                    content["sources_cited"].append(source_id)
        content["lessons"][lang] = lessons
    content["activities"] = activities_content(module, sources or {})
    content["study_load"] = study_load.derive(module)
    return content


def figures_shown(module: ModuleSource, lang: str) -> dict[str, dict]:
    """{name as referenced: {file, width, height}} of the figures the lessons of `lang` reference
    (checked: every file exists and is a safe SVG with a viewBox)."""
    shown = {}
    for section in module.texts[lang].sections:
        for ref in figure_files.references(section.body, section.body_start)[0]:
            file = figure_files.file_for(ref.name, lang, module.figures)
            if file is not None and ref.name not in shown:
                info = figure_files.inspect_svg(module.figures[file])
                shown[ref.name] = {"file": file, "width": info.width, "height": info.height}
    return shown


def activities_content(module: ModuleSource, sources: dict) -> dict | None:
    """activities.yaml as pages use it: Markdown rendered per language like the lessons."""
    if module.activities is None:
        return None
    data = plain(module.activities)
    lesson_ids = {lang: {s.id for s in doc.sections if s.id} for lang, doc in module.texts.items()}

    def html(texts: dict) -> dict:
        """{nl, en} Markdown → {nl, en} HTML, `#lesson-id` links resolved as in that language's lessons."""
        return {lang: render_markdown(texts[lang], lesson_ids.get(lang, set())) for lang in LANGS}

    cases = [{"id": case["id"], "objective": case["objective"], "minutes": case["minutes"],
              "title": {lang: case["title"][lang].strip() for lang in LANGS},
              "situation": html(case["situation"]), "task": html(case["task"]), "model_answer": html(case["model_answer"]),
              "sources": [{"doc": s["doc"], "section": s["section"]} for s in case["sources"]]}
             for case in data.get("cases") or []]
    reflection = data.get("reflection")
    if reflection is not None:
        reflection = {"id": reflection["id"], "minutes": reflection["minutes"], "prompt": html(reflection["prompt"])}
    return {"cases": cases, "reflection": reflection, "further_reading": further_reading(data, sources)}


def further_reading(data: dict, sources: dict) -> list[dict]:
    """further_reading of a plain activities.yaml, each with its reference (and url) from sources.yaml."""
    further = []
    for item in data.get("further_reading") or []:
        source = sources.get(item["source"]) or {}
        further.append({"source": item["source"], "reference": source.get("reference", ""),
                        "url": source.get("url"), "why": {lang: item["why"][lang].strip() for lang in LANGS},
                        "required": item.get("required", False), "minutes": item.get("minutes")})
    return further


def sources_document(content: ContentSet) -> dict:
    """sources.yaml keyed by id."""
    return {entry["id"]: entry for entry in plain(content.sources)}


def courses_data(content: ContentSet) -> dict[str, dict]:
    """course.yaml files as plain dicts by id."""
    return {course_id: plain(data) for course_id, data in content.courses.items()}
