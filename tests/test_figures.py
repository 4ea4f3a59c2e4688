"""Lesson figures: `courses check` refuses unsafe, unreadable or half-referenced figures with file and
line; a loaded lesson shows <figure> with alt text and caption per language; the figure route serves
only the figures stored in that version, as image/svg+xml under a sandboxing CSP."""
import re
import shutil
from pathlib import Path

import pytest

from elearn.catalog.loader import load_directory
from elearn.catalog.validate import check_directory

pytestmark = pytest.mark.usefixtures("db")  # in-process only: rolled back, not emptied

VALID = Path(__file__).parent / "fixtures" / "courses_valid"
MODULE = "modules/alpha-value"
SVG = f"{MODULE}/figures/value-steps.svg"
GOOD_SVG = (VALID / SVG).read_text(encoding="utf-8")


@pytest.fixture()
def courses_dir(tmp_path) -> Path:
    """A writable copy of the valid fixture courses (alpha-value has one figure)."""
    target = tmp_path / "courses"
    shutil.copytree(VALID, target)
    return target


def _errors(root: Path) -> set[tuple[str, int, str]]:
    """(file below root, line, rule) of every error `courses check` finds."""
    result = check_directory(root)
    return {(Path(p.path).resolve().relative_to(root.resolve()).as_posix(), p.line, p.rule)
            for p in result.problems.errors}


def _svg_with(line: str) -> str:
    """The fixture SVG with `line` inserted as its line 4 (after the background rect)."""
    lines = GOOD_SVG.split("\n")
    return "\n".join(lines[:3] + [line] + lines[3:])


def test_the_valid_fixture_with_its_figure_passes(courses_dir):
    assert _errors(courses_dir) == set()


@pytest.mark.parametrize("planted, rule", [
    ('<script>alert(1)</script>', "figure.unsafe"),
    ('<rect width="10" height="10" onclick="alert(1)"/>', "figure.unsafe"),
    ('<foreignObject width="10" height="10"><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>', "figure.unsafe"),
    ('<image href="https://evil.example/track.png" width="10" height="10"/>', "figure.unsafe"),
    ('<use href="https://evil.example/sprite.svg#a"/>', "figure.external"),
    ('<rect width="10" height="10" fill="url(https://evil.example/p.svg#g)"/>', "figure.external"),
    ('<a href="javascript:alert(1)"><text x="1" y="20">x</text></a>', "figure.unsafe"),
    ('<rect width="10" height="10" style="fill:red"/>', "figure.unsafe"),
    ('<text x="10" y="190" font-size="11">tiny</text>', "figure.text-size"),
    ('<?xml-stylesheet href="https://evil.example/s.css"?>', "figure.unsafe"),
    ('<rect width="10" height="10">', "figure.xml"),
])
def test_an_unsafe_or_unreadable_svg_is_refused_at_its_line(courses_dir, planted, rule):
    (courses_dir / SVG).write_text(_svg_with(planted), encoding="utf-8")
    found = _errors(courses_dir)
    line = 4 if rule != "figure.xml" else None
    assert any(path == SVG and rule == r and (line is None or n == line) for path, n, r in found), found


def test_a_doctype_with_entities_is_refused_before_it_expands(courses_dir):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>\n'
            + GOOD_SVG.replace("costs</text>", "&b;</text>"))
    (courses_dir / SVG).write_text(bomb, encoding="utf-8")
    assert (SVG, 2, "figure.unsafe") in _errors(courses_dir)


def test_an_oversized_svg_and_one_without_background_or_viewbox_are_refused(courses_dir):
    (courses_dir / SVG).write_text(GOOD_SVG.replace("</svg>", "<!--" + "x" * 70_000 + "--></svg>"), encoding="utf-8")
    assert (SVG, 1, "figure.size") in _errors(courses_dir)
    (courses_dir / SVG).write_text(GOOD_SVG.replace('<rect width="100%" height="100%" fill="#ffffff"/>', ""), encoding="utf-8")
    assert (SVG, 1, "figure.background") in _errors(courses_dir)
    (courses_dir / SVG).write_text(GOOD_SVG.replace(' viewBox="0 0 360 200"', ""), encoding="utf-8")
    assert (SVG, 1, "figure.viewbox") in _errors(courses_dir)


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` by `new` in a file; returns the line it is on."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def test_a_reference_needs_alt_text_caption_an_existing_file_and_its_own_paragraph(courses_dir):
    nl = courses_dir / MODULE / "nl.md"
    line = _edit(nl, "![Uitkomsten boven de streep, kosten eronder]", "![]")
    assert (f"{MODULE}/nl.md", line, "figure.alt") in _errors(courses_dir)
    _edit(nl, ' "Waarde is uitkomst gedeeld door kosten (naar Porter 2010)"', "")
    assert (f"{MODULE}/nl.md", line, "figure.caption") in _errors(courses_dir)
    _edit(nl, "figure:value-steps.svg", "figure:no-such-figure.svg")
    assert (f"{MODULE}/nl.md", line, "figure.missing") in _errors(courses_dir)
    _edit(nl, "![](figure:no-such-figure.svg)", "Tekst ervoor ![alt](figure:value-steps.svg \"Bijschrift\") en erna.")
    assert (f"{MODULE}/nl.md", line, "figure.syntax") in _errors(courses_dir)


def test_both_languages_show_the_same_figures_in_the_same_lessons(courses_dir):
    en = courses_dir / MODULE / "en.md"
    text = en.read_text(encoding="utf-8")
    en.write_text(re.sub(r"\n!\[[^\n]*figure:value-steps\.svg[^\n]*\n", "\n", text), encoding="utf-8")
    found = _errors(courses_dir)
    assert any(path == f"{MODULE}/en.md" and rule == "figure.parallel" for path, _, rule in found), found


def test_a_figure_link_outside_the_lessons_is_refused(courses_dir):
    activities = courses_dir / MODULE / "activities.yaml"
    if not activities.exists():
        pytest.skip("the fixture module has no activities.yaml")
    text = activities.read_text(encoding="utf-8")
    marker = re.search(r"situation: \{nl: \"", text)
    assert marker, "fixture activities need a situation"
    activities.write_text(text[:marker.end()] + "![x](figure:value-steps.svg) " + text[marker.end():], encoding="utf-8")
    assert any(path == f"{MODULE}/activities.yaml" and rule == "link.scheme" for path, _, rule in _errors(courses_dir))


def _figure(html: str) -> dict:
    """src, alt and caption of the first <figure> of a page."""
    match = re.search(r'<figure class="lesson-figure"><img alt="([^"]*)"[^>]*src="([^"]*)"[^>]*><figcaption>([^<]*)</figcaption></figure>', html)
    assert match, "no lesson figure on the page"
    return {"alt": match.group(1), "src": match.group(2), "caption": match.group(3)}


def test_the_lesson_shows_the_figure_in_each_language_and_the_route_serves_it(app, client, courses_dir):
    with app.app_context():
        load_directory(courses_dir)
    nl = _figure(client.get("/modules/alpha-value/lessons/first-lesson?lang=nl").get_data(as_text=True))
    en = _figure(client.get("/modules/alpha-value/lessons/first-lesson?lang=en").get_data(as_text=True))
    assert nl["alt"] == "Uitkomsten boven de streep, kosten eronder" and en["alt"] == "Outcomes above the line, costs below it"
    assert en["caption"] == "Value is outcome divided by cost (after Porter 2010)"
    assert nl["src"] == en["src"] == "/modules/alpha-value/v1/figures/value-steps.svg"
    # The page never reads the disk: the figure comes from the version content even once the file is gone.
    (courses_dir / SVG).unlink()
    response = client.get(nl["src"])
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True) == GOOD_SVG


def test_the_route_serves_only_the_figures_of_that_version(app, client, courses_dir):
    figures = courses_dir / MODULE / "figures"
    (figures / "unused.svg").write_text(GOOD_SVG, encoding="utf-8")        # on disk, referenced by no lesson
    with app.app_context():
        load_directory(courses_dir)
    for path in ("/modules/alpha-value/v1/figures/unused.svg",             # not referenced: not stored
                 "/modules/alpha-value/v1/figures/..%2Fnl.md",              # no way out to the module's files
                 "/modules/alpha-value/v1/figures/nl.md",
                 "/modules/alpha-value/v2/figures/value-steps.svg",         # no such version
                 "/modules/beta-teams/v1/figures/value-steps.svg",          # another module's version
                 "/modules/no-module/v1/figures/value-steps.svg"):
        assert client.get(path).status_code == 404, path
    # Version 2 shows another figure; version 1 keeps its own and never serves version 2's.
    (figures / "value-steps-2.svg").write_text(GOOD_SVG.replace("outcomes</text>", "results</text>"), encoding="utf-8")
    for lang in ("nl", "en"):
        _edit(courses_dir / MODULE / f"{lang}.md", "figure:value-steps.svg", "figure:value-steps-2.svg")
    with app.app_context():
        load_directory(courses_dir)
    page = _figure(client.get("/modules/alpha-value/lessons/first-lesson?lang=en").get_data(as_text=True))
    assert page["src"] == "/modules/alpha-value/v2/figures/value-steps-2.svg"
    assert "results</text>" in client.get(page["src"]).get_data(as_text=True)
    assert client.get("/modules/alpha-value/v1/figures/value-steps-2.svg").status_code == 404
    assert client.get("/modules/alpha-value/v1/figures/value-steps.svg").status_code == 200
    assert client.get("/modules/alpha-value/v2/figures/value-steps.svg").status_code == 404
