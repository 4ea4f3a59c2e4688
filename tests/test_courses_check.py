"""`flask --app elearn courses check`: valid content passes; every fault names file, line and rule."""
import json
import shutil
from pathlib import Path

import pytest

from elearn.catalog.validate import check_directory

pytestmark = pytest.mark.usefixtures("db")  # in-process only: rolled back, not emptied

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "courses_valid"
BROKEN = FIXTURES / "broken_courses"

# (file below broken_courses/, line, rule): each one a fault planted in the fixture.
EXPECTED_FAULTS = {
    ("course-a/course.yaml", 6, "course.module"),            # module 'delta-missing' does not exist
    ("course-c/course.yaml", 2, "course.phase"),             # phase D
    ("course-c/course.yaml", 8, "yaml.duplicate-key"),       # pass_mark twice
    ("modules/alpha-value/module.yaml", 4, "yaml.duplicate-key"),
    ("modules/alpha-value/module.yaml", 10, "module.load"),  # 50 minutes, not a multiple of 15
    ("modules/alpha-value/en.md", 15, "md.parallel"),        # lesson id differs from nl.md
    ("modules/alpha-value/en.md", 17, "link.anchor"),        # #first-lesson-x
    ("modules/alpha-value/quiz.yaml", 16, "quiz.feedback"),  # choice b without feedback.en
    ("modules/alpha-value/quiz.yaml", 20, "quiz.correct"),   # correct: [d]
    ("modules/beta-teams/module.yaml", 7, "module.primary-phase"),
    ("modules/beta-teams/en.md", 19, "md.key-points"),       # closing section missing
    ("modules/beta-teams/nl.md", 6, "link.module"),          # module:no-such-module
    ("modules/beta-teams/quiz.yaml", 7, "quiz.source"),      # doc 009
    ("modules/beta-teams/quiz.yaml", 74, "quiz.objective"),
    ("modules/beta-teams/quiz.yaml", 79, "quiz.truefalse"),  # choice id yes-it-is
    ("modules/beta-teams/quiz.yaml", 83, "quiz.correct"),
    ("modules/gamma-data/module.yaml", 2, "module.pillar"),
    ("modules/gamma-data/module.yaml", 8, "module.modes"),
    ("modules/gamma-data/module.yaml", 18, "module.canmeds"),  # 'researcher' is no CanMEDS role
    ("modules/gamma-data/nl.md", 6, "link.source"),          # source:099
    ("modules/gamma-data/nl.md", 15, "md.lesson-id"),        # ## heading without {#id}
    ("modules/gamma-data/en.md", 2, "md.lang"),
    ("modules/gamma-data/en.md", 15, "md.parallel"),
    ("modules/gamma-data/quiz.yaml", 2, "quiz.draw"),
    ("modules/gamma-data/quiz.yaml", 4, "quiz.min-items"),
    ("self-assessment.yaml", 7, "sa.domains"),               # it-data missing
    ("self-assessment.yaml", 67, "sa.module"),               # omega-two
    # The rules of issue #12 (courses/README.md): every module has activities.yaml, a pool of at
    # least 12 items, a claimed load the files bear out; a course's credits its modules' load.
    ("course-c/course.yaml", 9, "course.credits"),           # 4 points, 140 minutes claimed
    ("modules/alpha-value/activities.yaml", 1, "file.missing"),
    ("modules/beta-teams/activities.yaml", 1, "file.missing"),
    ("modules/gamma-data/activities.yaml", 1, "file.missing"),
    ("modules/alpha-value/module.yaml", 10, "module.study-load"),   # 50 claimed, 13 derived
    ("modules/beta-teams/module.yaml", 9, "module.study-load"),
    ("modules/gamma-data/module.yaml", 9, "module.study-load"),
    ("modules/alpha-value/quiz.yaml", 4, "quiz.min-items"),  # 8 items
    ("modules/beta-teams/quiz.yaml", 4, "quiz.min-items"),
}


def _faults(result, root: Path) -> set[tuple[str, int, str]]:
    return {(Path(p.path).resolve().relative_to(root.resolve()).as_posix(), p.line, p.rule)
            for p in result.problems.errors}


def test_valid_fixture_passes_with_summary(runner):
    result = runner.invoke(args=["courses", "check", "--dir", str(VALID)])
    assert result.exit_code == 0, result.output
    assert "OK: 2 courses, 3 modules, 36 quiz items, 25 self-assessment questions" in result.output


def test_broken_fixture_reports_every_planted_fault_with_line_and_rule():
    result = check_directory(BROKEN)
    found = _faults(result, BROKEN)
    assert EXPECTED_FAULTS <= found, sorted(EXPECTED_FAULTS - found)
    assert found == EXPECTED_FAULTS, f"unexpected extra errors: {sorted(found - EXPECTED_FAULTS)}"
    assert len({rule for _, _, rule in EXPECTED_FAULTS}) >= 10


def test_broken_fixture_fails_the_command_with_file_line_messages(runner):
    result = runner.invoke(args=["courses", "check", "--dir", str(BROKEN)])
    assert result.exit_code == 1
    assert ("broken_courses/modules/alpha-value/quiz.yaml:16: item 'single-1' choice 'b': "
            "missing feedback.en [quiz.feedback]") in result.output
    assert "FAILED: 36 error(s)" in result.output


def test_json_output_lists_problems(runner):
    result = runner.invoke(args=["courses", "check", "--dir", str(BROKEN), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False and data["summary"]["modules"] == 3
    assert {"path", "line", "message", "rule", "severity"} <= set(data["problems"][0])


def test_module_filter_shows_one_module_but_exit_code_covers_all(runner):
    result = runner.invoke(args=["courses", "check", "--dir", str(BROKEN), "--module", "gamma-data"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "[" in line and ".yaml:" in line or ".md:" in line]
    assert lines and all("modules/gamma-data/" in line for line in lines)


@pytest.fixture()
def valid_copy(tmp_path) -> Path:
    """A writable copy of the valid fixture."""
    target = tmp_path / "courses"
    shutil.copytree(VALID, target)
    return target


def test_yaml_syntax_error_names_its_line(valid_copy):
    path = valid_copy / "modules" / "beta-teams" / "quiz.yaml"
    lines = path.read_text().splitlines()
    lines[6] = '    source: {doc: "002", section: "Advies 2"'  # flow mapping never closed
    path.write_text("\n".join(lines) + "\n")
    errors = [p for p in check_directory(valid_copy).problems.errors if p.rule == "yaml.syntax"]
    assert errors and errors[0].path.endswith("beta-teams/quiz.yaml") and 7 <= errors[0].line <= 9, errors


def test_missing_language_file_and_missing_translation(valid_copy):
    (valid_copy / "modules" / "gamma-data" / "en.md").unlink()
    module_yaml = valid_copy / "modules" / "alpha-value" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace('en: "Value and outcomes"', 'en: ""'))
    problems = check_directory(valid_copy).problems.errors
    assert any(p.rule == "file.missing" and p.path.endswith("gamma-data/en.md") for p in problems)
    assert any(p.rule == "lang.missing" and p.path.endswith("alpha-value/module.yaml") and p.line == 4
               and "title.en" in p.message for p in problems)


def test_uncovered_objective_and_unknown_key(valid_copy):
    quiz = valid_copy / "modules" / "alpha-value" / "quiz.yaml"
    quiz.write_text(quiz.read_text().replace("objective: apply-idea", "objective: explain-idea"))
    module_yaml = valid_copy / "modules" / "alpha-value" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace("primary_phase: A", "primary_phase: A\nprimary-phase: A"))
    problems = check_directory(valid_copy).problems.errors
    assert any(p.rule == "quiz.coverage" and "apply-idea" in p.message for p in problems)
    assert any(p.rule == "schema.unknown-key" and p.line == 8 for p in problems)


@pytest.mark.parametrize("new, rule, words", [
    ("canmeds: [scholar, researcher]", "module.canmeds", "canmeds: 'researcher' must be one of: medical-expert"),
    ("canmeds: [scholar, scholar]", "module.canmeds", "canmeds: 'scholar' listed twice"),
    ("canmeds: []", "schema.length", "'canmeds' needs at least 1 item(s)"),
    ("canmeds: leader", "schema.type", "'canmeds' must be a list"),
], ids=["unknown-role", "twice", "empty", "not-a-list"])
def test_canmeds_roles_are_checked_with_file_and_line(runner, valid_copy, new, rule, words):
    module_yaml = valid_copy / "modules" / "alpha-value" / "module.yaml"
    text = module_yaml.read_text()
    module_yaml.write_text(text.replace("canmeds: [medical-expert, communicator, scholar]", new))
    line = text.count("\n")                                   # canmeds is the file's last line
    result = runner.invoke(args=["courses", "check", "--dir", str(valid_copy)])
    assert result.exit_code == 1
    assert f"modules/alpha-value/module.yaml:{line}: {words}" in result.output, result.output
    assert f"[{rule}]" in result.output


def test_a_module_without_canmeds_roles_fails_the_check(valid_copy):
    module_yaml = valid_copy / "modules" / "beta-teams" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace("canmeds: [collaborator, leader]\n", ""))
    problems = [p for p in check_directory(valid_copy).problems.errors if p.path.endswith("beta-teams/module.yaml")]
    assert [(p.line, p.rule, p.message) for p in problems] == [(1, "schema.required", "missing 'canmeds'")]


def test_every_real_module_names_its_canmeds_roles():
    import yaml

    from elearn.catalog.canmeds import IDS

    modules = sorted((Path(__file__).parent.parent / "courses" / "modules").glob("*/module.yaml"))
    assert len(modules) >= 20
    for path in modules:
        roles = yaml.safe_load(path.read_text()).get("canmeds") or []
        assert roles and set(roles) <= set(IDS), path


# Found by atheris (tests/fuzz/fuzz_course_files.py and its regress-* inputs): each of these made
# `courses check` fail with a traceback, or passed content that `courses load` or the quiz then
# choked on. Now each is a problem with file, line and rule.
@pytest.mark.parametrize("name, old, new, line, rule", [
    ("course-a/course.yaml", "phase: A", "phase: A\0", 2, "yaml.syntax"),                   # PyYAML refuses NUL
    ("sources.yaml", '  title: {nl: "Aan', "  title: " + "[" * 3000 + '{nl: "Aan', 3, "yaml.syntax"),  # RecursionError
    ("modules/alpha-value/quiz.yaml", "pass_mark: 70", "pass_mark: " + "7" * 5000, 1, "yaml.value"),  # int() limit
    ("modules/alpha-value/quiz.yaml", "pass_mark: 70", "pass_mark: 2024-02-30", 1, "yaml.value"),     # no such day
    ("modules/alpha-value/quiz.yaml", "answer: 12.5", "answer: .nan", 112, "yaml.value"),    # not JSON; never right
    ("modules/alpha-value/quiz.yaml", "tolerance: 0.5", "tolerance: .inf", 113, "yaml.value"),
    ("modules/alpha-value/quiz.yaml", "answer: 12.5", "answer: 1.0e+300", 112, "quiz.numeric"),  # cannot be typed
    ("sources.yaml", "  publisher:", "  year: 2024-01-31\n  publisher:", 4, "yaml.value"),   # a date: not JSON
    ("sources.yaml", "  publisher:", "  url: !!binary aGVsbG8=\n  publisher:", 4, "yaml.value"),  # bytes: not JSON
    ("modules/alpha-value/module.yaml", "topic: value", "topic: " + "t" * 65, 3, "id.format"),  # a String(64) column
], ids=["nul", "deep", "long-int", "bad-date", "nan", "inf", "untypeable", "date", "binary", "long-topic"])
def test_content_the_catalog_cannot_hold_is_a_problem_with_its_line(valid_copy, name, old, new, line, rule):
    path = valid_copy / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    found = {(p.line, p.rule) for p in check_directory(valid_copy).problems.errors if p.path.endswith(name)}
    assert (line, rule) in found, found


def test_line_numbers_count_only_newlines(valid_copy):
    # str.splitlines (and PyYAML) also end a line at a form feed, NEL or U+2028: every line number
    # after one pointed below the line the author sees.
    nl = valid_copy / "modules" / "alpha-value" / "nl.md"
    nl.write_text(nl.read_text().replace("\n\n", "\n\f\u2028\n", 1) + "## Zonder id\n")
    module_yaml = valid_copy / "modules" / "alpha-value" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace('en: "Value and outcomes"', 'en: "Value\u2028and outcomes"')
                           + "zz: 1\n")
    problems = check_directory(valid_copy).problems.errors
    heading, unknown_key = nl.read_text().count("\n"), module_yaml.read_text().count("\n")
    assert any(p.rule == "md.lesson-id" and p.path.endswith("nl.md") and p.line == heading for p in problems)
    assert any(p.rule == "schema.unknown-key" and p.path.endswith("module.yaml") and p.line == unknown_key
               for p in problems)
