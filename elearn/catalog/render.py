"""Lesson Markdown → HTML at load time; catalog links (source:, module:, lesson:) resolved per request."""
from __future__ import annotations

import re
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

# Bump when the stored HTML or the shape of the stored content would come out differently: every
# module then gets a new version. 2: activities and study_load (issue #12). 3: lesson figures (#18).
RENDER_VERSION = "3"
EXTENSIONS = ["attr_list", "tables", "toc", "sane_lists", "fenced_code", "def_list", "abbr"]
PLACEHOLDER_RE = re.compile(r'href="(source|module|lesson):([^"#]*)(?:#([^"]*))?"')
FIGURE_SRC_RE = re.compile(r'src="figure:([^"]*)"')


class _CatalogLinks(Treeprocessor):
    """Marks catalog links so they can be resolved when the page is served."""

    def __init__(self, md, lesson_ids: set[str]):
        super().__init__(md)
        self.lesson_ids = lesson_ids

    def run(self, root: Element) -> None:
        """Rewrite `#lesson` to `lesson:` placeholders; external links open outside the LMS frame."""
        for link in root.iter("a"):
            href = link.get("href", "")
            if href.startswith("#") and href[1:] in self.lesson_ids:
                link.set("href", f"lesson:{href[1:]}")
            elif href.startswith("source:"):
                link.set("class", "source-link")
            elif href.startswith(("http://", "https://")):
                link.set("target", "_blank")
                link.set("rel", "noopener noreferrer")
        for table in root.iter("table"):
            table.set("class", "lesson-table")


class _Figures(Treeprocessor):
    """A paragraph holding only `![alt](figure:name.svg "Caption")` becomes <figure> with <img> and
    <figcaption>; the img's src stays a `figure:FILE` placeholder, resolved when the page is served."""

    def __init__(self, md, figures: dict[str, dict]):
        super().__init__(md)
        self.figures = figures

    def run(self, root: Element) -> None:
        """Replace each figure paragraph in place (courses check refuses figures inside other text)."""
        for paragraph in list(root.iter("p")):
            images = list(paragraph)
            if len(images) != 1 or images[0].tag != "img" or (paragraph.text or "").strip() \
                    or (images[0].tail or "").strip() or not images[0].get("src", "").startswith("figure:"):
                continue
            image = images[0]
            name = image.get("src")[len("figure:"):]
            shown = self.figures.get(name)
            if shown is None:
                continue
            caption, tail = image.get("title", ""), paragraph.tail
            paragraph.clear()
            paragraph.tag, paragraph.tail = "figure", tail
            paragraph.set("class", "lesson-figure")
            img = Element("img", {"src": f"figure:{shown['file']}", "alt": image.get("alt", ""),
                                  "width": f"{shown['width']:g}", "height": f"{shown['height']:g}",
                                  "loading": "lazy", "decoding": "async"})
            paragraph.append(img)
            figcaption = Element("figcaption")
            figcaption.text = caption
            paragraph.append(figcaption)


class _CatalogExtension(Extension):
    def __init__(self, lesson_ids: set[str], figures: dict[str, dict] | None = None):
        super().__init__()
        self.lesson_ids = lesson_ids
        self.figures = figures or {}

    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API name)
        """Register the link and figure processors; drop raw HTML (course text is Markdown only)."""
        md.treeprocessors.register(_CatalogLinks(md, self.lesson_ids), "catalog_links", 1)
        md.treeprocessors.register(_Figures(md, self.figures), "catalog_figures", 2)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def render_markdown(text: str, lesson_ids: set[str], figures: dict[str, dict] | None = None) -> str:
    """Markdown (one section, heading included) → HTML with ids kept and catalog placeholders;
    `figures` maps a referenced name to the {file, width, height} that shows it in this language."""
    md = markdown.Markdown(extensions=EXTENSIONS + [_CatalogExtension(lesson_ids, figures)], output_format="html")
    return md.convert(text)


def plain_title(title: str) -> str:
    """Heading text without Markdown emphasis or code marks, for menus and <title>."""
    return re.sub(r"[*_`]+", "", title).strip()


def resolve_links(html: str, *, sources: dict, lang: str, module_url, lesson_url, figure_url=None) -> Markup:
    """Stored HTML → served HTML: `source:ID#x` to the page's source list with the title as tooltip,
    `module:ID` and `lesson:ID` to URLs built now (so the launch token is carried), `figure:FILE`
    to `figure_url(FILE)`."""

    def replace(match: re.Match) -> str:
        kind, target, fragment = match.group(1), match.group(2), match.group(3)
        if kind == "source":
            source = sources.get(target) or {}
            title = (source.get("title") or {}).get(lang) or source.get("reference") or target
            if fragment:
                title = f"{title} — {fragment.replace('-', ' ')}"
            return f'href="#src-{escape(target)}" title="{escape(title)}"'
        if kind == "module":
            return f'href="{escape(module_url(target, fragment))}"'
        return f'href="{escape(lesson_url(target))}"'

    html = PLACEHOLDER_RE.sub(replace, html)
    if figure_url is not None and "figure:" in html:
        html = FIGURE_SRC_RE.sub(lambda m: f'src="{escape(figure_url(m.group(1)))}"', html)
    return Markup(html)


def cited_sources(html: str) -> list[str]:
    """Source ids cited in stored HTML, in order of first citation."""
    seen: list[str] = []
    for kind, target, _fragment in PLACEHOLDER_RE.findall(html):
        if kind == "source" and target not in seen:
            seen.append(target)
    return seen
