"""The catalog in the database: courses, modules and the immutable versions of each module's content."""
from __future__ import annotations

from datetime import datetime

from flask import g
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, UniqueConstraint, and_, select
from sqlalchemy.orm import Mapped, foreign, joinedload, mapped_column, relationship

from elearn.catalog import cache
from elearn.extensions import db
from lti.models import utcnow


class ModuleVersion(db.Model):
    """One version of a module's content, named by the hash of its files; never changed or deleted
    (quiz attempts and accreditation records refer to it)."""

    __tablename__ = "catalog_module_versions"
    __table_args__ = (
        UniqueConstraint("module_id", "number", name="uq_catalog_module_versions_number"),
        UniqueConstraint("module_id", "content_hash", name="uq_catalog_module_versions_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[str] = mapped_column(ForeignKey("catalog_modules.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)              # 1, 2, 3 … per module
    content_hash: Mapped[str] = mapped_column(String(64))     # sha256 of the files (+ renderer version)
    # module.yaml fields + rendered lessons per language, and the quiz.yaml pool (ids as written):
    # 100–300 kB of JSON per version, so deferred, and read through `content` / `quiz`, which take
    # them from memory by content hash (elearn.catalog.cache) — attempts, pages and grade delivery
    # all need them, and a version never changes.
    stored_content: Mapped[dict] = mapped_column("content", JSON, deferred=True)
    stored_quiz: Mapped[dict] = mapped_column("quiz", JSON, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def _cached(self) -> tuple[dict, dict]:
        """(content, quiz) from memory, loaded once per process and hash. Shared: read only."""
        cached = cache.module_versions.get(self.content_hash) if self.content_hash else None
        if cached is None:
            cached = (self.stored_content, self.stored_quiz)
            if self.content_hash and self.id is not None:
                cache.module_versions.put(self.content_hash, cached)
        return cached

    @property
    def content(self) -> dict:
        """The version's content (see stored_content)."""
        return self._cached()[0]

    @content.setter
    def content(self, value: dict) -> None:
        self.stored_content = value

    @property
    def quiz(self) -> dict:
        """The version's quiz pool (see stored_quiz)."""
        return self._cached()[1]

    @quiz.setter
    def quiz(self, value: dict) -> None:
        self.stored_quiz = value


class Module(db.Model):
    """A module by its stable id; points at its current version; retired when its folder is gone."""

    __tablename__ = "catalog_modules"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pillar: Mapped[str] = mapped_column(String(32), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    primary_phase: Mapped[str] = mapped_column(String(1))
    phases: Mapped[list] = mapped_column(JSON)
    # No database FK here: it would make a cycle with catalog_module_versions.module_id that
    # SQLite migrations cannot create; the loader sets it in the same transaction as the version.
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    current_version: Mapped[ModuleVersion | None] = relationship(
        primaryjoin=lambda: foreign(Module.current_version_id) == ModuleVersion.id, viewonly=True)
    versions: Mapped[list[ModuleVersion]] = relationship(
        primaryjoin=lambda: and_(Module.id == ModuleVersion.module_id), order_by=ModuleVersion.number,
        viewonly=True)

    @property
    def is_retired(self) -> bool:
        """Retired modules are no longer offered (their records stay valid)."""
        return self.retired_at is not None


class Course(db.Model):
    """A course: an ordered list of module ids for one audience (course.yaml as loaded)."""

    __tablename__ = "catalog_courses"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phase: Mapped[str] = mapped_column(String(1))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)                  # title, summary, audience, modules, pass_mark, credits
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def module_ids(self) -> list[str]:
        """Module ids in the order learners meet them."""
        return list(self.data.get("modules", []))


class CatalogDocument(db.Model):
    """Whole-catalog documents kept as one JSON each: `sources`, `self-assessment`."""

    __tablename__ = "catalog_documents"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict | list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def get_document(key: str):
    """The data of a catalog document, or None before the first load (once per request; the
    data itself from memory while its hash is unchanged, see elearn.catalog.cache)."""
    memo = g.setdefault("catalog_documents", {})
    if key not in memo:
        content_hash = document_hash(key)
        data = cache.documents.get((key, content_hash)) if content_hash else None
        if content_hash and data is None:
            data = db.session.scalar(select(CatalogDocument.data).where(CatalogDocument.key == key))
            cache.documents.put((key, content_hash), data)
        memo[key] = data
    return memo[key]


def document_hash(key: str) -> str | None:
    """The content hash of a catalog document as loaded (once per request), None before the first load."""
    memo = g.setdefault("catalog_document_hashes", {})
    if key not in memo:
        memo[key] = db.session.scalar(select(CatalogDocument.content_hash).where(CatalogDocument.key == key))
    return memo[key]


def _live(*where) -> list[Module]:
    """Live modules (matching `where`), each with its current version row (not its JSON, which is
    deferred) in the same statement; the JSON this process has not seen yet comes in one more."""
    modules = [m for m in db.session.scalars(
        select(Module).options(joinedload(Module.current_version))
        .where(Module.retired_at.is_(None), Module.current_version_id.is_not(None), *where))
        if m.current_version is not None]
    _warm([m.current_version for m in modules])
    return modules


def _warm(versions: list[ModuleVersion]) -> None:
    """Put the content of the versions this process has not seen yet into memory, in one statement."""
    missing = {v.id: v.content_hash for v in versions if cache.module_versions.get(v.content_hash) is None}
    if not missing:
        return
    rows = db.session.execute(select(ModuleVersion.id, ModuleVersion.stored_content, ModuleVersion.stored_quiz)
                              .where(ModuleVersion.id.in_(list(missing))))
    for version_id, content, quiz in rows:
        cache.module_versions.put(missing[version_id], (content, quiz))


def live_module(module_id: str) -> Module | None:
    """A module that is loaded and not retired, with a current version."""
    found = _live(Module.id == module_id)
    return found[0] if found else None


def live_modules() -> list[Module]:
    """Every offered module."""
    return _live()


def live_courses() -> list[Course]:
    """Every offered course, by phase."""
    return list(db.session.scalars(select(Course).where(Course.retired_at.is_(None)).order_by(Course.phase, Course.id)))
