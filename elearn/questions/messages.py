"""Messages the quiz engine hands to views: a stable code, an English msgid and parameters.

The core stays free of Flask: msgids are marked with `N_` (one of pybabel's default
extraction keywords) and translated where they are shown, e.g. `err.translate(flask_babel.gettext)`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(msgid: str) -> str:
    """Mark a msgid for extraction without translating it (translation happens in the view)."""
    return msgid


@dataclass(frozen=True)
class Message:
    """Something to tell a person: `code` for programs, `msgid` + `params` for people."""

    code: str
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        """The English text with its parameters filled in."""
        return self.msgid % dict(self.params) if self.params else self.msgid

    def translate(self, gettext: Callable[..., str], **overrides: Any) -> str:
        """Translate with e.g. flask_babel.gettext; `overrides` replace params (formatted dates)."""
        params = {**self.params, **overrides}
        return gettext(self.msgid, **params) if params else gettext(self.msgid)


class QuizError(ValueError):
    """Base of the engine's errors; carries a `Message` (see `.message`, `.code`)."""

    def __init__(self, code: str, msgid: str, **params: Any) -> None:
        """Build the error from a code, a marked msgid and its parameters."""
        self.message = Message(code, msgid, params)
        super().__init__(str(self.message))

    @property
    def code(self) -> str:
        """The stable machine code of this error."""
        return self.message.code

    def translate(self, gettext: Callable[..., str], **overrides: Any) -> str:
        """The message in the learner's language."""
        return self.message.translate(gettext, **overrides)


class ResponseError(QuizError):
    """A posted answer is not allowed (unknown option, wrong arity, foreign field, too big)."""


class PaperError(QuizError):
    """A stored paper does not fit the pool it claims to come from, or a draw is impossible."""


class SettingsError(QuizError):
    """Quiz settings are inconsistent."""


class GiftError(QuizError):
    """GIFT text cannot be read or a pool cannot be written as GIFT; `.line` is 1-based or None."""

    def __init__(self, code: str, msgid: str, line: int | None = None, **params: Any) -> None:
        """Remember the line number as well as the message."""
        self.line = line
        super().__init__(code, msgid, line=line if line is not None else "?", **params)
