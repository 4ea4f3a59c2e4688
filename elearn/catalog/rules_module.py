"""Rules for modules/<id>/module.yaml."""
from __future__ import annotations

from elearn.catalog.problems import FileReporter
from elearn.catalog.schema import CANMEDS, DOMAINS, ID_MAX, MODES, PHASES, PILLARS, Fields, is_mapping

REQUIRED = ("id", "pillar", "topic", "title", "summary", "phases", "primary_phase", "modes",
            "study_load_minutes", "objectives", "canmeds")
OPTIONAL = ("domains",)


def check_module(report: FileReporter, data, folder: str) -> dict | None:
    """Validate module.yaml; return {id, pillar, topic, phases, objectives: [ids], …} or None."""
    if not is_mapping(data):
        report.error(1, "module.yaml must be a mapping of fields", "schema.type")
        return None
    fields = Fields(report, data)
    fields.keys(REQUIRED, OPTIONAL)
    module_id = fields.ident("id", "module id", max_len=ID_MAX)
    if module_id and module_id != folder:
        fields.error("id", f"module id '{module_id}' must equal its folder name '{folder}'", "id.folder")
    pillar = _enum(fields, "pillar", PILLARS, "module.pillar")
    topic = fields.ident("topic", "topic", max_len=ID_MAX)
    fields.bilingual("title")
    fields.bilingual("summary")
    phases = _enum_list(fields, "phases", PHASES, "module.phases")
    primary = _enum(fields, "primary_phase", PHASES, "module.primary-phase")
    if primary and phases is not None and primary not in phases:
        fields.error("primary_phase", f"primary_phase '{primary}' is not one of phases {phases}",
                     "module.primary-phase")
    _enum_list(fields, "modes", MODES, "module.modes")
    _enum_list(fields, "canmeds", CANMEDS, "module.canmeds")
    load = fields.integer("study_load_minutes", 15, 24 * 60)
    if load is not None and load % 15:
        fields.error("study_load_minutes", f"study_load_minutes {load} must be a multiple of 15", "module.load")
    objectives = _objectives(report, fields)
    domains = fields.id_list("domains", "domain") or []
    for index, domain in enumerate(domains):
        if domain not in DOMAINS:
            report.error(data["domains"].line_of(index),
                         f"domains: unknown self-assessment domain '{domain}' (one of {', '.join(DOMAINS)})",
                         "module.domains")
    return {"id": module_id or folder, "pillar": pillar, "topic": topic, "objectives": objectives,
            "phases": phases or []}


def _enum(fields: Fields, key: str, allowed: tuple[str, ...], rule: str) -> str | None:
    """A scalar that must be one of `allowed`."""
    if key not in fields.data:
        return None
    raw = fields.data.raw_of(key)
    if raw not in allowed:
        fields.error(key, f"{key} '{raw if raw is not None else fields.data[key]}' must be one of: {', '.join(allowed)}", rule)
        return None
    return raw


def _enum_list(fields: Fields, key: str, allowed: tuple[str, ...], rule: str) -> list[str] | None:
    """A non-empty list of distinct values from `allowed`."""
    values = fields.items(key, min_len=1)
    if values is None:
        return None
    result = []
    for index, raw in enumerate(values.raw):
        if raw not in allowed:
            fields.report.error(values.line_of(index),
                                f"{key}: '{raw if raw is not None else values[index]}' must be one of: {', '.join(allowed)}", rule)
        elif raw in result:
            fields.report.error(values.line_of(index), f"{key}: '{raw}' listed twice", rule)
        else:
            result.append(raw)
    return result


def _objectives(report: FileReporter, fields: Fields) -> list[str]:
    """objectives: [{id, nl, en}], ids unique."""
    items = fields.items("objectives", min_len=1)
    ids: list[str] = []
    for index, item in enumerate(items or []):
        if not is_mapping(item):
            report.error(items.line_of(index), "objectives: each objective must be a mapping {id, nl, en}", "schema.type")
            continue
        objective = Fields(report, item, "objective: ")
        objective.keys(("id",), ("nl", "en"))
        objective_id = objective.ident("id", "objective id")
        if objective_id:
            objective.prefix = f"objective '{objective_id}': "
            if objective_id in ids:
                objective.error("id", f"objective id '{objective_id}' is used twice", "id.unique")
            else:
                ids.append(objective_id)
        for lang in ("nl", "en"):
            text = item.get(lang)
            if not isinstance(text, str) or not text.strip():
                objective.error(lang if lang in item else None, f"missing {lang} text", "lang.missing")
    return ids
