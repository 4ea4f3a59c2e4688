"""Lesson Markdown read into front matter, level-2 sections and links, each with its line number."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown.extensions.toc import slugify

from elearn.catalog import yamlsrc

HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ATTR_ID_RE = re.compile(r"^(.*?)\s*\{:?\s*([^}]*)\}\s*$")
LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REFDEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


@dataclass
class Heading:
    """A heading: level, title text, explicit `{#id}` (or None) and line."""

    level: int
    title: str
    explicit_id: str | None
    line: int
    attr_text: str = ""


@dataclass
class Section:
    """A level-2 section: a lesson or one of the closing sections."""

    id: str | None
    title: str
    line: int
    body: list[str] = field(default_factory=list)   # the Markdown lines after the heading
    body_start: int = 0                             # line number of body[0]


@dataclass
class Link:
    """A link target found in the text, with its line."""

    target: str
    line: int


@dataclass
class TextDoc:
    """One nl.md / en.md."""

    front: object = None
    front_line: int = 1
    front_error: str | None = None
    body_start: int = 1
    intro: list[tuple[int, str]] = field(default_factory=list)  # non-blank lines before the first ##
    sections: list[Section] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    yaml_problems: list = field(default_factory=list)

    def anchor_ids(self) -> set[str]:
        """Every id a `#fragment` link may point at in this file."""
        return {h.explicit_id or slugify(h.title, "-") for h in self.headings}


def parse(text: str) -> TextDoc:
    """Split a lesson file; problems are left to the rules (see rules_text)."""
    doc = TextDoc()
    # Lines as an editor (and Markdown) counts them; str.splitlines would also break at form
    # feeds, NEL or U+2028 and shift every line number after one.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    start = _front_matter(lines, doc)
    doc.body_start = start + 1
    fence: str | None = None
    current: Section | None = None
    for index in range(start, len(lines)):
        number, line = index + 1, lines[index]
        fence_match = FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0]
            elif marker[0] == fence:
                fence = None
        elif fence is None:
            heading = _heading(line, number)
            if heading:
                doc.headings.append(heading)
                if heading.level == 2:
                    current = Section(heading.explicit_id, heading.title, number, [], number + 1)
                    doc.sections.append(current)
                    continue
            doc.links.extend(_links(line, number))
        if current is not None:
            current.body.append(line)
        elif line.strip():
            doc.intro.append((number, line))
    return doc


def links_of(text: str) -> list[Link]:
    """The links of a Markdown text without front matter (a case or reflection in activities.yaml),
    line 1 being the text's first line; fenced code is skipped as in lessons."""
    found: list[Link] = []
    fence: str | None = None
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        fence_match = FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)[0]
            fence = marker if fence is None else (None if marker == fence else fence)
        elif fence is None:
            found.extend(_links(line, number))
    return found


def _front_matter(lines: list[str], doc: TextDoc) -> int:
    """Read `---` … `---`; returns the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        doc.front_error = "the file must start with front matter: ---, lang: nl|en, ---"
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front, problems = yamlsrc.load("\n".join(lines[1:index]))
            for problem in problems:
                problem.line += 1  # front matter starts on line 2
            doc.front, doc.yaml_problems, doc.front_line = front, problems, 1
            return index + 1
    doc.front_error = "front matter is not closed by a line '---'"
    return 0


def _heading(line: str, number: int) -> Heading | None:
    """An ATX heading with an optional attr_list `{#id .class}`."""
    match = HEADING_RE.match(line)
    if not match:
        return None
    title, explicit, attrs = match.group(2), None, ""
    attr_match = ATTR_ID_RE.match(title)
    if attr_match:
        title, attrs = attr_match.group(1), attr_match.group(2)
        for token in attrs.split():
            if token.startswith("#"):
                explicit = token[1:]
    return Heading(len(match.group(1)), title.strip(), explicit, number, attrs)


def _links(line: str, number: int) -> list[Link]:
    """Inline links and reference definitions on one line (code spans skipped)."""
    visible = re.sub(r"`[^`]*`", "", line)
    found = [Link(m.group(1), number) for m in LINK_RE.finditer(visible)]
    ref = REFDEF_RE.match(visible)
    if ref:
        found.append(Link(ref.group(1), number))
    return found
