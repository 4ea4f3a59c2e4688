"""One way to refuse a request (#15 item 2): a raised Refusal is answered by the app-wide handler,
and no view module builds a `(None, <response>)` refusal tuple any more."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader

from elearn.refusal import Refusal

ELEARN = Path(__file__).resolve().parent.parent / "elearn"
# The old pattern: a guard returning "no value, and here is the page to answer with".
TUPLE_REFUSAL = re.compile(r"return None, _?\w+\(")


@pytest.mark.usefixtures("db")
def test_refusal_from_a_view_has_its_status_code_and_message(app, client):
    @app.get("/_test_refused")
    def _refused_view():
        raise Refusal(409, "test_code", "This could not be done")

    for lang, text in (("en", "This could not be done"), ("nl", "Dit is niet gelukt")):
        answer = client.get(f"/_test_refused?lang={lang}")
        body = answer.get_data(as_text=True)
        assert answer.status_code == 409
        assert 'data-error-code="test_code"' in body
        assert f"<p>{text}</p>" in body


@pytest.mark.usefixtures("db")
def test_a_refusal_context_may_name_its_own_code_beside_the_refusal_code(app, client, monkeypatch):
    # A page of its own (the events' check-in page is one) may carry a `code` of its own.
    page = '<div data-error-code="{{ refusal_code }}">{{ message }}</div><input name="c" value="{{ code }}">'
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader({"_test_own_code.html": page}),
                                                                app.jinja_env.loader]))

    @app.get("/_test_refused_with_code")
    def _refused_view():
        raise Refusal(400, "forged", "This could not be done", template="_test_own_code.html", code="ABC-123")

    answer = client.get("/_test_refused_with_code?lang=en")
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'data-error-code="forged"' in body and 'value="ABC-123"' in body
    assert "This could not be done" in body


def test_a_refusal_refuses_a_context_name_it_gives_the_template_itself():
    with pytest.raises(TypeError, match="refusal_code"):
        Refusal(400, "forged", refusal_code="something else")


def test_no_view_module_returns_a_refusal_tuple():
    found = [f"{path.relative_to(ELEARN)}:{n}" for path in ELEARN.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if TUPLE_REFUSAL.search(line)]
    assert found == [], "raise Refusal instead of returning (None, page): " + ", ".join(found)
