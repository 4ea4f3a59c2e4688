"""The Dutch interface is complete: every string the code marks for translation has a Dutch text
(tests run in Dutch by default, so a missing one would show up only as English on a Dutch page)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from elearn.translate import CFG

ROOT = Path(__file__).resolve().parent.parent


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_interface_string_has_a_dutch_translation(tmp_path):
    # Extracted afresh from the code and templates, as `translate update` does: the committed
    # messages.pot could itself be behind.
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(CFG), "-k", "_l", "--no-location",
                                "-o", str(pot), str(ROOT / "elearn"), str(ROOT / "lti")])
    template = _catalog(pot)
    dutch = _catalog(ROOT / "translations" / "nl" / "LC_MESSAGES" / "messages.po")
    missing, fuzzy = [], []
    for message in template:
        if not message.id:
            continue
        found = dutch.get(message.id, message.context)
        if found is None or not (found.string if isinstance(found.string, str) else all(found.string)):
            missing.append(message.id)
        elif found.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{len(missing)} strings without Dutch (flask --app elearn translate update): {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy Dutch strings to check: {fuzzy[:10]}"
