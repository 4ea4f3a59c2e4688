"""The catalog as the deep-linking picker shows it: narrowed by the filters (read by
picker_form.PickerForm), the curriculum matrix (pillars × career phases) with counts to choose from,
and the facts an instructor needs before placing a module (objectives, load, post-test, accreditation)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from flask import current_app

from elearn.accreditation.operations import activities_for_module
from elearn.accreditation.registers import REGISTERS
from elearn.catalog.labels import pick
from elearn.catalog.models import live_courses
from elearn.catalog.present import ModuleView, modules_by_pillar
from elearn.catalog.schema import PHASES, PILLARS


@dataclass(frozen=True)
class PickerFilters:
    """What the instructor narrowed the catalog to, and the language the items are written in."""

    course_lang: str
    q: str = ""
    phase: str = ""
    pillar: str = ""
    mode: str = ""
    role: str = ""      # a CanMEDS role (elearn.catalog.canmeds)

    @property
    def active(self) -> bool:
        """Whether anything is filtered out (the course language is not a filter)."""
        return bool(self.q or self.phase or self.pillar or self.mode or self.role)

    def query(self, **changes) -> dict:
        """Query arguments for a picker URL with some filters changed (empty ones left out)."""
        values = {"course_lang": self.course_lang, "q": self.q, "phase": self.phase, "pillar": self.pillar,
                  "mode": self.mode, "role": self.role}
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def course_lang_of(value: str | None, default: str | None) -> str:
    """A course language the catalog is written in: the asked one, else the launch's, else Dutch."""
    languages = current_app.config["LANGUAGES"]
    for candidate in (value, default):
        if candidate in languages:
            return candidate
    return languages[0]


def _folded(text: str) -> str:
    """Lower case without accents, so 'patiënt' is found by 'patient'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _haystack(view: ModuleView) -> str:
    """Title and summary in both languages: an instructor may search in either."""
    content = view.content
    parts = [*(content.get("title") or {}).values(), *(content.get("summary") or {}).values(), view.id]
    return _folded(" ".join(str(p) for p in parts))


def matches_search(view: ModuleView, q: str) -> bool:
    """Every word of the search occurs in the module's title or summary (either language)."""
    if not q:
        return True
    haystack = _haystack(view)
    return all(_folded(word) in haystack for word in q.split())


def _matches(view: ModuleView, filters: PickerFilters, *, place: bool = True) -> bool:
    """Search, mode and role always; pillar and phase only when `place` (the matrix counts ignore them)."""
    content = view.content
    if filters.mode and filters.mode not in content.get("modes", []):
        return False
    if filters.role and filters.role not in content.get("canmeds", []):
        return False
    if not matches_search(view, filters.q):
        return False
    if place and filters.pillar and view.module.pillar != filters.pillar:
        return False
    if place and filters.phase and filters.phase not in content.get("phases", []):
        return False
    return True


@dataclass
class MatrixCell:
    """One pillar × phase cell of the picture: how many modules it offers (under search and mode)."""

    pillar: str
    phase: str
    count: int
    primary: int
    current: bool


@dataclass
class Accreditation:
    """An accredited course the module belongs to (credits are given per course)."""

    course_title: str
    points: float
    kind: str | None
    register: str | None = None     # set for an accredited activity of the module itself


@dataclass
class PickerCatalog:
    """Everything the picker page draws."""

    shown: list[ModuleView]
    total: int
    matrix: dict[str, list[MatrixCell]]
    accreditation: dict[str, list[Accreditation]] = field(default_factory=dict)
    by_id: dict[str, ModuleView] = field(default_factory=dict)


def _matrix(views: list[ModuleView], filters: PickerFilters) -> dict[str, list[MatrixCell]]:
    """Counts per pillar and phase among the modules that pass search, mode and role."""
    candidates = [v for v in views if _matches(v, filters, place=False)]
    matrix = {}
    for pillar in PILLARS:
        cells = []
        for phase in PHASES:
            here = [v for v in candidates if v.module.pillar == pillar and phase in v.content.get("phases", [])]
            cells.append(MatrixCell(pillar, phase, len(here),
                                    sum(1 for v in here if v.content.get("primary_phase") == phase),
                                    filters.pillar == pillar and filters.phase == phase))
        matrix[pillar] = cells
    return matrix


def _accreditation(lang: str) -> dict[str, list[Accreditation]]:
    """Module id → the accredited courses (with credits) it is part of."""
    found: dict[str, list[Accreditation]] = {}
    for module_id in {m for course in live_courses() for m in course.module_ids}:
        for activity in activities_for_module(module_id):
            found.setdefault(module_id, []).append(Accreditation(
                pick(activity.title, lang), activity.points, activity.points_kind, REGISTERS[activity.register].name))
    for course in live_courses():
        credits = course.data.get("credits")
        if not credits:
            continue
        entry = Accreditation(pick(course.data.get("title"), lang), credits.get("points"), credits.get("kind"))
        for module_id in course.module_ids:
            found.setdefault(module_id, []).append(entry)
    return found


def picker_catalog(filters: PickerFilters) -> PickerCatalog:
    """The live modules in the course language: those the filters show, the matrix, accreditation."""
    views = [v for group in modules_by_pillar(filters.course_lang).values() for v in group]
    return PickerCatalog(shown=[v for v in views if _matches(v, filters)], total=len(views),
                         matrix=_matrix(views, filters), accreditation=_accreditation(filters.course_lang),
                         by_id={v.id: v for v in views})
