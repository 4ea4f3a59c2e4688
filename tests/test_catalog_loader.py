"""`courses load`: idempotent, all-or-nothing, versioned by content hash, retiring removed modules."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from elearn.catalog.loader import LoadRefused, load_directory
from elearn.catalog.models import CatalogDocument, Course, Module, ModuleVersion
from elearn.extensions import db

pytestmark = pytest.mark.usefixtures("db")  # in-process only: rolled back, not emptied

FIXTURES = Path(__file__).parent / "fixtures"
VALID = FIXTURES / "courses_valid"
BROKEN = FIXTURES / "broken_courses"


@pytest.fixture()
def courses_dir(tmp_path) -> Path:
    """A writable copy of the valid fixture courses."""
    target = tmp_path / "courses"
    shutil.copytree(VALID, target)
    return target


def snapshot() -> dict:
    """Everything the catalog holds, to compare before and after."""
    modules = {m.id: (m.current_version_id, m.retired_at, m.updated_at) for m in db.session.scalars(select(Module))}
    versions = {(v.module_id, v.number): v.content_hash for v in db.session.scalars(select(ModuleVersion))}
    courses = {c.id: (c.content_hash, c.updated_at, c.retired_at) for c in db.session.scalars(select(Course))}
    documents = {d.key: (d.content_hash, d.updated_at) for d in db.session.scalars(select(CatalogDocument))}
    return {"modules": modules, "versions": versions, "courses": courses, "documents": documents}


def test_first_load_adds_everything(app, courses_dir):
    with app.app_context():
        changes = load_directory(courses_dir)
        assert sorted(changes.added) == sorted([
            "module alpha-value (version 1)", "module beta-teams (version 1)", "module gamma-data (version 1)",
            "course course-a", "course course-c", "sources", "self-assessment"])
        module = db.session.get(Module, "alpha-value")
        assert module.current_version.number == 1
        content = module.current_version.content
        assert [lesson["id"] for lesson in content["lessons"]["en"]] == ["first-lesson", "second-lesson"]
        assert '<h2 id="first-lesson">' in content["lessons"]["nl"][0]["html"]
        assert module.current_version.quiz["items"][4]["correct"] == ["true"]  # ids as written, not booleans
        assert db.session.get(CatalogDocument, "self-assessment").data["domains"][0]["id"] == "multidisciplinary-team"


def test_second_load_changes_nothing(app, courses_dir):
    with app.app_context():
        load_directory(courses_dir)
        before = snapshot()
        changes = load_directory(courses_dir)
        db.session.expire_all()
        assert not changes.changed
        assert len(changes.unchanged) == 7
        assert snapshot() == before


def test_failing_load_leaves_catalog_intact(app, runner, courses_dir):
    with app.app_context():
        load_directory(courses_dir)
        before = snapshot()
    result = runner.invoke(args=["courses", "load", "--dir", str(BROKEN)])
    assert result.exit_code == 1
    assert "Nothing was loaded" in result.output and "[quiz.feedback]" in result.output
    with app.app_context():
        with pytest.raises(LoadRefused):
            load_directory(BROKEN)
        db.session.expire_all()
        assert snapshot() == before
    assert "Value and outcomes" in app.test_client().get("/modules/alpha-value?lang=en").get_data(as_text=True)


def test_edited_lesson_makes_a_new_version_and_keeps_the_old(app, courses_dir):
    nl = courses_dir / "modules" / "alpha-value" / "nl.md"
    with app.app_context():
        load_directory(courses_dir)
        nl.write_text(nl.read_text().replace("Dit is de lestekst over", "Herschreven lestekst over", 1))
        changes = load_directory(courses_dir)
        assert changes.updated == ["module alpha-value (version 2)"]
        assert "module beta-teams" in changes.unchanged
        module = db.session.get(Module, "alpha-value")
        numbers = [v.number for v in module.versions]
        assert numbers == [1, 2] and module.current_version.number == 2
        old, new = module.versions
        assert "Herschreven" in new.content["lessons"]["nl"][0]["html"]
        assert "Herschreven" not in old.content["lessons"]["nl"][0]["html"]
        assert db.session.scalar(select(func.count()).select_from(ModuleVersion)) == 4
    page = app.test_client().get("/modules/alpha-value/lessons/first-lesson?lang=nl").get_data(as_text=True)
    assert "Herschreven lestekst" in page


def test_reverted_files_return_to_the_earlier_version(app, courses_dir):
    nl = courses_dir / "modules" / "alpha-value" / "nl.md"
    original = nl.read_text()
    with app.app_context():
        load_directory(courses_dir)
        nl.write_text(original.replace("Dit is", "Dat is", 1))
        load_directory(courses_dir)
        nl.write_text(original)
        changes = load_directory(courses_dir)
        assert changes.updated == ["module alpha-value (version 1)"]
        assert db.session.get(Module, "alpha-value").current_version.number == 1


def _remove_gamma(courses_dir: Path) -> None:
    """Delete module gamma-data and every reference to it (so the content stays valid)."""
    shutil.rmtree(courses_dir / "modules" / "gamma-data")
    course = courses_dir / "course-c" / "course.yaml"
    course.write_text(course.read_text().replace("[gamma-data, alpha-value, beta-teams]", "[alpha-value, beta-teams]"))
    sa = courses_dir / "self-assessment.yaml"
    sa.write_text(sa.read_text().replace("modules: [gamma-data]", "modules: [alpha-value]"))
    course.write_text(course.read_text().replace("points: 3,", "points: 1.75,"))   # 105 minutes left


def test_removed_module_is_retired_not_deleted(app, client, courses_dir):
    with app.app_context():
        load_directory(courses_dir)
        _remove_gamma(courses_dir)
        changes = load_directory(courses_dir)
        assert changes.retired == ["module gamma-data"]
        module = db.session.get(Module, "gamma-data")
        assert module.retired_at is not None and module.current_version.number == 1
    resp = client.get("/modules/gamma-data?lang=en")
    assert resp.status_code == 404
    assert "This module has been retired" in resp.get_data(as_text=True)
    assert "/modules/gamma-data" not in client.get("/catalog/?lang=en").get_data(as_text=True)
    shutil.copytree(VALID / "modules" / "gamma-data", courses_dir / "modules" / "gamma-data")
    shutil.copy(VALID / "course-c" / "course.yaml", courses_dir / "course-c" / "course.yaml")   # phase C lists it
    with app.app_context():
        changes = load_directory(courses_dir)
        assert changes.restored == ["module gamma-data"]
    assert client.get("/modules/gamma-data").status_code == 200


def test_load_command_prints_changes(runner, courses_dir):
    first = runner.invoke(args=["courses", "load", "--dir", str(courses_dir)])
    assert first.exit_code == 0, first.output
    assert "added (7)" in first.output
    second = runner.invoke(args=["courses", "load", "--dir", str(courses_dir)])
    assert second.exit_code == 0 and second.output.strip() == "unchanged: 7"


def test_pages_show_the_new_version_after_a_reload_in_the_same_process(app, courses_dir):
    # Module content is kept in memory by content hash (elearn.catalog.cache): a reload must never
    # leave a process serving the version it had seen before.
    nl = courses_dir / "modules" / "alpha-value" / "nl.md"
    client = app.test_client()
    with app.app_context():
        load_directory(courses_dir)
    before = client.get("/modules/alpha-value/lessons/first-lesson?lang=nl").get_data(as_text=True)
    assert "Dit is de lestekst over" in before and "Herschreven" not in client.get("/catalog/?lang=nl").get_data(
        as_text=True)
    nl.write_text(nl.read_text().replace("Dit is de lestekst over", "Herschreven lestekst over", 1))
    with app.app_context():
        load_directory(courses_dir)
    after = client.get("/modules/alpha-value/lessons/first-lesson?lang=nl").get_data(as_text=True)
    assert "Herschreven lestekst" in after and "Dit is de lestekst over" not in after


def test_a_value_json_cannot_hold_is_refused_before_the_database(app, courses_dir):
    # Found by atheris (tests/fuzz/fuzz_course_files.py): `answer: .nan` passed the check, then
    # PostgreSQL's json refused the pool, and every submit of the quiz failed comparing with NaN.
    quiz = courses_dir / "modules" / "alpha-value" / "quiz.yaml"
    quiz.write_text(quiz.read_text().replace("answer: 12.5", "answer: .nan"))
    with app.app_context():
        with pytest.raises(LoadRefused) as refused:
            load_directory(courses_dir)
        assert [(p.line, p.rule) for p in refused.value.result.problems.errors] == [(112, "yaml.value"),
                                                                                      (112, "schema.type")]
        assert snapshot() == {"modules": {}, "versions": {}, "courses": {}, "documents": {}}


def _words(path: Path) -> int:
    """Words of a whole lesson file, as the study load counts them."""
    return len(path.read_text(encoding="utf-8").split())


def test_activities_and_study_load_are_loaded_in_the_agreed_shape(app, courses_dir):
    with app.app_context():
        load_directory(courses_dir)
        content = db.session.get(Module, "alpha-value").current_version.content
        activities = content["activities"]
        assert set(activities) == {"cases", "reflection", "further_reading"}
        case = activities["cases"][0]
        assert set(case) == {"id", "objective", "minutes", "title", "situation", "task", "model_answer", "sources"}
        assert (case["id"], case["objective"], case["minutes"]) == ("hip-fracture-cycle", "apply-idea", 20)
        assert case["title"] == {"nl": "Heupfractuur in de keten", "en": "Hip fracture along the chain"}
        # Markdown rendered as in the lessons: emphasis, lists, catalog placeholders, no raw text.
        assert "<strong>240</strong>" in case["situation"]["nl"]
        assert 'href="source:porter-2010"' in case["situation"]["en"]
        assert 'href="lesson:first-lesson"' in case["situation"]["en"]
        assert "<ol>" in case["task"]["nl"] and "<li>Which outcomes matter" in case["task"]["en"]
        assert 'href="module:beta-teams"' in case["model_answer"]["nl"]
        assert case["sources"] == [{"doc": "002", "section": "Advies 2"},
                                   {"doc": "porter-lee-2013", "section": "Organize into IPUs"}]
        assert [c["id"] for c in activities["cases"]] == ["hip-fracture-cycle", "outcome-choice"]
        reflection = activities["reflection"]
        assert set(reflection) == {"id", "minutes", "prompt"} and reflection["minutes"] == 15
        assert "<em>nog niet</em>" in reflection["prompt"]["nl"]
        assert activities["further_reading"] == [
            {"source": "porter-2010", "required": True, "minutes": 20, "url": "https://doi.org/10.1056/NEJMp1011024",
             "reference": "Porter ME. What is value in health care? New England Journal of Medicine. "
                          "2010;363(26):2477-2481.",
             "why": {"nl": "De definitie van waarde, kort en helder.", "en": "The definition of value, short and clear."}},
            {"source": "porter-lee-2013", "required": False, "minutes": None, "url": None,
             "reference": "Porter ME, Lee TH. The strategy that will fix health care. Harvard Business Review. "
                          "2013;91(10):50-70.",
             "why": {"nl": "De zes onderdelen van de value agenda.", "en": "The six components of the value agenda."}}]
        folder = courses_dir / "modules" / "alpha-value"
        reading = -(-max(_words(folder / "nl.md"), _words(folder / "en.md")) // 150)
        assert content["study_load"] == {"reading": reading, "post_test": 12, "cases": 35, "reflection": 15,
                                         "further_reading": 20, "derived": reading + 12 + 35 + 15 + 20, "claimed": 60}
        other = db.session.get(Module, "gamma-data").current_version.content
        assert other["study_load"]["claimed"] == 90 and other["study_load"]["cases"] == 45


def test_an_edited_activity_or_reference_makes_a_new_version(app, courses_dir):
    activities = courses_dir / "modules" / "alpha-value" / "activities.yaml"
    sources = courses_dir / "sources.yaml"
    with app.app_context():
        load_directory(courses_dir)
        activities.write_text(activities.read_text().replace("minutes: 20\n    title", "minutes: 25\n    title"))
        assert load_directory(courses_dir).updated == ["module alpha-value (version 2)"]
        sources.write_text(sources.read_text().replace("What is value in health care?", "What is value?"))
        changes = load_directory(courses_dir)
        assert "module alpha-value (version 3)" in changes.updated and "sources" in changes.updated
        content = db.session.get(Module, "alpha-value").current_version.content
        assert content["activities"]["cases"][0]["minutes"] == 25
        assert content["activities"]["further_reading"][0]["reference"].startswith("Porter ME. What is value? New")


def test_pages_show_a_literature_source_by_its_reference_and_link(app, client, courses_dir):
    with app.app_context():
        load_directory(courses_dir)
    html = client.get("/modules/alpha-value?lang=en").get_data(as_text=True)
    # the references section links to the source list, whose entry is the full citation with its doi link
    assert 'href="#src-porter-2010" title="Porter ME. What is value in health care?' in html
    assert ('<li id="src-porter-2010">Porter ME. What is value in health care? New England Journal of Medicine. '
            '2010;363(26):2477-2481. <a href="https://doi.org/10.1056/NEJMp1011024"') in html
    assert '<li id="src-002"><strong>002</strong> — Advice on education and training' in html
