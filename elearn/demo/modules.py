"""The modules a demo launch can open: from the catalog tables, else from courses/modules/*/module.yaml."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import current_app

from elearn.catalog.models import live_modules
from elearn.extensions import db

log = logging.getLogger(__name__)
PILLAR_ORDER = {"principles": 0, "implementation": 1, "preconditions": 2}


@dataclass(frozen=True)
class ModuleChoice:
    """A module id with its title in the requested language and its pillar."""

    id: str
    title: str
    pillar: str | None


def _localised(value, locale: str) -> str | None:
    """{'nl': …, 'en': …} → the text in locale (or the other language); plain strings as they are."""
    if isinstance(value, dict):
        return value.get(locale) or value.get("nl") or value.get("en")
    return value


def _from_catalog(locale: str) -> list[ModuleChoice]:
    """Modules loaded by `courses load` (the catalog tables), when present and filled."""
    try:
        modules = live_modules()
        choices = []
        for module in modules:
            content = module.current_version.content if module.current_version else {}
            title = _localised(content.get("title"), locale) or module.id
            choices.append(ModuleChoice(module.id, title, module.pillar))
        return choices
    except Exception as exc:  # tables missing in this database: fall back to the files
        db.session.rollback()
        log.info("demo: catalog modules unavailable (%s); reading courses/ instead", type(exc).__name__)
        return []


def _from_files(locale: str) -> list[ModuleChoice]:
    """Titles straight from courses/modules/<id>/module.yaml."""
    root = Path(current_app.config["COURSES_DIR"]) / "modules"
    choices = []
    for path in sorted(root.glob("*/module.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        module_id = data.get("id") or path.parent.name
        choices.append(ModuleChoice(module_id, _localised(data.get("title"), locale) or module_id, data.get("pillar")))
    return choices


def module_choices(locale: str) -> list[ModuleChoice]:
    """Every module, principles first, then implementation, then preconditions."""
    choices = _from_catalog(locale) or _from_files(locale)
    return sorted(choices, key=lambda m: (PILLAR_ORDER.get(m.pillar or "", 9), m.title.lower()))


def grouped_by_pillar(choices: list[ModuleChoice]) -> list[tuple[str | None, list[ModuleChoice]]]:
    """[(pillar, modules)] in pillar order (modules without a known pillar last)."""
    groups: dict[str | None, list[ModuleChoice]] = {}
    for choice in choices:
        groups.setdefault(choice.pillar if choice.pillar in PILLAR_ORDER else None, []).append(choice)
    return sorted(groups.items(), key=lambda item: PILLAR_ORDER.get(item[0] or "", 9))


def module_title(module_id: str, locale: str) -> str | None:
    """The title of one module, or None when it does not exist."""
    return next((m.title for m in module_choices(locale) if m.id == module_id), None)
