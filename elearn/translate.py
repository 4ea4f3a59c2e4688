"""`flask --app elearn translate extract|update|compile`, through Babel's own API."""
import click
from babel.messages.frontend import CommandLineInterface

from elearn.config import ROOT

POT = ROOT / "translations" / "messages.pot"
CFG = ROOT / "babel.cfg"
TRANSLATIONS = ROOT / "translations"


def _babel(*args: str) -> None:
    """Run one pybabel sub-command in-process (no shelling out)."""
    CommandLineInterface().run(["pybabel", "-q", *args])


@click.group()
def translate():
    """Interface translations (course text lives in courses/, not here)."""


@translate.command()
def extract():
    """Collect marked strings from code and templates into messages.pot."""
    _babel("extract", "-F", str(CFG), "-k", "_l", "--no-location", "--sort-output",
           "-o", str(POT), str(ROOT / "elearn"), str(ROOT / "lti"))


@translate.command()
def update():
    """Extract, then merge new strings into every language's .po file."""
    extract.callback()
    _babel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")


@translate.command(name="compile")
def compile_():
    """Compile .po files to the .mo files Flask-Babel reads."""
    _babel("compile", "-d", str(TRANSLATIONS))


@translate.command()
@click.argument("lang")
def init(lang):
    """Start a new language."""
    extract.callback()
    _babel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", lang)


def compile_if_needed() -> None:
    """Compile catalogues whose .mo is missing or older than the .po (used by the run script)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            _babel("compile", "-d", str(TRANSLATIONS), "-l", po.parent.parent.name)
