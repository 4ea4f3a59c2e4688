"""The enforcing rules of issue #12: activities in every module, a claimed study load the files bear
out, post-test pools of 12 that do not reward the longest option, courses that follow the phases
and claim no more hours than their modules. Each fault is planted in a copy of the valid fixture."""
import json
import re
from pathlib import Path

import yaml

from elearn.catalog.validate import check_directory

from catalog_support import VALID, plant, problems, valid_copy  # noqa: F401 (valid_copy: a fixture)

ALPHA = "modules/alpha-value"


def found(root: Path, name: str, line: int, rule: str, *words: str, severity: str = "error") -> bool:
    """A problem of `rule` in `name` at `line` whose message holds all `words`."""
    return any(f"/{name}:{line}: " in m and m.endswith(f"[{rule}]") and all(w in m for w in words)
               for m in problems(root, severity))


def test_the_valid_fixture_meets_the_enforcing_rules(valid_copy):
    result = check_directory(valid_copy)
    assert result.ok, problems(valid_copy)
    assert not result.problems.warnings


def test_activities_need_two_cases_a_reflection_and_two_further_readings(valid_copy):
    name = f"{ALPHA}/activities.yaml"
    text = (valid_copy / name).read_text()
    second_case = text[text.index("  - id: outcome-choice"):text.index("reflection:")]
    plant(valid_copy, name, second_case, "")
    reflection = text[text.index("reflection:"):text.index("further_reading:")]
    plant(valid_copy, name, reflection, "")
    plant(valid_copy, name, text[text.index("  - source: porter-lee-2013"):], "")
    assert found(valid_copy, name, 2, "activities.cases", "1 case(s)", "at least 2")
    assert found(valid_copy, name, 1, "schema.required", "missing 'reflection'")
    assert found(valid_copy, name, 27, "activities.further-reading", "1 further reading", "at least 2")


def test_a_claim_above_the_derived_load_plus_15_percent_names_claimed_derived_and_parts(valid_copy):
    # alpha-value derives 83 minutes (reading 1, post-test 8 × 1.5, cases 20 + 15, reflection 15,
    # required further reading 20): 95 may be claimed, 105 may not.
    line = plant(valid_copy, f"{ALPHA}/module.yaml", "study_load_minutes: 60", "study_load_minutes: 90")
    assert check_directory(valid_copy).ok, problems(valid_copy)
    plant(valid_copy, f"{ALPHA}/module.yaml", "study_load_minutes: 90", "study_load_minutes: 105")
    assert found(valid_copy, f"{ALPHA}/module.yaml", line, "module.study-load", "study_load_minutes 105",
                 "derived load 83 minutes", "reading 1, post test 12, cases 35, reflection 15, further reading 20")


def test_only_required_further_reading_counts(valid_copy):
    plant(valid_copy, f"{ALPHA}/module.yaml", "study_load_minutes: 60", "study_load_minutes: 90")
    plant(valid_copy, f"{ALPHA}/activities.yaml", "required: true", "required: false")
    assert found(valid_copy, f"{ALPHA}/module.yaml", 9, "module.study-load", "derived load 63 minutes",
                 "further reading 0")


def test_a_pool_needs_12_items(valid_copy):
    quiz = (valid_copy / ALPHA / "quiz.yaml").read_text()
    plant(valid_copy, f"{ALPHA}/quiz.yaml", quiz[quiz.index("  - id: single-7"):], "")
    assert found(valid_copy, f"{ALPHA}/quiz.yaml", 4, "quiz.min-items", "11 item(s); at least 12")


def lengthen_keyed(root: Path, count: int, lang: str = "nl") -> None:
    """Make the keyed option of the first `count` single-choice items of alpha-value the longest (in `lang`)."""
    path = root / ALPHA / "quiz.yaml"
    text = path.read_text()
    singles = [item for item in yaml.safe_load(text)["items"] if item["type"] == "single"]
    for item in singles[:count]:
        start = text.index(f"- id: {item['id']}\n")
        end = text.find("\n  - id:", start + 1)
        end = len(text) if end < 0 else end
        block = re.sub(rf'(- id: {item["correct"][0]}\n\s+text: \{{nl: "[^"]*"(?:, en: "[^"]*)?)' if lang == "en"
                       else rf'(- id: {item["correct"][0]}\n\s+text: \{{nl: "[^"]*)',
                       r"\1 — langer", text[start:end], count=1)
        assert block != text[start:end]
        text = text[:start] + block + text[end:]
    path.write_text(text)


def test_keyed_longest_in_more_than_40_percent_warns_and_more_than_60_percent_fails(valid_copy):
    lengthen_keyed(valid_copy, 2)                                   # 2 of 7: 29 %
    assert check_directory(valid_copy).ok and not problems(valid_copy, "warning")
    lengthen_keyed(valid_copy, 3)                                   # 3 of 7: 43 %
    assert check_directory(valid_copy).ok
    assert found(valid_copy, f"{ALPHA}/quiz.yaml", 4, "quiz.longest-keyed", "3 of 7", "43%", severity="warning")
    lengthen_keyed(valid_copy, 5)                                   # 5 of 7: 71 %
    assert found(valid_copy, f"{ALPHA}/quiz.yaml", 4, "quiz.longest-keyed", "5 of 7", "71%")


def test_keyed_longest_in_english_only_counts_too(valid_copy):
    lengthen_keyed(valid_copy, 5, lang="en")
    assert found(valid_copy, f"{ALPHA}/quiz.yaml", 4, "quiz.longest-keyed", "5 of 7")


def test_credits_may_not_exceed_the_modules_claimed_hours(valid_copy):
    # course-c: 90 + 60 + 45 = 195 minutes = 3.25 hours
    line = plant(valid_copy, "course-c/course.yaml", "points: 3,", "points: 3.5,")
    assert found(valid_copy, "course-c/course.yaml", line, "course.credits", "points 3.5", "195 minutes", "3.25 hours")


def test_a_course_lists_every_module_offered_in_its_phase(valid_copy):
    line = plant(valid_copy, "course-c/course.yaml", "[gamma-data, alpha-value, beta-teams]", "[gamma-data]")
    plant(valid_copy, "course-c/course.yaml", "points: 3,", "points: 1.5,")
    assert found(valid_copy, "course-c/course.yaml", line, "course.phases",
                 "phase C modules missing from this course: alpha-value, beta-teams")


def test_check_prints_claimed_and_derived_load_and_the_pool_bias_per_module(runner, valid_copy):
    lengthen_keyed(valid_copy, 3)
    result = runner.invoke(args=["courses", "check", "--dir", str(valid_copy)])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines() if line.startswith("  ")}
    assert rows["module"][:8] == ["claimed", "derived", "max", "reading", "test", "cases", "reflect", "further"]
    assert rows["alpha-value"] == ["60", "83", "95", "1", "12", "35", "15", "20", "3/7", "43%"]
    assert rows["gamma-data"][:3] == ["90", "93", "106"]
    data = json.loads(runner.invoke(args=["courses", "check", "--dir", str(valid_copy), "--json"]).output)
    alpha = next(row for row in data["modules"] if row["module"] == "alpha-value")
    assert (alpha["claimed"], alpha["derived"], alpha["longest_keyed_percent"], alpha["over_claimed"]) == (60, 83, 43, False)


def test_an_over_claimed_module_is_flagged_in_the_table(runner, valid_copy):
    plant(valid_copy, f"{ALPHA}/module.yaml", "study_load_minutes: 60", "study_load_minutes: 120")
    result = runner.invoke(args=["courses", "check", "--dir", str(valid_copy)])
    assert result.exit_code == 1
    [row] = [line for line in result.output.splitlines() if line.startswith("  alpha-value")]
    assert row.split()[:2] == ["alpha-value", "120"] and row.endswith("OVER")
