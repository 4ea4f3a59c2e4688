"""atheris: one file of a valid courses/ tree replaced by arbitrary bytes, then `courses check`
and, when the check passes, everything `courses load` computes before it writes.

Contract: check_directory never raises on content; every problem names a file and a line of
it (1 … the file's last line + 1). A tree the check passes must load: module contents, quiz
pools, courses and documents build, are strict JSON (PostgreSQL's json refuses NaN and
Infinity), fit the catalog's columns, and every quiz item can be drawn, shown and marked.

Run: .venv/bin/python tests/fuzz/fuzz_course_files.py [corpus dirs] [-max_total_time=60 ...]
The first byte of an input picks the file (FILES[byte % len(FILES)]), the rest is its content.
"""
import atexit
import json
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

# atheris selects by top-level package: all of elearn that gets imported here is instrumented.
with atheris.instrument_imports(include=["elearn"]):
    from elearn.catalog import content as build
    from elearn.catalog import yamlsrc
    from elearn.catalog.models import Module
    from elearn.catalog.validate import check_directory
    from elearn.quizzes.draw import draw_paper, render_paper
    from elearn.quizzes.marking import mark_paper, read_post
    from elearn.questions import perfect_response, to_form

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "courses_valid"
WORK = Path(tempfile.mkdtemp(prefix="fuzz-courses-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
ROOT = WORK / "courses"
shutil.copytree(VALID, ROOT)
FILES = sorted(str(p.relative_to(VALID)) for p in VALID.rglob("*") if p.is_file())
ORIGINAL = {name: (VALID / name).read_bytes() for name in FILES}
MODULE_FILES = {}  # module id -> its files, to rebuild only the module a run changed
for _name in FILES:
    if _name.startswith("modules/"):
        MODULE_FILES.setdefault(_name.split("/")[1], []).append(_name)
COLUMN_LIMITS = {"pillar": Module.__table__.c.pillar.type.length, "topic": Module.__table__.c.topic.type.length}


def _replaying(load):
    """yamlsrc.load remembering the results for the unchanged files: pure-Python YAML is slow, and
    every run should spend its time on the one file it changed (the rules only read the values)."""
    unchanged = {raw.decode("utf-8") for name, raw in ORIGINAL.items() if name.endswith(".yaml")}
    known = {}

    def load_or_replay(text):
        if text not in unchanged:
            return load(text)
        if text not in known:
            known[text] = load(text)
        return known[text]

    return load_or_replay


yamlsrc.load = _replaying(yamlsrc.load)


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    name = FILES[data[0] % len(FILES)]
    path = ROOT / name
    path.write_bytes(data[1:])
    try:
        check(name, data[1:])
    finally:
        path.write_bytes(ORIGINAL[name])


def check(name: str, raw: bytes) -> None:
    result = check_directory(ROOT)
    # Lines as the file is read (text mode: \r\n and \r end a line too), and one past the end for
    # "missing …" at the end of the file.
    last_line = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 2
    for problem in result.problems.items:
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        if Path(problem.path).resolve() == (ROOT / name).resolve():
            assert problem.line <= last_line, (problem, last_line)
    if result.ok:
        loadable(result.content, name)


def loadable(content, changed: str) -> None:
    """What load_content stores, built and checked the way the database will take it (for the
    module the run changed; the unchanged ones were built once, at the start)."""
    for module_id, source in content.modules.items():
        if changed not in MODULE_FILES[module_id]:
            continue
        data = build.module_content(source)
        strict_json(data)
        for key, limit in COLUMN_LIMITS.items():
            assert len(data[key]) <= limit, (key, data[key])
        pool = build.plain(source.quiz)
        strict_json(pool)
        servable(pool)
    strict_json(build.courses_data(content))
    strict_json(build.sources_document(content))
    strict_json(build.plain(content.self_assessment))


def strict_json(value) -> None:
    """As a JSON column takes it: no date, bytes or set (TypeError), no NaN/Infinity (ValueError:
    PostgreSQL's json refuses them; SQLite would store them and the quiz then fail on them)."""
    json.dumps(value, allow_nan=False, sort_keys=True)


def servable(pool) -> None:
    """Every item can be put on a paper, re-posted from the page and marked full."""
    paper = draw_paper(pool, len(pool["items"]), rng=0)
    form = {}
    for page in render_paper(pool, paper):
        form.update(to_form(page.item, perfect_response(page.item), page.order))
    post = read_post(pool, paper, form)
    assert not post.errors, post.errors
    result = mark_paper(pool, paper, post.responses)
    assert result.percent == 100, result.to_dict()


def _self_test() -> None:
    """The unchanged tree must pass and load, or every run would report the fixture."""
    result = check_directory(ROOT)
    assert result.ok, [str(p) for p in result.problems.errors]
    for files in MODULE_FILES.values():
        loadable(result.content, files[0])


_self_test()

if __name__ == "__main__":
    # This target's dictionary (and options) first: options on the command line come later and win.
    options = [f"-dict={Path(__file__).with_name('course_files.dict')}", "-max_len=16384"]
    atheris.Setup([sys.argv[0], *options, *sys.argv[1:]], TestOneInput)
    atheris.Fuzz()
