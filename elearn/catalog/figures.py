"""Lesson figures: SVG files in a module's figures/ folder, referenced from the lesson Markdown as
`![alt text](figure:name.svg "Caption")`, checked safe and legible, and kept in the version content
so that a page never reads the disk (courses/README.md, "Figures")."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

FOLDER = "figures"
MAX_BYTES = 64 * 1024            # hand-drawn diagrams are a few kB; more means an export or an embedded image
PHONE_WIDTH_PX = 330             # a figure's width on a 390 px phone (page and card padding taken off)
MIN_TEXT_PX = 14                 # the smallest text we let a phone show
SVG_NS = "http://www.w3.org/2000/svg"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.svg$")
# A figure stands alone on its line: ![alt](figure:name.svg "Caption").
FIGURE_LINE_RE = re.compile(r'^\s{0,3}!\[(?P<alt>[^\]]*)\]\(\s*figure:(?P<name>[^\s)"]*)\s*(?:"(?P<caption>[^"]*)")?\s*\)\s*$')
# Drawing only: no script, no foreignObject (HTML inside), no image/use of other files, no animation
# (<set>/<animate> can rewrite an href), no links.
ALLOWED_ELEMENTS = {"svg", "g", "defs", "title", "desc", "rect", "circle", "ellipse", "line", "polyline",
                    "polygon", "path", "text", "tspan", "marker", "linearGradient", "radialGradient", "stop",
                    "symbol", "use", "clipPath"}
TEXT_ELEMENTS = {"text", "tspan"}
SHAPES = {"rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text", "use", "g"}
NUMBER_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


@dataclass
class Finding:
    """One problem in an SVG file, at a line."""

    line: int
    message: str
    rule: str


@dataclass
class SvgInfo:
    """What a check of one SVG file found: its viewBox size and any problems."""

    width: float = 0
    height: float = 0
    findings: list[Finding] = field(default_factory=list)


@dataclass
class FigureRef:
    """A figure referenced in a lesson: name as written, alt text, caption, line."""

    name: str
    alt: str
    caption: str
    line: int


class _Stop(Exception):
    """Parsing stops: what follows cannot be checked safely."""


def file_for(name: str, lang: str, files) -> str | None:
    """The file that shows figure `name` in `lang`: `<stem>.<lang>.svg`, else the language-neutral
    `<stem>.svg`; None when neither is among `files`."""
    stem = name[:-len(".svg")] if name.endswith(".svg") else name
    for candidate in (f"{stem}.{lang}.svg", f"{stem}.svg"):
        if candidate in files:
            return candidate
    return None


def references(body: list[str], first_line: int) -> tuple[list[FigureRef], list[Finding]]:
    """Figure references in a lesson's Markdown lines (body[0] is line `first_line`), and findings
    about references that are malformed or not in a paragraph of their own."""
    refs, findings = [], []
    for index, line in enumerate(body):
        if "figure:" not in line:
            continue
        number = first_line + index
        match = FIGURE_LINE_RE.match(line)
        if not match:
            findings.append(Finding(number, 'a figure stands alone on its line: ![alt text](figure:name.svg "Caption")',
                                    "figure.syntax"))
            continue
        neighbours = [body[i] for i in (index - 1, index + 1) if 0 <= i < len(body)]
        if any(n.strip() and not n.lstrip().startswith("#") for n in neighbours):
            findings.append(Finding(number, "a figure needs a blank line before and after it (a paragraph of its own)",
                                    "figure.syntax"))
        refs.append(FigureRef(match.group("name"), (match.group("alt") or "").strip(),
                              (match.group("caption") or "").strip(), number))
    return refs, findings


def inspect_svg(data: bytes) -> SvgInfo:
    """Check one SVG file: well-formed, drawing only (nothing that runs, loads or embeds), a viewBox,
    a background of its own, and text of at least MIN_TEXT_PX on a phone."""
    info = SvgInfo()
    if len(data) > MAX_BYTES:
        info.findings.append(Finding(1, f"the figure is larger than {MAX_BYTES // 1024} kB, the most a figure may be "
                                        "(draw it as shapes and text, not an embedded export)", "figure.size"))
        return info
    parser = expat.ParserCreate(namespace_separator=" ")
    state = {"depth": 0, "sizes": [16.0], "text_sizes": [], "first_shape": None, "vb": None}

    def finding(message: str, rule: str) -> None:
        """Record a finding at the parser's current line."""
        info.findings.append(Finding(parser.CurrentLineNumber, message, rule))

    def refuse(message: str, rule: str):
        """Record a finding that ends the check (a DOCTYPE or entity could expand or load files)."""
        finding(message, rule)
        raise _Stop

    def start(name: str, attrs: dict) -> None:
        """Check one element and its attributes."""
        ns, _, local = name.rpartition(" ")
        depth = state["depth"]
        state["depth"] += 1
        if depth == 0:
            if ns != SVG_NS or local != "svg":
                refuse(f"the root element must be <svg xmlns=\"{SVG_NS}\">, found <{local}>", "figure.svg")
            state["vb"] = _view_box(attrs.get("viewBox"))
            if state["vb"] is None:
                finding("<svg> needs viewBox=\"0 0 WIDTH HEIGHT\" (the figure scales to the page by it)", "figure.viewbox")
        elif ns != SVG_NS:
            finding(f"<{local}> is not an SVG element; a figure is drawing only", "figure.unsafe")
        elif local == "script":
            finding("<script> is not allowed in a figure", "figure.unsafe")
        elif local == "foreignObject":
            finding("<foreignObject> is not allowed in a figure (it embeds HTML)", "figure.unsafe")
        elif local not in ALLOWED_ELEMENTS:
            finding(f"<{local}> is not allowed in a figure (allowed: {', '.join(sorted(ALLOWED_ELEMENTS))})", "figure.unsafe")
        if depth == 1 and state["first_shape"] is None and local in SHAPES:
            state["first_shape"] = (local, attrs)
        size = state["sizes"][-1]
        for key, value in attrs.items():
            attr_ns, _, attr = key.rpartition(" ")
            if attr.lower().startswith("on"):
                finding(f"event attribute {attr}=\"…\" is not allowed in a figure", "figure.unsafe")
            elif attr == "style":
                finding("style=\"…\" is not allowed in a figure; use presentation attributes (fill, font-size, …)", "figure.unsafe")
            elif attr == "href" and not value.startswith("#"):
                finding(f"{attr}=\"{value}\" refers outside the figure; only #id references are allowed", "figure.external")
            elif "url(" in value.replace(" ", "") and not re.fullmatch(r"\s*url\(\s*#[\w.-]+\s*\)\s*", value):
                finding(f"{attr}=\"{value}\" refers outside the figure; only url(#id) is allowed", "figure.external")
            elif "javascript:" in value.lower().replace(" ", ""):
                finding(f"{attr}=\"…\" holds a javascript: URL", "figure.unsafe")
            elif attr == "font-size":
                match = NUMBER_RE.match(value)
                if match:
                    size = float(match.group(1))
                else:
                    finding(f"font-size=\"{value}\" must be a number of user units (e.g. 18)", "figure.text-size")
            elif attr == "base" and attr_ns == XML_NS:
                finding("xml:base is not allowed in a figure", "figure.external")
        state["sizes"].append(size)
        if local in TEXT_ELEMENTS:
            state["text_sizes"].append((parser.CurrentLineNumber, size))

    def end(_name: str) -> None:
        """Leave an element: its font size stops applying."""
        state["depth"] -= 1
        state["sizes"].pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = lambda *a: refuse("no <!DOCTYPE> in a figure (entities could expand or load files)", "figure.unsafe")
    parser.EntityDeclHandler = lambda *a: refuse("no <!ENTITY> in a figure", "figure.unsafe")
    parser.ProcessingInstructionHandler = lambda target, _data: finding(
        f"<?{target} …?> is not allowed in a figure (a stylesheet would load another file)", "figure.unsafe")
    try:
        parser.Parse(data, True)
    except _Stop:
        return info
    except expat.ExpatError as error:
        info.findings.append(Finding(error.lineno, f"not well-formed XML: {expat.errors.messages[error.code]}", "figure.xml"))
        return info
    if state["vb"] is not None:
        info.width, info.height = state["vb"]
        _check_text_size(info, state["text_sizes"])
        _check_background(info, state["first_shape"])
    return info


def _view_box(value: str | None) -> tuple[float, float] | None:
    """(width, height) of a viewBox attribute, or None when missing or malformed."""
    parts = (value or "").replace(",", " ").split()
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0:
        return None
    return numbers[2], numbers[3]


def _check_text_size(info: SvgInfo, text_sizes: list[tuple[int, float]]) -> None:
    """Every text at least MIN_TEXT_PX when the figure is PHONE_WIDTH_PX wide."""
    scale = PHONE_WIDTH_PX / info.width
    needed = MIN_TEXT_PX / scale
    for line, size in text_sizes:
        if size * scale < MIN_TEXT_PX - 0.05:
            info.findings.append(Finding(line, f"text at font-size {size:g} is {size * scale:.1f} px on a phone "
                                               f"(viewBox {info.width:g} wide shown {PHONE_WIDTH_PX} px wide); "
                                               f"use font-size ≥ {needed:.1f}", "figure.text-size"))
            return


def _check_background(info: SvgInfo, first: tuple[str, dict] | None) -> None:
    """The first thing drawn is a filled rect over the whole figure: legible on a dark page too."""
    if first is not None and first[0] == "rect":
        attrs = first[1]
        fill = attrs.get("fill", "black").strip().lower()
        covers = all(attrs.get(key, "0") in ("0", "0.0") for key in ("x", "y")) and \
            attrs.get("width") in ("100%", f"{info.width:g}") and attrs.get("height") in ("100%", f"{info.height:g}")
        if covers and fill not in ("none", "transparent"):
            return
    info.findings.append(Finding(1, "a figure draws its own background first: <rect width=\"100%\" height=\"100%\" "
                                    "fill=\"#ffffff\"/> (legible on dark LMS pages too)", "figure.background"))
