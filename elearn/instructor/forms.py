"""The instructor's forms on the results page (WTForms): the placement's quiz settings, extra time for
one person, the course's language.

Their requests are checked before they are read (`GuardedForm`, elearn.launch.form_guard).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from elearn.launch.form_guard import GuardedForm

WHOLE_OR_BLANK = _l("Give whole numbers, or leave blank.")


class QuizSettingsForm(GuardedForm):
    """Attempt limit, wait, time limit (whole numbers; Optional lets a blank one be none), counting rule and review
    policy; QuizSettings.from_quiz judges the combination against the module's quiz."""

    attempt_limit = IntegerField(_l("Attempts"), [Optional(), NumberRange(min=0, message=WHOLE_OR_BLANK)],
                                 invalid_value_message=WHOLE_OR_BLANK)
    wait_minutes = IntegerField(_l("Wait between attempts (minutes)"),
                                [Optional(), NumberRange(min=0, message=WHOLE_OR_BLANK)],
                                invalid_value_message=WHOLE_OR_BLANK)
    time_limit_minutes = IntegerField(_l("Time limit (minutes)"),
                                      [Optional(), NumberRange(min=0, message=WHOLE_OR_BLANK)],
                                      invalid_value_message=WHOLE_OR_BLANK)
    counting = StringField(default="highest")
    review = StringField(default="after_passing")

    def values(self) -> dict:
        """The settings as stored (a blank wait is no wait)."""
        return {"attempt_limit": self.attempt_limit.data, "wait_minutes": self.wait_minutes.data or 0,
                "time_limit_minutes": self.time_limit_minutes.data,
                "counting": self.counting.data, "review": self.review.data}


def _decimal_comma(value):
    """'1,5' as Dutch readers type it is 1.5."""
    return value.replace(",", ".") if isinstance(value, str) else value


class ExtraTimeForm(GuardedForm):
    """One person of the course and a multiplier of the time limit."""

    person = StringField(validators=[InputRequired()])
    multiplier = StringField(validators=[InputRequired()], filters=[_decimal_comma])

    def factor(self) -> float | None:
        """The multiplier as a number, None when it is not one (the page says which range is allowed)."""
        try:
            return float(self.multiplier.data)
        except (TypeError, ValueError):
            return None


class CourseLanguageForm(GuardedForm):
    """The course's language; the view checks it against the configured languages."""

    language = StringField(default="")
