"""Rules for lesson figures: each reference names a file of figures/ with alt text and caption, nl and
en show the same figures in the same lessons, and every SVG file is well-formed, safe and legible."""
from __future__ import annotations

from elearn.catalog import figures
from elearn.catalog.problems import FileReporter, Problems
from elearn.catalog.schema import LANGS


def check_figures(problems: Problems, module) -> None:
    """All figure rules of one module (its texts and its figures/ folder)."""
    folder = module.folder / figures.FOLDER
    used: set[str] = set()
    per_lesson: dict[str, dict[str, list]] = {}
    for lang in LANGS:
        doc = module.texts.get(lang)
        if doc is None:
            continue
        report = FileReporter(problems, module.folder / f"{lang}.md")
        for section in doc.sections:
            refs, findings = figures.references(section.body, section.body_start)
            for finding in findings:
                report.error(finding.line, finding.message, finding.rule)
            for ref in refs:
                used.update(_check_reference(report, ref, lang, module))
            per_lesson.setdefault(lang, {})[section.id] = refs
    _check_parallel(problems, module, per_lesson)
    for name, data in sorted(module.figures.items()):
        info = figures.inspect_svg(data)
        report = FileReporter(problems, folder / name)
        for finding in info.findings:
            report.error(finding.line, finding.message, finding.rule)
        if name not in used:
            report.warning(1, f"figure file {name} is referenced by no lesson", "figure.unused")


def _check_reference(report: FileReporter, ref, lang: str, module) -> set[str]:
    """One reference: its name, alt text, caption and the file it shows; returns that file's name."""
    if not figures.NAME_RE.match(ref.name):
        report.error(ref.line, f"figure '{ref.name}': name it lowercase a-z, 0-9 and '-', ending in .svg "
                               "(the language part is added: name.svg → name.nl.svg or name.svg)", "figure.name")
        return set()
    if not ref.alt:
        report.error(ref.line, f"figure '{ref.name}' needs alt text: what the figure shows, for who cannot see it",
                     "figure.alt")
    if not ref.caption:
        report.error(ref.line, f"figure '{ref.name}' needs a caption with its source: "
                               f"![alt text](figure:{ref.name} \"Caption (Naar Author Year)\")", "figure.caption")
    shown = figures.file_for(ref.name, lang, module.figures)
    if shown is None:
        stem = ref.name[:-len(".svg")]
        report.error(ref.line, f"figure '{ref.name}': no file {figures.FOLDER}/{stem}.{lang}.svg or "
                               f"{figures.FOLDER}/{ref.name} in {module.folder.name}", "figure.missing")
        return set()
    return {shown}


def _check_parallel(problems: Problems, module, per_lesson: dict[str, dict[str, list]]) -> None:
    """en.md shows the figures of nl.md, lesson by lesson, in the same order."""
    if set(per_lesson) != set(LANGS):
        return
    report = FileReporter(problems, module.folder / "en.md")
    en_lines = {s.id: s.line for s in module.texts["en"].sections}
    for lesson_id, en_refs in per_lesson["en"].items():
        nl_names = [r.name for r in per_lesson["nl"].get(lesson_id, [])]
        en_names = [r.name for r in en_refs]
        if nl_names != en_names:
            line = en_refs[0].line if en_refs else en_lines.get(lesson_id, 1)
            report.error(line, f"lesson '{lesson_id}' shows figures {en_names} here but {nl_names} in nl.md "
                               "(both languages show the same figures)", "figure.parallel")
    for lesson_id, nl_refs in per_lesson["nl"].items():
        if nl_refs and lesson_id not in per_lesson["en"]:
            report.error(1, f"lesson '{lesson_id}' of nl.md shows figures {[r.name for r in nl_refs]}; "
                            "en.md has no such lesson", "figure.parallel")
