"""atheris: GIFT import (what instructors bring from Moodle) on arbitrary text.

Contract: import_gift returns items or raises GiftError (which names the line); anything else
is a bug. What it returns must survive our own export and re-import unchanged (`courses
gift-import` output is reviewed and then loaded, so a pool that does not round-trip would change
under the instructor's hands), and merging it into a real pool gives merged items or GiftError.

Run: .venv/bin/python tests/fuzz/fuzz_gift.py [corpus dirs] [-max_total_time=60 ...]
"""
import sys
from pathlib import Path

import atheris

# atheris selects by top-level package: all of elearn that gets imported here is instrumented.
with atheris.instrument_imports(include=["elearn"]):
    from elearn.quizzes.examples import example_pool
    from elearn.questions.gift import export_gift, import_gift, merge_language
    from elearn.questions.messages import GiftError

POOL_ITEMS = example_pool()["items"]


def TestOneInput(data: bytes) -> None:
    """First byte: the file's language; the rest: the file, as `courses gift-import` reads it."""
    if not data:
        return
    lang = "nl" if data[0] & 1 else "en"
    try:
        text = data[1:].decode("utf-8")
    except UnicodeDecodeError:
        return  # `courses gift-import` refuses a file that is not UTF-8 (naming the line) before parsing
    try:
        items = import_gift(text, lang)
    except GiftError as error:
        assert error.line is None or error.line >= 1, error.line
        return
    for item in items:  # quiz.yaml's rule: a tolerance below 0 would let no answer be right
        assert item.get("tolerance", 0) >= 0, item
    written = export_gift({"items": items}, lang)
    again = import_gift(written, lang)
    assert again == items, (items, written, again)
    try:
        merge_language(POOL_ITEMS, items, lang)
    except GiftError:
        pass


if __name__ == "__main__":
    # This target's dictionary (and options) first: options on the command line come later and win.
    options = [f"-dict={Path(__file__).with_name('gift.dict')}"]
    atheris.Setup([sys.argv[0], *options, *sys.argv[1:]], TestOneInput)
    atheris.Fuzz()
