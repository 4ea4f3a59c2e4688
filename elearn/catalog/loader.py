"""`courses load`: check, then bring the database in line with courses/ in one transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from elearn.catalog import content as build
from elearn.catalog.models import CatalogDocument, Course, Module, ModuleVersion
from elearn.catalog.validate import CheckResult, ContentSet, check_directory
from elearn.events import operations as events
from elearn.events.models import Event
from elearn.extensions import db
from lti.models import utcnow


class LoadRefused(Exception):
    """The content has errors; nothing was written."""

    def __init__(self, result: CheckResult):
        super().__init__(f"{len(result.problems.errors)} error(s) in {result.content.root}")
        self.result = result


@dataclass
class Changes:
    """What a load did, per kind of row."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when anything in the database changed."""
        return bool(self.added or self.updated or self.retired or self.restored)

    def lines(self) -> list[str]:
        """Human summary, one line per kind."""
        out = []
        for label in ("added", "updated", "restored", "retired"):
            names = getattr(self, label)
            if names:
                out.append(f"{label} ({len(names)}): {', '.join(names)}")
        out.append(f"unchanged: {len(self.unchanged)}")
        return out


def load_directory(root: Path | str) -> Changes:
    """Validate `root`; on errors raise LoadRefused before touching the database, else load it."""
    result = check_directory(root)
    if not result.ok:
        raise LoadRefused(result)
    try:
        changes = load_content(result.content)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changes


def load_content(content: ContentSet) -> Changes:
    """Apply validated content to the session (the caller commits)."""
    changes = Changes()
    now = utcnow()
    _load_modules(content, build.sources_document(content), changes, now)
    _load_courses(content, changes, now)
    _load_document("sources", build.sources_document(content), changes, now)
    _load_document("self-assessment", build.plain(content.self_assessment), changes, now)
    db.session.flush()
    _load_events(content, changes, now)
    return changes


def _load_events(content: ContentSet, changes: Changes, now) -> None:
    """Events of events.yaml by `<module>/<id>`: added, updated in place (enrolments stay), and
    cancelled, never deleted, when they leave the file."""
    existing = {e.source_key: e for e in db.session.scalars(select(Event).where(Event.source == "file"))}
    seen = set()
    for module_id, source in sorted(content.modules.items()):
        for item in source.events:
            key = f"{module_id}/{item['id']}"
            seen.add(key)
            values = events.checked(events.EventFields(**{k: v for k, v in item.items() if k != "id"}))
            event = existing.get(key)
            label = f"event {key}"
            if event is None:
                db.session.add(Event(source="file", source_key=key, module_id=module_id, created_by="courses load",
                                     created_at=now, updated_at=now, **values))
                changes.added.append(label)
                continue
            current = {k: getattr(event, k) for k in values}
            if current != values or event.cancelled_at is not None:
                for k, v in values.items():
                    setattr(event, k, v)
                event.cancelled_at, event.updated_at = None, now
                changes.updated.append(label)
            else:
                changes.unchanged.append(label)
    for key, event in existing.items():
        if key not in seen and event.cancelled_at is None:
            event.cancelled_at = event.updated_at = now
            changes.retired.append(f"event {key}")
    db.session.flush()


def _load_modules(content: ContentSet, sources: dict, changes: Changes, now) -> None:
    """A new version for each module whose files changed; retire modules whose folder is gone."""
    existing = {m.id: m for m in db.session.scalars(select(Module))}
    for module_id, source in sorted(content.modules.items()):
        content_hash = build.module_hash(source, sources)
        module = existing.get(module_id)
        label = f"module {module_id}"
        version = _version_for(module_id, content_hash) if module is not None else None
        if module is not None and version is not None and version.id == module.current_version_id:
            if module.retired_at is not None:
                module.retired_at, module.updated_at = None, now
                changes.restored.append(label)
            else:
                changes.unchanged.append(label)
            continue
        data = build.module_content(source, sources)
        if module is None:
            module = Module(id=module_id, created_at=now)
            db.session.add(module)
        module.pillar, module.topic = data["pillar"], data["topic"]
        module.primary_phase, module.phases = data["primary_phase"], data["phases"]
        if version is None:
            version = ModuleVersion(module_id=module_id, number=_next_number(module_id), content_hash=content_hash,
                                    content=data, quiz=build.plain(source.quiz), created_at=now)
            db.session.add(version)
            db.session.flush()
        (changes.added if module_id not in existing else changes.updated).append(f"{label} (version {version.number})")
        module.current_version_id, module.retired_at, module.updated_at = version.id, None, now
    for module_id, module in existing.items():
        if module_id not in content.modules and module.retired_at is None:
            module.retired_at = module.updated_at = now
            changes.retired.append(f"module {module_id}")


def _version_for(module_id: str, content_hash: str) -> ModuleVersion | None:
    """An earlier version with exactly this content (a revert reuses it)."""
    return db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.module_id == module_id, ModuleVersion.content_hash == content_hash))


def _next_number(module_id: str) -> int:
    """1 + the highest version number of the module."""
    highest = db.session.scalar(select(func.max(ModuleVersion.number)).where(ModuleVersion.module_id == module_id))
    return (highest or 0) + 1


def _load_courses(content: ContentSet, changes: Changes, now) -> None:
    """Courses by id: add, update when the file changed, retire when gone."""
    existing = {c.id: c for c in db.session.scalars(select(Course))}
    for course_id, data in sorted(build.courses_data(content).items()):
        content_hash = build.digest(data)
        course = existing.get(course_id)
        label = f"course {course_id}"
        if course is None:
            db.session.add(Course(id=course_id, phase=data["phase"], content_hash=content_hash, data=data,
                                  created_at=now, updated_at=now))
            changes.added.append(label)
        elif course.content_hash != content_hash or course.retired_at is not None:
            (changes.updated if course.content_hash != content_hash else changes.restored).append(label)
            course.phase, course.content_hash, course.data = data["phase"], content_hash, data
            course.retired_at, course.updated_at = None, now
        else:
            changes.unchanged.append(label)
    for course_id, course in existing.items():
        if course_id not in content.courses and course.retired_at is None:
            course.retired_at = course.updated_at = now
            changes.retired.append(f"course {course_id}")


def _load_document(key: str, data, changes: Changes, now) -> None:
    """sources / self-assessment: replaced when their content changed."""
    content_hash = build.digest(data)
    row = db.session.get(CatalogDocument, key)
    if row is None:
        db.session.add(CatalogDocument(key=key, content_hash=content_hash, data=data, updated_at=now))
        changes.added.append(key)
    elif row.content_hash != content_hash:
        row.content_hash, row.data, row.updated_at = content_hash, data, now
        changes.updated.append(key)
    else:
        changes.unchanged.append(key)
