"""`courses check`: read every file of a courses/ directory and apply the rules of courses/README.md."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from elearn.catalog import figures, mdsrc, yamlsrc
from elearn.catalog.problems import FileReporter, Problems
from elearn.catalog.rules_activities import ModuleContext, check_activities
from elearn.catalog import study_load
from elearn.catalog.rules_events import check_events
from elearn.catalog.rules_course import check_course, check_course_load, check_self_assessment, check_sources
from elearn.catalog.rules_figures import check_figures
from elearn.catalog.rules_module import check_module
from elearn.catalog.rules_quiz import check_quiz, keyed_longest
from elearn.catalog.rules_text import check_links, check_parallel, check_text
from elearn.catalog.schema import ID_RE, LANGS

MODULE_FILES = ("module.yaml", "nl.md", "en.md", "quiz.yaml", "activities.yaml")


@dataclass
class ModuleSource:
    """One module folder as read from disk."""

    id: str
    folder: Path
    meta: object = None                               # located module.yaml
    quiz: object = None                               # located quiz.yaml
    activities: object = None                         # located activities.yaml (None: no file)
    events: list = field(default_factory=list)        # events.yaml's valid events (not part of the version)
    texts: dict[str, mdsrc.TextDoc] = field(default_factory=dict)
    lessons: dict[str, list[str]] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)  # words of nl.md / en.md (whole file)
    phases: list[str] = field(default_factory=list)
    load: dict = field(default_factory=dict)          # study_load.derive(): claimed, derived, parts
    longest_keyed: tuple[int, int] = (0, 0)           # (keyed longest, single-choice items)
    figures: dict[str, bytes] = field(default_factory=dict)  # figures/*.svg by file name
    digest: str = ""                                  # sha256 of the module's files


@dataclass
class ContentSet:
    """Everything read from a courses/ directory (used by the loader once the check passes)."""

    root: Path
    sources: object = None
    source_kinds: dict[str, str] = field(default_factory=dict)   # id → "seed" | "literature"
    modules: dict[str, ModuleSource] = field(default_factory=dict)
    courses: dict[str, object] = field(default_factory=dict)
    self_assessment: object = None
    quiz_items: int = 0


@dataclass
class CheckResult:
    """Problems plus the content they were found in."""

    problems: Problems
    content: ContentSet

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.problems.errors

    def only_modules(self, module_ids) -> "CheckResult":
        """The same result showing only problems in the given modules' files (ok stays global)."""
        folders = {(self.content.root / "modules" / m).resolve() for m in module_ids}
        kept = [p for p in self.problems.items if folders & set(Path(p.path).resolve().parents[:2])]
        return FilteredResult(Problems(kept), self.content, self.problems)


@dataclass
class FilteredResult(CheckResult):
    """A check result shown for some modules only; `ok` still reflects every file."""

    everything: Problems = None

    @property
    def ok(self) -> bool:
        """True only when the whole directory has no error."""
        return not self.everything.errors


def check_directory(root: Path | str) -> CheckResult:
    """Validate the whole content directory; never raises on bad content."""
    root = Path(root)
    problems = Problems()
    content = ContentSet(root)
    if not root.is_dir():
        problems.add(root, 1, f"courses directory '{root}' does not exist", "file.missing")
        return CheckResult(problems, content)
    content.sources = _read_yaml(problems, root / "sources.yaml")
    sources = check_sources(FileReporter(problems, root / "sources.yaml"), content.sources) if content.sources is not None else {}
    content.source_kinds = sources
    module_dirs = sorted(p for p in (root / "modules").iterdir() if p.is_dir()) if (root / "modules").is_dir() else []
    if not module_dirs:
        problems.add(root / "modules", 1, "no module folders in modules/", "file.missing")
    objectives = {}
    for folder in module_dirs:
        module = _read_module(problems, folder, objectives)
        if module:
            content.modules[module.id] = module
    module_lessons = {m.id: m.lessons.get("nl", []) for m in content.modules.values()}
    for module in content.modules.values():
        _check_module_content(problems, module, objectives.get(module.id, []), sources, module_lessons, content)
    _check_topics(problems, content)
    _read_courses(problems, root, content)
    sa_path = root / "self-assessment.yaml"
    content.self_assessment = _read_yaml(problems, sa_path)
    if content.self_assessment is not None:
        check_self_assessment(FileReporter(problems, sa_path), content.self_assessment, set(content.modules), sources)
    _warn_unused(problems, content)
    return CheckResult(problems, content)


def _read_yaml(problems: Problems, path: Path):
    """Read a YAML file with line marks; a missing or broken file is reported and gives None."""
    if not path.is_file():
        problems.add(path, 1, f"missing file {path.name}", "file.missing")
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.add(path, 1, f"not UTF-8 text: {exc}", "file.encoding")
        return None
    data, yaml_problems = yamlsrc.load(text)
    for problem in yaml_problems:
        problems.add(path, problem.line, problem.message, problem.rule)
    if data is None and not yaml_problems:
        problems.add(path, 1, f"{path.name} is empty", "schema.required")
    return None if any(p.rule == "yaml.syntax" for p in yaml_problems) else data


def _read_module(problems: Problems, folder: Path, objectives: dict) -> ModuleSource | None:
    """module.yaml, nl.md, en.md, quiz.yaml of one folder (structure checks per file)."""
    if not ID_RE.match(folder.name):
        problems.add(folder, 1, f"module folder name '{folder.name}' must be lowercase a-z, 0-9 and '-'", "id.format")
        return None
    module = ModuleSource(folder.name, folder)
    digest = hashlib.sha256()
    for name in MODULE_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    module.figures = _read_figures(folder / figures.FOLDER)
    for name, data in sorted(module.figures.items()):
        digest.update(f"{figures.FOLDER}/{name}".encode() + b"\0" + data + b"\0")
    module.digest = digest.hexdigest()
    module.meta = _read_yaml(problems, folder / "module.yaml")
    if module.meta is not None:
        info = check_module(FileReporter(problems, folder / "module.yaml"), module.meta, folder.name)
        objectives[module.id] = (info or {}).get("objectives", [])
        module.phases = (info or {}).get("phases", [])
    for lang in LANGS:
        path = folder / f"{lang}.md"
        if not path.is_file():
            problems.add(path, 1, f"missing file {lang}.md (both languages are required)", "file.missing")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.add(path, 1, f"not UTF-8 text: {exc}", "file.encoding")
            continue
        doc = mdsrc.parse(text)
        module.texts[lang], module.words[lang] = doc, len(text.split())
        module.lessons[lang] = check_text(FileReporter(problems, path), doc, lang)
    if "nl" in module.lessons and "en" in module.lessons:
        check_parallel(FileReporter(problems, folder / "en.md"), module.lessons["nl"], module.lessons["en"], module.texts["en"])
    module.quiz = _read_yaml(problems, folder / "quiz.yaml")
    module.activities = _read_yaml(problems, folder / "activities.yaml")
    if (folder / "events.yaml").is_file():   # optional; dated events are not module content (no new version)
        events = _read_yaml(problems, folder / "events.yaml")
        if events is not None:
            modes = getattr(module.meta, "get", lambda _key: None)("modes")
            module.events = check_events(FileReporter(problems, folder / "events.yaml"), events,
                                         list(modes) if isinstance(modes, list) else [])
    return module


def _read_figures(folder: Path) -> dict[str, bytes]:
    """The SVG files of a module's figures/ folder by name (an oversized file is kept only up to one
    byte past the limit, enough for the size rule to refuse it)."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob("*.svg")):
        if path.is_file():
            with path.open("rb") as handle:
                found[path.name] = handle.read(figures.MAX_BYTES + 1)
    return found


def _check_module_content(problems, module, objectives, sources, module_lessons, content) -> None:
    """Links in the texts and the quiz pool (these need every module and source known)."""
    for lang, doc in module.texts.items():
        check_links(FileReporter(problems, module.folder / f"{lang}.md"), doc, sources, module_lessons)
    check_figures(problems, module)
    if module.quiz is not None:
        check_quiz(FileReporter(problems, module.folder / "quiz.yaml"), module.quiz, objectives, sources)
        items = module.quiz.get("items") if hasattr(module.quiz, "get") else None
        content.quiz_items += len(items) if isinstance(items, list) else 0
        module.longest_keyed = keyed_longest(items)
    if module.activities is not None:
        anchors = set(module.lessons.get("nl", [])) | {"key-points", "references"}
        context = ModuleContext(objectives, anchors, sources, module_lessons)
        check_activities(FileReporter(problems, module.folder / "activities.yaml"), module.activities, context)
    _check_study_load(problems, module)


def _check_study_load(problems: Problems, module: ModuleSource) -> None:
    """The claimed study_load_minutes may exceed the load derived from the files by at most 15 %."""
    module.load = study_load.derive(module)
    load = module.load
    if hasattr(module.meta, "line_of") and load["claimed"] and study_load.over_claimed(load):
        parts = ", ".join(f"{part.replace('_', ' ')} {load[part]}" for part in study_load.PARTS)
        problems.add(module.folder / "module.yaml", module.meta.line_of("study_load_minutes"),
                     f"study_load_minutes {load['claimed']} exceeds the derived load {load['derived']} minutes "
                     f"({parts}) by more than {study_load.TOLERANCE:.0%}; at most "
                     f"{int(load['derived'] * (1 + study_load.TOLERANCE))} can be claimed", "module.study-load")


def _check_topics(problems: Problems, content: ContentSet) -> None:
    """A topic key is unique within its pillar."""
    seen: dict[tuple, str] = {}
    for module in content.modules.values():
        meta = module.meta
        if not hasattr(meta, "raw_of"):
            continue
        key = (meta.raw_of("pillar"), meta.raw_of("topic"))
        if None in key:
            continue
        if key in seen:
            problems.add(module.folder / "module.yaml", meta.line_of("topic"),
                         f"topic '{key[1]}' is already used in pillar '{key[0]}' by module '{seen[key]}'", "module.topic-unique")
        else:
            seen[key] = module.id


def _read_courses(problems: Problems, root: Path, content: ContentSet) -> None:
    """Every top-level folder other than modules/ is a course with a course.yaml."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name == "modules" or folder.name.startswith((".", "_")):
            continue
        path = folder / "course.yaml"
        data = _read_yaml(problems, path)
        if data is not None:
            info = check_course(FileReporter(problems, path), data, folder.name, set(content.modules))
            check_course_load(FileReporter(problems, path), data, {
                m.id: {"phases": m.phases, "claimed": m.load.get("claimed", 0)} for m in content.modules.values()})
            if info:
                content.courses[info["id"]] = data
    if not content.courses and not any(p.rule == "file.missing" for p in problems.items if "course.yaml" in p.path):
        problems.add(root, 1, "no course folders (<course-id>/course.yaml)", "file.missing")


def _warn_unused(problems: Problems, content: ContentSet) -> None:
    """A module that no course lists is reachable only by direct link."""
    used = set()
    for course in content.courses.values():
        modules = course.get("modules") if hasattr(course, "get") else None
        used.update(getattr(modules, "raw", None) or [])
    for module_id, module in content.modules.items():
        if content.courses and module_id not in used:
            problems.add(module.folder / "module.yaml", 1, f"module '{module_id}' is in no course", "course.unused", "warning")
