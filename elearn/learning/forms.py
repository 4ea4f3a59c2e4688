"""The learner's forms on the module and lesson pages (WTForms): an answer to a case or the reflection,
and the lesson page's heartbeat.

Their requests are checked before they are read (`GuardedForm`, elearn.launch.form_guard).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, Optional, ValidationError

from elearn.launch.form_guard import GuardedForm
from elearn.learning import activities as acts


class AnswerForm(GuardedForm):
    """One answer; the rules are the domain's own (activities.clean_answer), said in the page's language."""

    answer = TextAreaField(default="")

    def validate_answer(self, field) -> None:
        """Not empty and not too long; `field.data` becomes the answer as stored."""
        typed = field.data or ""
        try:
            field.data = acts.clean_answer(typed)
        except acts.AnswerRefused as refusal:
            raise ValidationError(
                _("Write your answer before saving.") if refusal.reason == "empty" else
                _("Your answer is %(length)s characters long; the most is %(max)s. Shorten it and save again.",
                  length=len(typed), max=acts.MAX_ANSWER_CHARS)) from None

    def typed(self) -> str:
        """The answer as the learner posted it, to show again after a refusal."""
        return (self.answer.raw_data or [""])[0]


class BeatForm(GuardedForm):
    """A lesson page's heartbeat: `start=1` when the page just came into view, else nothing."""

    start = StringField(validators=[Optional(), AnyOf(["1"], message=_l("start is 1 (the page came into view) "
                                                                         "or left out."))])

    def starts(self) -> bool:
        """Whether this beat only restarts the clock."""
        return self.start.data == "1"
