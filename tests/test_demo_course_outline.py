"""The demo course page's sidebar lists the modules placed in the course, in the page's language,
and the demo's language follows the browser unless chosen; the frame honours lti.frameResize."""
import re

from elearn.demo.setup import COURSE_ID, build_platform

EN, NL = "The care cycle: value chain and teams", "De zorgcyclus: waardeketen en teams"


def _outline(page: str) -> list[str]:
    """The titles under "Course content", before the list of all modules."""
    nav = page.split('class="card lms-outline"', 1)[1].split("<details", 1)[0]
    return re.findall(r"<li><a [^>]*>([^<]+)</a></li>", nav)


def test_the_module_being_opened_is_in_the_course_content(client):
    page = client.get("/demo/course?module=care-cycle&role=student&lang=en").get_data(as_text=True)
    assert _outline(page) == [EN]
    assert "No modules have been added" not in page
    assert re.search(r'<li><a href="[^"]*module=care-cycle[^"]*" aria-current="page">The care cycle', page)


def test_placed_modules_stay_listed_in_the_pages_language(client):
    assert client.get("/demo/launch?module=care-cycle&lang=en&target=iframe").status_code == 200  # placed in English
    nl = client.get("/demo/course?lang=nl").get_data(as_text=True)
    assert _outline(nl) == [NL]                                   # the title in the page's language
    en = client.get("/demo/course?lang=en").get_data(as_text=True)
    assert _outline(en) == [EN] and 'aria-current="page">The care cycle' not in en


def test_deep_linked_items_are_titled_in_the_pages_language(client, app):
    with app.app_context():
        platform = build_platform("http://localhost")
        platform.store.save_link({"id": "dl-1", "context_id": COURSE_ID, "title": "The care cycle",
                                  "custom": {"module": "care-cycle"}, "from_deep_link": True, "created_at": 1})
    nl = client.get("/demo/course?lang=nl&role=instructor").get_data(as_text=True)
    assert _outline(nl) == [NL] and "link=dl-1" in nl


def test_an_empty_course_says_so(client):
    page = client.get("/demo/course?lang=en").get_data(as_text=True)
    assert _outline(page) == [] and "No modules have been added to this course yet." in page


def test_the_demo_follows_the_browsers_language_unless_chosen(client):
    en = client.get("/demo/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in en and "The care cycle" in en
    assert re.search(r'id="lang-en" name="lang" value="en"\s+checked', en)
    assert 'href="/demo/course?role=student&amp;person=learner-1"' in en     # links leave lang= to the browser
    nl = client.get("/demo/", headers={"Accept-Language": "nl-NL,nl;q=0.9"}).get_data(as_text=True)
    assert 'lang="nl"' in nl and "De zorgcyclus" in nl

    client.get("/demo/?lang=nl", headers={"Accept-Language": "en"})          # chosen explicitly
    kept = client.get("/demo/course?module=care-cycle", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="nl"' in kept and _outline(kept) == [NL]
    launch = client.get("/demo/launch?module=care-cycle&target=iframe", headers={"Accept-Language": "en"})
    assert launch.status_code == 200                                          # and the launch is in Dutch:
    with client.application.app_context():
        assert build_platform("http://localhost").store.get_link("demo-care-cycle")["title"] == NL


def test_course_page_loads_the_frame_resize_listener_from_a_file(client):
    page = client.get("/demo/course?module=care-cycle&lang=en").get_data(as_text=True)
    assert re.search(r'<script src="/demo/[^"]*demolms/frame-resize\.js" data-frame="tool-frame"></script>', page)
    tool_page = client.get("/").get_data(as_text=True)                        # every tool page asks, when framed
    assert 'src="/static/js/frame-resize.js"' in tool_page
