"""The learner's portfolio as one PDF (fpdf2, A4 portrait) to upload to a training portfolio:
a summary (modules, hours of study, hours per CanMEDS role), then per completed module its date,
score, roles, hours, verification code and the learner's own reflection.

Fonts and colours as the certificate's (elearn.certificates.pdf): DejaVu where installed, else the
core fonts with text reduced to Latin-1.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from elearn.certificates import texts
from elearn.certificates.pdf import FONT_DIR, INK, INK_SOFT, TEAL, TEAL_DARK, TEAL_LINE, TEAL_SOFT, latin1

WORDS = {
    "nl": {
        "title": "Portfolio", "subtitle": "Onderwijs in waardegedreven zorg · VBHC Academy",
        "of": "Overzicht van", "made": "Opgesteld op", "modules": "Afgeronde modules",
        "total": "Totale studiebelasting", "by_role": "Studiebelasting per CanMEDS-rol",
        "by_role_note": "Een module telt mee bij elke rol die ze dient.",
        "completed_on": "Afgerond op", "post_test": "Eindtoets", "study_load": "Studiebelasting",
        "roles": "CanMEDS-rollen", "code": "Verificatiecode", "reflection": "Mijn reflectie",
        "no_reflection": "Geen reflectie bewaard.", "none": "Nog geen afgeronde modules.",
        "page": "Pagina {n} van {total}", "filename": "portfolio",
        "footer": "Elke module heeft een bewijs van deelname in het register van VBHC Academy; controleer het met de "
                  "verificatiecode op {url}.",
    },
    "en": {
        "title": "Portfolio", "subtitle": "Education in value-based healthcare · VBHC Academy",
        "of": "Record of", "made": "Compiled on", "modules": "Modules completed",
        "total": "Total study load", "by_role": "Study load per CanMEDS role",
        "by_role_note": "A module counts towards every role it serves.",
        "completed_on": "Completed on", "post_test": "Post-test", "study_load": "Study load",
        "roles": "CanMEDS roles", "code": "Verification code", "reflection": "My reflection",
        "no_reflection": "No reflection kept.", "none": "No modules completed yet.",
        "page": "Page {n} of {total}", "filename": "portfolio",
        "footer": "Every module has a certificate of participation in the register of VBHC Academy; check it with the "
                  "verification code at {url}.",
    },
}
MARGIN = 18.0
WIDTH = 210.0 - 2 * MARGIN


class _Portfolio(FPDF):
    """A4 portrait pages with a teal rule on top and page numbers below."""

    def __init__(self, font_dir: str | None, lang: str, verify_url: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.words, self.verify_url = WORDS[lang], verify_url
        self.set_margins(MARGIN, 20, MARGIN)
        self.set_auto_page_break(True, margin=22)
        folder = Path(font_dir or FONT_DIR)
        files = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
        self.unicode = all((folder / name).is_file() for name in files.values())
        if self.unicode:
            for style, name in files.items():
                self.add_font("dejavu", style, str(folder / name))

    def use(self, style: str, size: float, color=INK) -> None:
        """Pick weight, size and colour."""
        self.set_font("dejavu" if self.unicode else "helvetica", style, size)
        self.set_text_color(*color)

    def say(self, text: str) -> str:
        """Text as the current fonts can show it."""
        return text if self.unicode else latin1(text)

    def write_lines(self, text: str, h: float, style: str = "", size: float = 10, color=INK) -> None:
        """A wrapped paragraph across the text width (breaking onto a new page when needed)."""
        self.use(style, size, color)
        self.set_x(MARGIN)
        self.multi_cell(WIDTH, h, self.say(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def header(self) -> None:
        """A thin teal band on every page."""
        self.set_fill_color(*TEAL)
        self.rect(0, 0, 210, 6, style="F")

    def footer(self) -> None:
        """Where to verify, and the page number."""
        self.set_y(-16)
        self.use("", 7.5, INK_SOFT)
        self.set_x(MARGIN)
        self.multi_cell(WIDTH * 0.78, 3.6, self.say(self.words["footer"].format(url=self.verify_url)))
        self.set_xy(MARGIN + WIDTH * 0.78, -16)
        self.cell(WIDTH * 0.22, 3.6, self.say(self.words["page"].format(n=self.page_no(), total="{nb}")), align="R")


def _facts_row(pdf: _Portfolio, cells: list[tuple[str, str]]) -> None:
    """A soft band with labelled facts side by side."""
    y = pdf.get_y()
    if y + 16 > pdf.h - 24:
        pdf.add_page()
        y = pdf.get_y()
    pdf.set_fill_color(*TEAL_SOFT)
    pdf.rect(MARGIN, y, WIDTH, 14, style="F", round_corners=True, corner_radius=2)
    col = WIDTH / len(cells)
    for index, (label, value) in enumerate(cells):
        x = MARGIN + 4 + index * col
        pdf.use("B", 6.5, INK_SOFT)
        pdf.set_xy(x, y + 2.5)
        pdf.cell(col - 6, 3.5, pdf.say(label.upper()))
        pdf.use("B", 10.5, INK)
        pdf.set_xy(x, y + 6.8)
        pdf.cell(col - 6, 5, pdf.say(value))
    pdf.set_xy(MARGIN, y + 17)


def render(portfolio, lang: str, verify_url: str, font_dir: str | None = None, today: date | None = None) -> bytes:
    """The portfolio PDF (accreditation.portfolio.Portfolio) in `lang`."""
    lang = texts.lang_of(lang)
    words = WORDS[lang]
    pdf = _Portfolio(font_dir, lang, verify_url)
    pdf.set_lang(lang)
    pdf.set_title(pdf.say(f"{words['title']}: {portfolio.name}"))
    pdf.set_subject(pdf.say(words["subtitle"]))
    pdf.set_author("VBHC Academy")
    pdf.set_creator("VBHC Academy")
    pdf.add_page()

    pdf.use("B", 8, TEAL)
    pdf.set_char_spacing(1)
    pdf.cell(WIDTH, 5, pdf.say(words["subtitle"].upper()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_char_spacing(0)
    pdf.use("B", 26, TEAL_DARK)
    pdf.cell(WIDTH, 13, pdf.say(words["title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use("", 11, INK_SOFT)
    pdf.cell(WIDTH, 6, pdf.say(f"{words['of']} {portfolio.name}".strip()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use("", 9, INK_SOFT)
    pdf.cell(WIDTH, 5, pdf.say(f"{words['made']} {texts.long_date(today or date.today(), lang)}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _facts_row(pdf, [(words["modules"], str(len(portfolio.items))),
                     (words["total"], texts.hours(portfolio.study_minutes, lang) or "—")])

    by_role = portfolio.minutes_by_role(lang)
    if by_role:
        pdf.use("B", 11, TEAL_DARK)
        pdf.cell(WIDTH, 7, pdf.say(words["by_role"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for name, minutes in by_role:
            pdf.use("", 10, INK)
            pdf.cell(WIDTH * 0.6, 5.5, pdf.say(name))
            pdf.cell(WIDTH * 0.4, 5.5, pdf.say(texts.hours(minutes, lang)), align="R",
                     new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.write_lines(words["by_role_note"], 4.5, size=8, color=INK_SOFT)
        pdf.ln(2)

    if not portfolio.items:
        pdf.write_lines(words["none"], 6, size=11, color=INK_SOFT)
    for item in portfolio.items:
        pdf.ln(4)
        if pdf.get_y() > pdf.h - 70:
            pdf.add_page()
        pdf.set_draw_color(*TEAL_LINE)
        pdf.set_line_width(0.3)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
        pdf.ln(3)
        pdf.write_lines(item.title, 6.5, "B", 13.5, TEAL_DARK)
        pdf.ln(1)
        percent = f"{texts.points(item.percent, lang)}%" if item.percent is not None else "—"
        _facts_row(pdf, [(words["completed_on"], texts.long_date(item.completed_on, lang) or "—"),
                         (words["post_test"], percent),
                         (words["study_load"], texts.hours(item.study_minutes, lang) or "—"),
                         (words["code"], " ".join(item.code[i:i + 4] for i in range(0, 12, 4)))])
        pdf.write_lines(f"{words['roles']}: {', '.join(item.roles) or '—'}", 5.5, "B", 10, INK)
        pdf.ln(1.5)
        pdf.write_lines(words["reflection"], 5.5, "B", 10, TEAL)
        if item.reflection_prompt:
            pdf.write_lines(item.reflection_prompt, 4.6, "", 8.5, INK_SOFT)
            pdf.ln(1)
        pdf.write_lines(item.reflection or words["no_reflection"], 5, "", 10, INK if item.reflection else INK_SOFT)
    return bytes(pdf.output())


def filename(lang: str) -> str:
    """The PDF's file name stem in `lang`."""
    return WORDS[texts.lang_of(lang)]["filename"]
