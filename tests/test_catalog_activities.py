"""`courses check` on activities.yaml and literature in sources.yaml: each fault is planted in a copy
of the valid fixture and must come back with its file, its line and its rule."""

import pytest

from elearn.catalog.validate import check_directory

from catalog_support import VALID, plant, valid_copy  # noqa: F401 (valid_copy: a fixture)
from catalog_support import problems as messages

ACTIVITIES = "modules/alpha-value/activities.yaml"


def test_the_valid_fixture_has_activities_and_literature_and_passes(valid_copy):
    assert (valid_copy / ACTIVITIES).is_file()
    result = check_directory(valid_copy)
    assert result.ok, messages(valid_copy)
    assert result.content.source_kinds["porter-2010"] == "literature"
    assert result.content.source_kinds["002"] == "seed"


@pytest.mark.parametrize("old, new, offset, rule, words", [
    ("id: hip-fracture-cycle", "id: Hip_Fracture", 0, "id.format", "case id 'Hip_Fracture'"),
    ("id: outcome-choice", "id: hip-fracture-cycle", 0, "id.unique", "'hip-fracture-cycle' is used twice"),
    ("id: own-department", "id: outcome-choice", 0, "id.unique", "'outcome-choice' is used twice"),
    ("objective: apply-idea", "objective: map-value-chain", 0, "activities.objective",
     "objective 'map-value-chain' is not an objective of module.yaml"),
    ("minutes: 20\n    title", "minutes: 46\n    title", 0, "activities.minutes", "between 10 and 45"),
    ("minutes: 15\n    title", "minutes: 9\n    title", 0, "activities.minutes", "between 10 and 45"),
    ("  minutes: 15\n  prompt", "  minutes: 31\n  prompt", 0, "activities.minutes", "between 10 and 30"),
    ("minutes: 20\n    title", "minutes: twenty\n    title", 0, "schema.type", "whole number of minutes"),
    ('model_answer: {nl: "De maat die voor de patiënt telt.", en: "The measure that matters to the patient."}',
     'model_answer: {nl: "De maat die voor de patiënt telt.", en: " "}', 0, "lang.missing", "model_answer.en"),
    ('title: {nl: "Een uitkomstmaat kiezen", en: "Choosing an outcome measure"}',
     'title: {nl: "Een uitkomstmaat kiezen"}', 0, "lang.missing", "missing title.en"),
    ('prompt: {nl: "Welke uitkomst meet jouw afdeling *nog niet*?", en:',
     'prompt: {nl: "", en:', 0, "lang.missing", "prompt.nl"),
    ('why: {nl: "De zes onderdelen van de value agenda.", en: "The six components of the value agenda."}',
     'why: {en: "The six components of the value agenda."}', 0, "lang.missing", "missing why.nl"),
    ('{doc: "002", section: "Advies 2"}', '{doc: "009", section: "Advies 2"}', 0, "activities.source",
     "document '009' is not in sources.yaml"),
    ('- {doc: porter-2010, section: "Outcomes"}', '- {doc: porter-2010}', 0, "schema.required", "missing 'section'"),
    ("  - source: porter-lee-2013", '  - source: "002"', 0, "activities.further-reading",
     "source '002' is a seed document"),
    ("  - source: porter-lee-2013", "  - source: nobody-2020", 0, "activities.further-reading",
     "source 'nobody-2020' is not in sources.yaml"),
    ("  - source: porter-lee-2013", "  - source: porter-2010", 0, "id.unique", "'porter-2010' is listed twice"),
    ("    required: true\n    minutes: 20\n", "    required: true\n", 0, "activities.required-minutes",
     "give its minutes"),
    ("    required: false", "    required: yes please", 0, "schema.type", "required must be true or false"),
    # Links in the Markdown texts follow the lesson rules, on the line of the file they are written on.
    ("Zie [Porter 2010](source:porter-2010)", "Zie [Porter 2099](source:porter-2099)", 0, "link.source",
     "'porter-2099' is not a document of sources.yaml"),
    ("See [Porter 2010](source:porter-2010) and the lesson [First lesson](#first-lesson)",
     "See [Porter 2010](source:porter-2010) and the lesson [First lesson](#no-such-lesson)", 0, "link.anchor",
     "no heading with id 'no-such-lesson' among this module's lessons"),
    ("[care cycle](module:beta-teams)", "[care cycle](module:no-such-module)", 0, "link.module",
     "there is no module 'no-such-module'"),
    ("[care cycle](module:beta-teams)", "[care cycle](ftp://example.org)", 0, "link.scheme", "use source:ID"),
    ("    sources:\n      - {doc: porter-2010", "    sources: []\n    extra: 1\n    sourcez:\n      - {doc: porter-2010",
     1, "schema.unknown-key", "unknown key 'extra'"),
    ("    sources:\n      - {doc: porter-2010", "    sources: []\n    sourcez:\n      - {doc: porter-2010",
     0, "schema.length", "'sources' needs at least 1 item(s)"),
    ("reflection:\n  id: own-department", "reflection:\n  idd: own-department", 1, "schema.required",
     "reflection: missing 'id'"),
    ("cases:", "cases:\n  - {id: [", 2, "yaml.syntax", "YAML syntax"),   # PyYAML stops at the next line
])
def test_each_fault_in_activities_names_file_line_and_rule(valid_copy, old, new, offset, rule, words):
    line = plant(valid_copy, ACTIVITIES, old, new) + offset
    found = [m for m in messages(valid_copy) if m.endswith(f"[{rule}]") and words in m]
    assert found, messages(valid_copy)
    assert any(f"/{ACTIVITIES}:{line}: " in m for m in found), (line, found)


def test_a_module_without_activities_yaml_fails(valid_copy):
    (valid_copy / ACTIVITIES).unlink()
    assert any(f"/{ACTIVITIES}:1: missing file activities.yaml [file.missing]" in m for m in messages(valid_copy))


def test_activities_yaml_that_is_not_a_mapping_is_an_error_not_a_crash(valid_copy):
    (valid_copy / ACTIVITIES).write_text("- just\n- a list\n", encoding="utf-8")
    assert any(m.endswith("[schema.type]") and f"/{ACTIVITIES}:1: " in m for m in messages(valid_copy))


@pytest.mark.parametrize("old, new, offset, rule, words", [
    ("- id: porter-lee-2013", "- id: Porter-Lee-2013", 0, "id.format", "source id 'Porter-Lee-2013'"),
    ("- id: porter-lee-2013", "- id: porter-2010", 0, "id.unique", "source id 'porter-2010' is used twice"),
    ('  reference: "Porter ME, Lee TH.', '  referencee: "Porter ME, Lee TH.', 0, "schema.unknown-key",
     "unknown key 'referencee'"),
    ('  reference: "Porter ME, Lee TH.', '  reference: ""\n  x: "Porter ME, Lee TH.', 0, "schema.type",
     "'reference' must be non-empty text"),
    ("  url: https://doi.org/10.1056/NEJMp1011024", "  url: http://doi.org/10.1056/NEJMp1011024", 0,
     "source.url", "must be an https:// address"),
    ("  kind: literature\n  reference: \"Porter ME, Lee", "  kind: book\n  reference: \"Porter ME, Lee", 0,
     "source.kind", "kind 'book' must be 'literature'"),
])
def test_each_fault_in_a_literature_entry_names_file_line_and_rule(valid_copy, old, new, offset, rule, words):
    line = plant(valid_copy, "sources.yaml", old, new) + offset
    found = [m for m in messages(valid_copy) if m.endswith(f"[{rule}]") and words in m]
    assert any(f"/sources.yaml:{line}: " in m for m in found), (line, messages(valid_copy))


def test_a_literature_entry_without_reference_is_an_error(valid_copy):
    line = plant(valid_copy, "sources.yaml", '  reference: "Porter ME, Lee TH. The strategy',
                 '  url: https://hbr.org/x\n  title: "Porter ME, Lee TH. The strategy')
    found = messages(valid_copy)
    # the entry starts two lines above its reference
    assert any(f"/sources.yaml:{line - 2}: source 4: missing 'reference' [schema.required]" in m for m in found), found


def test_a_reference_without_a_year_is_an_error(valid_copy):
    line = plant(valid_copy, "sources.yaml", "Harvard Business Review. 2013;91(10):50-70.",
                 "Harvard Business Review.")
    found = messages(valid_copy)
    assert any(f"/sources.yaml:{line}: source 4: reference has no 4-digit year" in m
               and m.endswith("[source.reference]") for m in found), found


def test_literature_is_a_source_for_lesson_links_and_quiz_items_but_unknown_ids_are_not(valid_copy):
    # The fixture cites porter-2010 in its references and porter-lee-2013 in a quiz item: it passes.
    assert check_directory(valid_copy).ok
    quiz_line = plant(valid_copy, "modules/alpha-value/quiz.yaml", "doc: porter-lee-2013", "doc: porter-lee-2031")
    nl_line = plant(valid_copy, "modules/alpha-value/nl.md", "(source:porter-2010)", "(source:porter-2011)")
    found = messages(valid_copy)
    assert any(f"/alpha-value/quiz.yaml:{quiz_line}: " in m and "'porter-lee-2031'" in m and m.endswith("[quiz.source]")
               for m in found), found
    assert any(f"/alpha-value/nl.md:{nl_line}: " in m and "'porter-2011'" in m and m.endswith("[link.source]")
               for m in found), found
