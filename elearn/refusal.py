"""One way to refuse a request: raise `Refusal`; one error handler draws the page.

A view (or an operation it calls) that will not do what was asked raises `Refusal` with the HTTP
status, a stable code (tests and logs read it; the page carries it as `data-error-code`, drawn from
the template variable `refusal_code` so that a page's own `code` — a check-in code, say — can travel
in the context beside it) and either
a message — a msgid marked with `N_`, translated into the learner's language only when the page is
drawn — or its own template with the context that template needs. Nothing was written when a
refusal is raised: operations check before they change anything, and the request's session is rolled
back by Flask-SQLAlchemy's teardown in any case.

Why an exception rather than returning `(value, refusal)`: a guard that raises is one line at each
call site, and a refusal cannot be forgotten on the way up.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_babel import format_datetime, gettext

DEFAULT_TEMPLATE = "refused.html"
# The names the refusal itself gives the template; a caller's context may use any other name.
OWN_NAMES = frozenset({"message", "refusal_code"})


class Refusal(Exception):
    """A request the rules refuse. `status` is the HTTP status of the answer, `code` a stable name."""

    def __init__(self, status: int, code: str, msgid: str = "", /, *, template: str = DEFAULT_TEMPLATE,
                 headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
                 **context: Any) -> None:
        """`msgid` (marked with N_) is translated with `params` when drawn; `context` goes to the template.
        The first three are positional-only, so `code=`, say, is the template's, not the refusal's."""
        clash = OWN_NAMES & context.keys()
        if clash:       # said where the refusal is built, not as a TypeError inside render_template later
            raise TypeError(f"the refusal names {', '.join(sorted(clash))} itself; give the context another name")
        self.status, self.refusal_code, self.msgid = status, code, msgid
        self.template, self.headers = template, headers or {}
        self.params, self.context = params or {}, context
        super().__init__(f"{status} {code}")

    @property
    def code(self) -> str:
        """The stable name (a property, so a subclass that is also a QuizError keeps QuizError's own)."""
        return self.refusal_code

    def text(self) -> str:
        """The message in the learner's language (dates formatted for them), or '' without one."""
        if not self.msgid:
            return ""
        params = {k: format_datetime(v) if hasattr(v, "tzinfo") else v for k, v in self.params.items()}
        return gettext(self.msgid, **params)

    def response(self):
        """The page, its status and headers."""
        page = render_template(self.template, message=self.text(), refusal_code=self.refusal_code,
                               **self.context)
        return page, self.status, self.headers


def _answer(refusal: Refusal):
    """Flask's error handler for every refusal."""
    return refusal.response()


def init_app(app: Flask) -> None:
    """Answer every `Refusal` (and its subclasses) with its page."""
    app.register_error_handler(Refusal, _answer)
