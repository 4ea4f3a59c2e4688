"""atheris: the body of a quiz save/submit POST (application/x-www-form-urlencoded, any bytes)
read against a drawn paper of a pool with every question type.

Contract, in the order the quiz views use these: read_post returns a Post or raises
ResponseError (a tampered form: 4xx, nothing stored); the page that shows a post's errors
renders from the posted values; a post without errors is what gets stored (as JSON), and the
stored responses re-fill the page, re-post to the same responses, and mark without an error,
between 0 and 100 % (the mark happens at submit, where a failure would be a 5xx after the
answers were saved).

Run: .venv/bin/python tests/fuzz/fuzz_quiz_form.py [corpus dirs] [-max_total_time=60 ...]
"""
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl

import atheris

# atheris selects by top-level package: all of elearn that gets imported here is instrumented.
with atheris.instrument_imports(include=["elearn"]):
    from werkzeug.datastructures import MultiDict

    from elearn.quizzes.draw import draw_paper
    from elearn.quizzes.examples import example_pool
    from elearn.quizzes.marking import mark_paper, read_post
    from elearn.questions.messages import ResponseError
    from elearn.quizzes.present import questions, saved_values

POOL = example_pool()
PAPER = draw_paper(POOL, len(POOL["items"]), rng=0)


def form_of(data: bytes) -> MultiDict:
    """The form as Flask reads a urlencoded body: percent-decoding, undecodable UTF-8 replaced."""
    return MultiDict(parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True, errors="replace"))


def TestOneInput(data: bytes) -> None:
    form = form_of(data)
    try:
        post = read_post(POOL, PAPER, form)
    except ResponseError:
        return
    if post.errors:
        questions(POOL, PAPER, "en", form, {i: str(e) for i, e in post.errors.items()})
        return
    stored = json.loads(json.dumps(post.responses))
    refill = saved_values(POOL, PAPER, stored)
    questions(POOL, PAPER, "en", refill)
    again = read_post(POOL, PAPER, refill)
    assert not again.errors and again.responses == post.responses, (post, again)
    result = mark_paper(POOL, PAPER, stored)
    assert 0 <= result.percent <= 100, result


if __name__ == "__main__":
    # This target's dictionary (and options) first: options on the command line come later and win.
    options = [f"-dict={Path(__file__).with_name('quiz_form.dict')}"]
    atheris.Setup([sys.argv[0], *options, *sys.argv[1:]], TestOneInput)
    atheris.Fuzz()
