"""The curriculum matrix and the module and lesson pages, in Dutch and English."""
import re
from pathlib import Path

import pytest

from checked_content import load_checked

pytestmark = pytest.mark.usefixtures("db")  # in-process only: rolled back, not emptied

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


@pytest.fixture()
def loaded(app):
    """The valid fixture courses loaded into the database."""
    with app.app_context():
        load_checked(VALID)
    return app


def _text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def _module_links(html: str) -> set[str]:
    """Modules linked from the matrix (the course cards below it are left out)."""
    matrix = html.split('id="courses-heading"')[0]
    return set(re.findall(r'href="/modules/([a-z0-9-]+)(?:\?[^"]*)?"', matrix))


def test_catalog_matrix_in_both_languages(loaded, client):
    en = _text(client.get("/catalog/?lang=en"))
    nl = _text(client.get("/catalog/?lang=nl"))
    assert "Value and outcomes" in en and "Waarde en uitkomsten" in nl
    assert _module_links(en) == {"alpha-value", "beta-teams", "gamma-data"}
    # phase marks come with words, pillars with labels, modes with labels
    assert "Primary" in en and "Offered" in en
    assert 'class="badge pillar-principles"' in en and "Principles" in en
    assert "Inspiration visit" in en and 'class="mode-icon"' in en
    assert "Course A" in en and "Students" in en and "Cursus C" in nl


def test_catalog_filters_by_phase_and_pillar(loaded, client):
    phase_c = _text(client.get("/catalog/?lang=en&phase=C"))
    assert _module_links(phase_c) == {"alpha-value", "beta-teams", "gamma-data"}
    phase_a = _text(client.get("/catalog/?lang=en&phase=A"))
    assert _module_links(phase_a) == {"alpha-value"}  # beta-teams is offered in B and C only
    assert "Course A" in phase_a and "Course C" not in phase_a
    assert 'href="/modules/beta-teams"' in phase_a  # ...but course A's card still lists it
    pillar = _text(client.get("/catalog/?lang=en&pillar=preconditions"))
    assert "Data and IT" in pillar and "Value and outcomes" not in pillar.split('id="courses-heading"')[0]
    nonsense = _text(client.get("/catalog/?lang=en&phase=Z&pillar=x"))
    assert "Showing 3 of 3 modules." in nonsense


def test_catalog_before_any_load_says_so(client):
    assert "No modules are loaded yet" in _text(client.get("/catalog/?lang=en"))


def test_module_page_in_dutch_and_english(loaded, client):
    en = _text(client.get("/modules/alpha-value?lang=en"))
    nl = _text(client.get("/modules/alpha-value?lang=nl"))
    assert "<h1>Value and outcomes</h1>" in en and "<h1>Waarde en uitkomsten</h1>" in nl
    assert "You explain the idea." in en and "Je legt het idee uit." in nl
    assert "First lesson" in en and "Eerste les" in nl
    assert 'id="key-points"' in en and 'id="references"' in en
    assert "60 min" in en
    assert "8 questions; you pass with 70% or more." in en
    assert "Go to the post-test" in en
    assert "Leerdoelen" in nl and "Naar de eindtoets" in nl and "Learning objectives" not in nl   # interface in Dutch
    assert "progress is saved when you open this module from your learning platform" in en
    assert 'id="src-002"' in en and "Advice on education and training" in en


def test_lesson_page_resolves_catalog_links(loaded, client):
    html = _text(client.get("/modules/alpha-value/lessons/first-lesson?lang=en"))
    assert '<h2 id="first-lesson">First lesson</h2>' in html
    assert 'href="/modules/beta-teams"' in html                      # module:beta-teams
    assert re.search(r'href="#src-002" title="Advice on education and training — advies 2"', html)
    assert 'id="src-002"' in html                                    # the source list the link points at
    assert 'rel="next" href="/modules/alpha-value/lessons/second-lesson"' in html
    second = _text(client.get("/modules/alpha-value/lessons/second-lesson?lang=en"))
    assert 'href="/modules/alpha-value/lessons/first-lesson"' in second  # #first-lesson → lesson page
    assert re.search(r'href="https://example.org/" rel="noopener noreferrer" target="_blank"', second)
    assert "mark_done" not in second and 'name="lt"' not in second       # anonymous: no progress form


def test_unknown_module_and_lesson_are_clear_404s(loaded, client):
    resp = client.get("/modules/no-such-module?lang=en")
    assert resp.status_code == 404 and "There is no module “no-such-module”" in resp.get_data(as_text=True)
    resp = client.get("/modules/alpha-value/lessons/nope?lang=en")
    assert resp.status_code == 404 and "has no lesson “nope”" in resp.get_data(as_text=True)


def test_module_page_links_to_its_post_test(loaded, client):
    html = _text(client.get("/modules/alpha-value?lang=en"))
    assert "Go to the post-test" in html and 'href="/modules/alpha-value/post-test' in html
    assert "8 questions; you pass with 70% or more." in html


def test_marking_done_needs_a_launch(loaded, client):
    resp = client.post("/modules/alpha-value/lessons/first-lesson/done")
    assert resp.status_code in (400, 401, 403)
