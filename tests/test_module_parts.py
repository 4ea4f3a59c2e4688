"""The module page's fixed parts (objectives, key points, references, facts) are rendered once per
module version and language and served to every launch (elearn.learning.module_parts): each
learner still gets their own launch token in every link, their language, and a new load of the
courses shows at once."""
from __future__ import annotations

from elearn.catalog.loader import load_directory
from elearn.launch.session import TOKEN_PLACEHOLDER
from launch_support import browser, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform as platform  # noqa: F401 (one platform per module)
from test_catalog_page_cache import courses, learner, tokens_in  # noqa: F401 (fixture)

MODULE = "alpha-value"


def _launch(platform, name: str, locale: str = "en"):
    landed = platform.launch(make_browser(), locale=locale, user=learner(name), resource_link_id="rl-parts",
                             custom={"module": MODULE})
    assert landed.status_code == 200 and f"/modules/{MODULE}" in landed.url, landed.url
    return lt_of(landed.url), landed.text


def _kept(app) -> int:
    return len(app.extensions["vbhc_module_parts"]._items)


def test_every_learner_gets_their_own_token_in_the_kept_parts(app, courses, tool, platform):
    pages = {name: _launch(platform, name) for name in ("ann", "bob")}
    assert _kept(app) == 4                                   # four parts, drawn once for both learners
    for name, (token, page) in pages.items():
        assert "You explain the idea." in page and "Key points" in page and "Source documents" in page
        assert TOKEN_PLACEHOLDER not in page
        assert tokens_in(page) == {token}, name              # every link carries this launch's token only
    anonymous = make_browser().get(f"{tool.url}/modules/{MODULE}", params={"lang": "en"})
    assert anonymous.status_code == 200 and "You explain the idea." in anonymous.text
    assert tokens_in(anonymous.text) == set() and TOKEN_PLACEHOLDER not in anonymous.text
    assert _kept(app) == 8                                   # without a launch: parts of their own


def test_the_parts_follow_the_language(app, courses, tool, platform):
    _token, english = _launch(platform, "cas", "en")
    _token, dutch = _launch(platform, "dee", "nl")
    assert "You explain the idea." in english and "Je legt het idee uit." not in english
    assert "Je legt het idee uit." in dutch and "You explain the idea." not in dutch
    assert "Leerdoelen" in dutch and "Learning objectives" not in dutch


def test_a_new_load_of_the_courses_shows_in_the_parts_at_once(app, courses, tool, platform):
    token, page = _launch(platform, "eve")
    assert "You explain the idea." in page
    module_yaml = courses / "modules" / MODULE / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace('en: "You explain the idea."', 'en: "You explain it anew."'))
    with app.app_context():
        load_directory(courses)
    again = make_browser().get(f"{tool.url}/modules/{MODULE}", params={"lt": token})
    assert "You explain it anew." in again.text and "You explain the idea." not in again.text
    assert tokens_in(again.text) == {token}
