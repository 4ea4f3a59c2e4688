"""Lesson figures in headless Chromium: the real courses' figures load (naturalWidth > 0) with their
alt text in Dutch and English, their text stays at least 14 px on a 390 px phone, the page fits the
screen, and axe-core finds no WCAG 2.2 A/AA violation. Screenshots at 390 and 1280 px."""
from pathlib import Path

import pytest

from elearn.catalog.figures import MIN_TEXT_PX
from elearn.catalog.loader import load_directory
from test_quiz_browser import assert_accessible

COURSES = Path(__file__).resolve().parent.parent / "courses"
SHOTS = Path("/tmp/team/shots")
pytestmark = pytest.mark.browser
# (module, lesson, figure file stem, smallest font-size in the SVG's user units)
LESSONS = [("care-cycle", "care-delivery-value-chain", "value-chain", 16),
           ("contract-on-value", "payment-models", "payment-models", 16)]


@pytest.fixture()
def site(app, live_server):
    """The real courses loaded and served on loopback."""
    with app.app_context():
        load_directory(COURSES)
    return live_server


def _figures(page) -> list[dict]:
    """Every lesson figure's image: loaded size, shown width, alt text, src."""
    return page.eval_on_selector_all(".lesson-figure img", """imgs => imgs.map(i => ({
        natural: i.naturalWidth, shown: i.getBoundingClientRect().width, alt: i.alt, src: i.getAttribute('src'),
        caption: i.parentElement.querySelector('figcaption').textContent}))""")


@pytest.mark.parametrize("width", [390, 1280])
def test_lesson_figures_render_with_alt_text_in_both_languages(chromium, site, width):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for module, lesson, stem, smallest in LESSONS:
        alts = {}
        for lang in ("nl", "en"):
            page.goto(f"{site.url}/modules/{module}/lessons/{lesson}?lang={lang}")
            page.wait_for_function("() => [...document.querySelectorAll('.lesson-figure img')].every(i => i.complete)")
            page.locator(".lesson-figure img").first.scroll_into_view_if_needed()
            shown = _figures(page)
            assert len(shown) == 1, shown
            figure = shown[0]
            assert figure["natural"] > 0, f"{module} {lang}: the figure did not load"
            assert figure["src"].endswith(f"/figures/{stem}.{lang}.svg")
            assert len(figure["alt"]) > 40 and figure["caption"].strip()
            # The SVG is 360 user units wide: its smallest text, as shown, stays readable.
            assert smallest * figure["shown"] / 360 >= MIN_TEXT_PX, figure
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert_accessible(page.main_frame, f"{module}/{lesson} {lang} {width}px")
            alts[lang] = figure["alt"]
            if SHOTS.is_dir():
                page.screenshot(path=str(SHOTS / f"figures_{module}_{lang}_{width}.png"), full_page=True)
        assert alts["nl"] != alts["en"], "each language has its own alt text"
    context.close()


def test_a_figure_keeps_its_light_background_on_a_dark_page(chromium, site):
    context = chromium.new_context(viewport={"width": 390, "height": 900}, color_scheme="dark", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site.url}/modules/value-based-quality-management/lessons/from-checking-to-steering?lang=en")
    page.locator(".lesson-figure img").first.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.lesson-figure img').complete")
    # Paint the page dark as a dark LMS frame would (test-only style; the context bypasses the CSP).
    page.add_style_tag(content="html, body, main, .card { background: #111 !important; color: #eee !important; }")
    # The figure's own pixels, drawn without the page behind them: mostly light.
    light = page.evaluate("""() => { const img = document.querySelector('.lesson-figure img');
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && d[i] + d[i + 1] + d[i + 2] > 600) n++;
        return n / (c.width * c.height); }""")
    assert light > 0.5, f"only {light:.0%} of the figure is light"
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / "figures_dark_390.png"), full_page=True)
    context.close()
