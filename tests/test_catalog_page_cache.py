"""The catalog body is rendered once and served to every launch: each learner still gets their own
launch token in every link and form, their own language and name, and a new load of the courses
shows at once (elearn.catalog.page_cache)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from elearn.catalog.loader import load_directory
from elearn.launch.session import TOKEN_PLACEHOLDER
from launch_support import browser, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform as platform  # noqa: F401 (one platform per module)

VALID = Path(__file__).parent / "fixtures" / "courses_valid"


@pytest.fixture()
def courses(app, tmp_path):
    """A copy of the valid fixture courses, loaded (tests change and reload it)."""
    folder = tmp_path / "courses"
    shutil.copytree(VALID, folder)
    with app.app_context():
        load_directory(folder)
    return folder


def learner(name: str) -> dict:
    return {"sub": f"sub-{name}", "name": f"Learner {name}", "given_name": "Learner", "family_name": name}


def tokens_in(page: str) -> set[str]:
    """Every launch token the page carries, in links (lt=…) and in the filter form's hidden field."""
    return set(re.findall(r"[?&;]lt=([^&\"'#\s]+)", page)) | set(re.findall(r'name="lt" value="([^"]+)"', page))


def test_every_learner_gets_their_own_token_in_the_shared_body(app, courses, tool, platform):
    pages = {}
    for name in ("ann", "bob", "cas"):
        landed = platform.launch(make_browser(), locale="en", user=learner(name), resource_link_id="rl-catalog")
        assert landed.status_code == 200 and "/catalog/" in landed.url, landed.url
        pages[name] = (lt_of(landed.url), landed.text)
    assert len({token for token, _page in pages.values()}) == 3
    assert len(app.extensions["vbhc_catalog_bodies"]._items) == 1   # rendered once, served three times
    for name, (token, page) in pages.items():
        assert TOKEN_PLACEHOLDER not in page
        assert tokens_in(page) == {token}, name             # every link and the filter form: this launch's token
        assert f'href="/modules/alpha-value?lt={token}"' in page
        assert f"Learner {name}" in page                     # the page around the body is the learner's
    # Apart from the tokens, the learners' CSP nonces and their names, the bodies are the same page.
    def body(page: str, token: str) -> str:
        return page.split('<main id="content"', 1)[1].split("</main>", 1)[0].replace(token, "")
    assert len({body(page, token) for token, page in pages.values()}) == 1


def test_the_body_follows_language_and_filters(app, courses, tool, platform, browser):
    landed = platform.launch(browser, locale="en", user=learner("dee"), resource_link_id="rl-catalog")
    token = lt_of(landed.url)
    assert "Value and outcomes" in landed.text and "Curriculum" in landed.text
    dutch = browser.get(f"{tool.url}/catalog/", params={"lt": token, "lang": "nl"})
    assert "Waarde en uitkomsten" in dutch.text and "Value and outcomes" not in dutch.text
    english_again = browser.get(f"{tool.url}/catalog/", params={"lt": token, "lang": "en"})
    assert "Value and outcomes" in english_again.text
    phase_a = browser.get(f"{tool.url}/catalog/", params={"lt": token, "phase": "A"})
    matrix = phase_a.text.split('id="courses-heading"')[0]
    assert "alpha-value" in matrix and "gamma-data" not in matrix
    assert tokens_in(phase_a.text) == {token}
    # Without a launch (a link opened outside the LMS): no token anywhere, nor the placeholder.
    anonymous = make_browser().get(f"{tool.url}/catalog/", params={"lang": "en"})
    assert anonymous.status_code == 200 and "Value and outcomes" in anonymous.text
    assert tokens_in(anonymous.text) == set() and TOKEN_PLACEHOLDER not in anonymous.text


def test_a_new_load_of_the_courses_shows_at_once(app, courses, tool, platform, browser):
    landed = platform.launch(browser, locale="en", user=learner("eve"), resource_link_id="rl-catalog")
    token = lt_of(landed.url)
    assert "Value and outcomes" in landed.text
    module_yaml = courses / "modules" / "alpha-value" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace('en: "Value and outcomes"', 'en: "Value, renamed"'))
    with app.app_context():
        load_directory(courses)
    page = browser.get(f"{tool.url}/catalog/", params={"lt": token})
    assert "Value, renamed" in page.text and "Value and outcomes" not in page.text
    assert tokens_in(page.text) == {token}
