"""The certificate as a PDF (fpdf2): A4 landscape, the academy's teal, a QR code to the verification page.

Fonts: DejaVu Sans/Serif where they are installed (Debian: fonts-dejavu-core, the default
`CERTIFICATE_FONT_DIR`), for every character a name may have; otherwise the PDF core fonts
(Helvetica, Times), with text reduced to Latin-1 — é, ë, ü, ñ and the like stay as they are.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from elearn.catalog import canmeds
from elearn.certificates import texts

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {("sans", ""): "DejaVuSans.ttf", ("sans", "B"): "DejaVuSans-Bold.ttf",
              ("serif", "B"): "DejaVuSerif-Bold.ttf", ("mono", "B"): "DejaVuSansMono-Bold.ttf"}
CORE = {"sans": "helvetica", "serif": "times", "mono": "courier"}

TEAL = (11, 95, 102)         # #0b5f66, --brand
TEAL_DARK = (7, 64, 70)      # #074046
TEAL_MID = (47, 123, 129)
TEAL_SOFT = (227, 241, 242)  # #e3f1f2, --brand-soft
TEAL_LINE = (156, 199, 202)
INK = (28, 39, 51)           # #1c2733, --ink
INK_SOFT = (74, 88, 102)     # #4a5866, --ink-soft
WHITE = (255, 255, 255)
ON_TEAL = (214, 233, 235)    # secondary text on the teal band (contrast ≥ 4.5:1)

PAGE_W, PAGE_H = 297.0, 210.0
BAND_W = 74.0
LEFT = BAND_W + 16.0         # where the text column starts
RIGHT = PAGE_W - 16.0


@dataclass(frozen=True)
class CertificateData:
    """Everything a certificate prints, already in its language."""

    lang: str
    code: str
    verify_url: str
    name: str
    profession: str
    identifier_label: str | None
    identifier: str | None
    title: str
    register: str
    accreditation_id: str
    points: str
    points_kind: str
    completed_on: str
    post_test: str | None
    provider: str
    issued_on: str
    kind: str = "accreditation"     # or "participation": a completed module, no points (other words and facts)
    roles: str = ""                 # participation: the module's CanMEDS roles, named
    study_load: str = ""            # participation: the module's study load in hours


_REPLACEMENTS = {"–": "-", "—": "-", "‐": "-", "‑": "-", "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"',
                 "„": '"', "…": "...", "•": "·", "€": "EUR", "™": "(TM)", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "\u00a0": " ", "\u202f": " "}


def latin1(text: str) -> str:
    """Text the PDF core fonts can show: Latin-1 kept (é, ë, ü, ß…), typographic marks simplified,
    other letters without their accents (ł → l where Unicode allows, else '?')."""
    out = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        try:
            char.encode("latin-1")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            out.append(base.encode("latin-1").decode("latin-1") if base else "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


class _Certificate(FPDF):
    """An FPDF with the certificate's fonts (DejaVu, or the core fonts as a fallback)."""

    def __init__(self, font_dir: str | None):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        folder = Path(font_dir or FONT_DIR)
        self.unicode = all((folder / name).is_file() for name in FONT_FILES.values())
        if self.unicode:
            for (family, style), name in FONT_FILES.items():
                self.add_font(f"dejavu-{family}", style, str(folder / name))

    def use(self, family: str, style: str, size: float, color=INK, spacing: float = 0.0) -> None:
        """Pick font, size, colour and letter spacing."""
        if self.unicode:
            self.set_font(f"dejavu-{family}", "B" if style == "B" or family in ("serif", "mono") else "", size)
        else:
            self.set_font(CORE[family], style, size)
        self.set_text_color(*color)
        self.set_char_spacing(spacing)

    def say(self, text: str) -> str:
        """Text as the current fonts can show it."""
        return text if self.unicode else latin1(text)

    def line_at(self, x: float, y: float, w: float, h: float, text: str, align: str = "L", link: str = "") -> None:
        """One line of text in a box."""
        self.set_xy(x, y)
        self.cell(w, h, self.say(text), align=align, link=link, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def para(self, x: float, y: float, w: float, h: float, text: str, align: str = "L",
             max_lines: int | None = None) -> float:
        """Wrapped text; returns the y below it."""
        self.set_xy(x, y)
        lines = self.multi_cell(w, h, self.say(text), align=align, dry_run=True, output="LINES")
        if max_lines and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1].rstrip(" .,;") + "…" if self.unicode else lines[-1].rstrip(" .,;") + "..."
        for line in lines:
            self.set_xy(x, self.get_y())
            self.cell(w, h, line, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        return self.get_y()

    def fit(self, family: str, style: str, size: float, minimum: float, text: str, width: float,
            lines: int = 1) -> float:
        """The largest font size (down to `minimum`) at which the text fits in `lines` lines."""
        while size > minimum:
            self.use(family, style, size)
            if self.get_string_width(self.say(text)) <= width * lines * (0.92 if lines > 1 else 1.0):
                return size
            size -= 0.5
        return minimum


def _qr(pdf: _Certificate, url: str, x: float, y: float, size: float) -> None:
    """A QR code as vector squares (crisp at any zoom), dark on white."""
    matrix = segno.make(url, error="m").matrix
    n = len(matrix)
    module = size / n
    pdf.set_fill_color(*INK)
    for row, cells in enumerate(matrix):
        col = 0
        while col < n:
            if cells[col]:
                start = col
                while col < n and cells[col]:
                    col += 1
                pdf.rect(x + start * module, y + row * module, (col - start) * module + 0.01, module + 0.01,
                         style="F")
            else:
                col += 1


def render(data: CertificateData, font_dir: str | None = None) -> bytes:
    """The certificate PDF."""
    lang = texts.lang_of(data.lang)
    participation = data.kind == "participation"
    words = dict(texts.TEXT[lang], **(texts.PARTICIPATION[lang] if participation else {}))
    pdf = _Certificate(font_dir)
    pdf.set_lang(lang)
    pdf.set_title(pdf.say(f"{words['document']}: {data.title}"))
    about = words["document"] if participation else f"{data.register} {data.accreditation_id}"
    pdf.set_subject(pdf.say(f"{about} · {words['code']} {data.code}"))
    pdf.set_author(pdf.say(data.provider))
    pdf.set_creator("VBHC Academy")
    pdf.add_page()

    # The teal band: the academy, then the way to check the certificate.
    pdf.set_fill_color(*TEAL)
    pdf.rect(0, 0, BAND_W, PAGE_H, style="F")
    pdf.set_fill_color(*TEAL_MID)
    pdf.rect(14, 18, 15, 15, style="F", round_corners=True, corner_radius=3)
    pdf.use("sans", "B", 13, WHITE)
    pdf.line_at(14, 18, 15, 15, "VB", align="C")
    pdf.use("sans", "B", 15, WHITE)
    pdf.line_at(14, 38, BAND_W - 24, 8, data.provider)
    pdf.use("sans", "", 8.5, ON_TEAL)
    pdf.para(14, 47, BAND_W - 26, 4.2, words["provider_line"])

    qr_box, qr_x, qr_y = 46.0, 14.0, 112.0
    pdf.use("sans", "B", 7, ON_TEAL, spacing=0.6)
    pdf.line_at(14, qr_y - 6, BAND_W - 24, 4, words["verify"].upper())
    pdf.set_fill_color(*WHITE)
    pdf.rect(qr_x, qr_y, qr_box, qr_box, style="F", round_corners=True, corner_radius=2.5)
    _qr(pdf, data.verify_url, qr_x + 3, qr_y + 3, qr_box - 6)
    pdf.link(qr_x, qr_y, qr_box, qr_box, data.verify_url)
    pdf.use("sans", "B", 7, ON_TEAL, spacing=0.6)
    pdf.line_at(14, qr_y + qr_box + 5, BAND_W - 24, 4, words["code"].upper())
    pdf.use("mono", "B", 12.5, WHITE, spacing=0.3)
    pdf.line_at(14, qr_y + qr_box + 9.5, BAND_W - 20, 6, " ".join(data.code[i:i + 4] for i in range(0, 12, 4)))
    pdf.use("sans", "", 7.5, ON_TEAL)
    y = pdf.para(14, qr_y + qr_box + 17, BAND_W - 24, 3.8, words["scan"])
    pdf.use("sans", "B", 7.5, WHITE)
    url = data.verify_url.split("://", 1)[-1]
    host, _slash, path = url.partition("/")
    parts = [url] if pdf.get_string_width(url) <= BAND_W - 24 else [host, "/" + path]
    for part in parts:
        pdf.set_xy(14, y)
        pdf.multi_cell(BAND_W - 24, 3.8, pdf.say(part), align="L", link=data.verify_url, wrapmode="CHAR")
        y = pdf.get_y()

    # A fine frame around the text column.
    pdf.set_draw_color(*TEAL_LINE)
    pdf.set_line_width(0.25)
    pdf.rect(BAND_W + 6, 6, PAGE_W - BAND_W - 12, PAGE_H - 12)

    width = RIGHT - LEFT
    pdf.use("sans", "B", 8.5, TEAL, spacing=1.2)
    pdf.line_at(LEFT, 26, width, 5, words["subtitle"].upper())
    pdf.use("serif", "B", pdf.fit("serif", "B", 38, 24, words["title"], width), TEAL, spacing=0.5)
    pdf.line_at(LEFT, 33, width, 17, words["title"])
    pdf.set_draw_color(*TEAL)
    pdf.set_line_width(0.8)
    pdf.line(LEFT, 53, LEFT + 28, 53)

    pdf.use("sans", "", 11.5, INK_SOFT)
    pdf.line_at(LEFT, 61, width, 6, words["certify"])
    size = pdf.fit("serif", "B", 26, 16, data.name, width)
    pdf.use("serif", "B", size, INK)
    pdf.line_at(LEFT, 68, width, 12, data.name)
    who = data.profession
    if data.identifier:
        who = f"{who} · {data.identifier_label} {data.identifier}" if who else f"{data.identifier_label} {data.identifier}"
    pdf.use("sans", "", 10.5, INK_SOFT)
    pdf.line_at(LEFT, 81, width, 6, who)

    pdf.use("sans", "", 11.5, INK_SOFT)
    pdf.line_at(LEFT, 94, width, 6, words["completed"])
    size = pdf.fit("sans", "B", 17, 12, data.title, width, lines=2)
    pdf.use("sans", "B", size, TEAL_DARK)
    y = pdf.para(LEFT, 101, width, size * 0.47, data.title, max_lines=2)

    # The facts, as a register or an auditor reads them.
    box_y = max(y + 8, 126.0)
    if participation:   # (label, value, columns it spans): the roles need the room of two
        cells = [(words["completed_on"], data.completed_on, 1), (words["post_test"], data.post_test or "—", 1),
                 (words["study_load"], data.study_load or "—", 1), (words["canmeds"], data.roles or "—", 2),
                 (words["provider"], data.provider, 1)]
    else:
        cells = [(words["register"], data.register, 1), (words["accreditation_id"], data.accreditation_id, 1),
                 (words["points"], f"{data.points} {data.points_kind}".strip(), 1),
                 (words["completed_on"], data.completed_on, 1), (words["post_test"], data.post_test or "—", 1),
                 (words["provider"], data.provider, 1)]
    col_w, row_h = width / 3, 16.0
    pdf.set_fill_color(*TEAL_SOFT)
    pdf.rect(LEFT, box_y, width, row_h * 2 + 6, style="F", round_corners=True, corner_radius=2.5)
    pdf.set_draw_color(*TEAL)
    pdf.set_line_width(1.2)
    pdf.line(LEFT + 0.6, box_y + 2.5, LEFT + 0.6, box_y + row_h * 2 + 3.5)
    column = 0
    for label, value, span in cells:
        cx = LEFT + 6 + (column % 3) * col_w
        cy = box_y + 4 + (column // 3) * row_h
        cell_w = span * col_w - 8
        column += span
        pdf.use("sans", "B", 6.8, INK_SOFT, spacing=0.6)
        pdf.line_at(cx, cy, cell_w, 4, label.upper())
        fitted = pdf.fit("sans", "B", 11, 7.5, value, cell_w)
        pdf.use("sans", "B", fitted, INK)
        pdf.line_at(cx, cy + 4.5, cell_w, 6, value)

    pdf.use("sans", "", 7.8, INK_SOFT)
    foot_y = max(box_y + row_h * 2 + 12, PAGE_H - 28)
    pdf.para(LEFT, foot_y, width * 0.72, 3.9, words["electronic"])
    pdf.use("sans", "B", 7.8, INK_SOFT)
    pdf.line_at(LEFT + width * 0.72, foot_y, width * 0.28, 3.9, f"{words['issued']} {data.issued_on}", align="R")
    return bytes(pdf.output())


def certificate_data(record, lang: str, verify_url: str, today: date | None = None) -> CertificateData:
    """What a record's certificate says, in `lang` (records.Record with its person)."""
    lang = texts.lang_of(lang)
    facts, subject = record.facts, record.subject or {}
    main = texts.main_identifier(facts.get("register"), subject.get("identifiers"))
    percent = facts.get("post_test_percent")
    if facts.get("record_type") == "participation":
        extra = {"kind": "participation", "roles": ", ".join(canmeds.labels(facts.get("canmeds"), lang)),
                 "study_load": texts.hours(facts.get("study_load_minutes"), lang)}
    else:
        extra = {}
    return CertificateData(**extra,
        lang=lang, code=record.code, verify_url=verify_url, name=subject.get("name", ""),
        profession=texts.profession(subject.get("profession"), lang),
        identifier_label=texts.identifier_label(main[0], lang) if main else None,
        identifier=main[1] if main else None, title=texts.title(facts, lang),
        register=texts.register_name(facts.get("register")), accreditation_id=str(facts.get("accreditation_id", "")),
        points=texts.points(facts.get("points"), lang), points_kind=texts.points_kind(facts.get("points_kind"), lang, facts.get("points")),
        completed_on=texts.long_date(record.completed_on, lang),
        post_test=f"{texts.points(percent, lang)}%" if percent is not None else None,
        provider=facts.get("provider") or "VBHC Academy",
        issued_on=texts.long_date(record.issued_at.date() if record.issued_at else today or date.today(), lang))
