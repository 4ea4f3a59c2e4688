"""The instructor's form for opening a self-assessment round (WTForms): its title and the date it
is held on. The answers of a round are read by `questions.read_answers` instead: their fields are
the loaded definition's statements, not a fixed form.

Its request is checked before it is read (`GuardedForm`, elearn.launch.form_guard)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from elearn.launch.form_guard import GuardedForm
from elearn.selfassessment.rounds import TITLE_MAX


def _one_line(value):
    """Runs of white space (a pasted line break) become one space."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _calendar_date(form, field) -> None:
    try:
        date.fromisoformat(field.data or "")
    except ValueError:
        raise ValidationError(_l("Give the date as a calendar date (YYYY-MM-DD).")) from None


class RoundForm(GuardedForm):
    """A round's title (one line, at most TITLE_MAX characters) and its date (YYYY-MM-DD)."""

    title = StringField(_l("Title"), filters=[_one_line], validators=[
        DataRequired(_l("Give the round a title, for example “Spring 2027”.")),
        Length(max=TITLE_MAX, message=_l("The title is longer than %(max)s characters.", max=TITLE_MAX))])
    held_on = StringField(_l("Date"), filters=[lambda v: v.strip() if isinstance(v, str) else v],
                          validators=[_calendar_date])

    def page_values(self) -> dict:
        """What the team page fills the form in with: the title as read, the date as typed."""
        return {"title": self.title.data or "", "held_on_raw": self.held_on.data or ""}

    def page_errors(self) -> dict:
        """The first sentence of each wrong field, by field name, as the team page shows them."""
        return {name: messages[0] for name, messages in self.errors.items()}

    def held_on_date(self) -> date:
        """The validated date."""
        return date.fromisoformat(self.held_on.data)
