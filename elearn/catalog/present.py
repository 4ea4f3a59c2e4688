"""Loaded catalog rows → what pages show, in one language, with links built for this request."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup

from elearn.catalog import canmeds
from elearn.catalog.labels import content_lang, pick
from elearn.catalog.models import Course, Module, get_document, live_courses, live_modules
from elearn.catalog.render import cited_sources, resolve_links
from elearn.catalog.schema import PILLARS


@dataclass
class ModuleView:
    """A module's current version in one language."""

    module: Module
    lang: str
    content: dict
    quiz: dict
    number: int = 0     # the version's number: figure URLs name it, so a page shows its own version's figures

    @property
    def id(self) -> str:
        """The stable module id."""
        return self.module.id

    @property
    def title(self) -> str:
        """Title in the page language."""
        return pick(self.content["title"], self.lang)

    @property
    def summary(self) -> str:
        """Summary in the page language."""
        return pick(self.content["summary"], self.lang)

    @property
    def objectives(self) -> list[str]:
        """Learning objectives in the page language."""
        return [pick(o, self.lang) for o in self.content.get("objectives", [])]

    @property
    def canmeds(self) -> list[str]:
        """The CanMEDS roles the module serves, named in the page language."""
        return canmeds.labels(self.content.get("canmeds"), self.lang)

    @property
    def lessons(self) -> list[dict]:
        """[{id, title, html}] of the page language."""
        return self.content["lessons"].get(self.lang) or self.content["lessons"].get("nl", [])

    def lesson(self, lesson_id: str) -> tuple[int, dict] | None:
        """(index, lesson) or None."""
        for index, lesson in enumerate(self.lessons):
            if lesson["id"] == lesson_id:
                return index, lesson
        return None

    def html(self, stored: str) -> Markup:
        """Stored lesson HTML with catalog links resolved for this request."""
        return resolve_links(stored, sources=sources(), lang=self.lang,
                             module_url=module_url, lesson_url=lambda lesson_id: self.lesson_url(lesson_id),
                             figure_url=self.figure_url)

    def figure_url(self, file: str) -> str:
        """A figure file of this version (public course content: no launch token in the URL)."""
        return url_for("learning.figure", module_id=self.id, number=self.number, name=file, lt=None)

    def lesson_url(self, lesson_id: str) -> str:
        """A lesson's page; the closing sections live on the module page."""
        if lesson_id in ("key-points", "references"):
            return url_for("learning.module_page", module_id=self.id, _anchor=lesson_id)
        return url_for("learning.lesson_page", module_id=self.id, lesson_id=lesson_id)

    def section(self, key: str) -> Markup:
        """key_points / references HTML, resolved."""
        return self.html(self.content.get(key, {}).get(self.lang, ""))

    def cited(self, html: str | None = None) -> list[dict]:
        """Sources cited (in `html`, or anywhere in the module): a seed document with its title and
        publisher, a literature entry with its reference and url."""
        ids = cited_sources(html) if html is not None else self.content.get("sources_cited", [])
        known = sources()
        return [source_entry(i, known, self.lang) for i in ids]

    @property
    def item_count(self) -> int:
        """Items in the post-test pool."""
        return len(self.quiz.get("items", []))


def view_of(module: Module, lang: str | None = None) -> ModuleView:
    """The current version of `module` in `lang` (the page language by default)."""
    version = module.current_version
    return ModuleView(module, lang or content_lang(), version.content, version.quiz, version.number)


def module_url(module_id: str, lesson_id: str | None = None) -> str:
    """URL of a module page, or of one of its lessons."""
    if lesson_id:
        return url_for("learning.lesson_page", module_id=module_id, lesson_id=lesson_id)
    return url_for("learning.module_page", module_id=module_id)


def source_entry(source_id: str, known: dict, lang: str) -> dict:
    """{id, title, publisher, reference, url} of one source id for a page (reference and url are
    set for `kind: literature`, title and publisher for seed documents)."""
    source = known.get(source_id) or {}
    return {"id": source_id, "title": pick(source.get("title"), lang) or source.get("reference") or source_id,
            "publisher": source.get("publisher", ""), "reference": source.get("reference", ""),
            "url": source.get("url") if source.get("kind") == "literature" else None}


def sources() -> dict:
    """sources.yaml as loaded, by id (cached per request by SQLAlchemy's identity map)."""
    return get_document("sources") or {}


def course_order(courses: list[Course]) -> dict[str, int]:
    """Position of each module: where learners first meet it, walking courses A → C."""
    order: dict[str, int] = {}
    for course in sorted(courses, key=lambda c: (c.phase, c.id)):
        for module_id in course.module_ids:
            order.setdefault(module_id, len(order))
    return order


def modules_by_pillar(lang: str | None = None, courses: list[Course] | None = None) -> dict[str, list[ModuleView]]:
    """Every live module, grouped by pillar (in the curriculum's order), ordered as in the courses
    (the live courses, unless the caller has them already)."""
    order = course_order(live_courses() if courses is None else courses)
    views = sorted((view_of(m, lang) for m in live_modules()), key=lambda v: (order.get(v.id, 999), v.id))
    return {pillar: [v for v in views if v.module.pillar == pillar] for pillar in PILLARS}
