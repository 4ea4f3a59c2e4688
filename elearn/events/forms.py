"""The events' forms (WTForms): a new event (the instructor's, and the administrator's with its owner
and accreditation), the attendee's check-in and the organiser's attendance correction.

The forms check what a field alone can tell (present, a number, one of the choices); whether the
times exist in the time zone, the end follows the start and a location or link is given stays with
`operations.checked`, which course files pass through too. `first_error()` is what the page shows:
one field, one sentence, in the interface language.

Their requests are checked before they are read (`GuardedForm`, elearn.launch.form_guard).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from elearn.accreditation.registers import REGISTERS
from elearn.events import operations as ops
from elearn.events.models import ATTENDANCE_STATES, MODES
from elearn.launch.form_guard import GuardedForm

# One sentence per field, for the form's own checks and for operations.EventInvalid alike.
MESSAGES = {
    "mode": _l("Choose the kind of event."),
    "title_nl": _l("Give the title in Dutch."), "title_en": _l("Give the title in English."),
    "description_nl": _l("Give the description in Dutch."), "description_en": _l("Give the description in English."),
    "timezone": _l("This time zone does not exist; use a name such as Europe/Amsterdam."),
    "starts": _l("The start is not a date and time that exists in this time zone."),
    "ends": _l("The end must be a date and time after the start, at most two weeks later."),
    "location": _l("Give a location or an online link."),
    "online_url": _l("The online link must start with https://."),
    "capacity": _l("The capacity is a whole number of places, from 1 to 10000."),
    "organiser": _l("Name the organiser."),
    "module": _l("An event belongs to a module or a course."),
}
ACCREDITATION = _l("Choose a register and give the accreditation id, or leave the register blank.")
POINTS = _l("Points must be a number above 0.")
MIN_PERCENT = _l("The minimum attendance is a whole percentage from 1 to 100.")
DEFAULT_MIN_PERCENT = 80     # attendance below this earns no points (courses/README.md "events.yaml")
CORRECTION = _l("Choose present, absent, arrived late or left early; late and early need their "
                "minutes, from 1 to the length of the event.")
# A signed check-in code is well under 100 characters; anything this long is not one.
CODE_MAX = 500


def message_for(error: ops.EventInvalid) -> str:
    """An operations refusal in the interface language (the field is named by the form)."""
    return str(MESSAGES.get(error.field, error))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _decimal_comma(value):
    """'1,5' as Dutch readers type it is 1.5."""
    return value.replace(",", ".") if isinstance(value, str) else value


def _https(form, field) -> None:
    """An online link, when given, is an https:// one (no javascript: or plain http on the page)."""
    if field.data and not field.data.lower().startswith("https://"):
        raise ValidationError(str(MESSAGES["online_url"]))


class _Form(GuardedForm):
    """A form whose page shows its first wrong field (`ERROR_FIELDS` renames a field for the page)."""

    ERROR_FIELDS: dict[str, str] = {}

    def first_error(self) -> dict | None:
        """{"field", "message"} of the first field that is wrong, in the form's order; None when none is."""
        for name, messages in self.errors.items():
            return {"field": self.ERROR_FIELDS.get(name, name), "message": str(messages[0])}
        return None


class EventForm(_Form):
    """The fields of an event, as both the instructor's and the administrator's page have them."""

    mode = StringField(_l("Kind"), [AnyOf(MODES, message=MESSAGES["mode"])])
    title_nl = StringField(_l("Title (Dutch)"), [DataRequired(MESSAGES["title_nl"])])
    title_en = StringField(_l("Title (English)"), [DataRequired(MESSAGES["title_en"])])
    description_nl = TextAreaField(_l("Description (Dutch)"), [DataRequired(MESSAGES["description_nl"])])
    description_en = TextAreaField(_l("Description (English)"), [DataRequired(MESSAGES["description_en"])])
    starts = StringField(_l("Starts (local time)"), [DataRequired(MESSAGES["starts"])])
    ends = StringField(_l("Ends (local time)"), [DataRequired(MESSAGES["ends"])])
    timezone = StringField(_l("Time zone"), [DataRequired(MESSAGES["timezone"])], filters=[_strip])
    location = StringField(_l("Location (address)"), filters=[_strip])
    online_url = StringField(_l("Online link (https://…)"), [_https], filters=[_strip])
    capacity = IntegerField(_l("Places"), [InputRequired(MESSAGES["capacity"]),
                                           NumberRange(min=1, max=ops.MAX_CAPACITY, message=MESSAGES["capacity"])],
                            invalid_value_message=MESSAGES["capacity"])
    organiser = StringField(_l("Organiser"), [DataRequired(MESSAGES["organiser"])], filters=[_strip])

    def fields(self) -> ops.EventFields:
        """The validated form as operations.EventFields (which `operations.create` checks as a whole)."""
        return ops.EventFields(
            mode=self.mode.data, title={"nl": self.title_nl.data, "en": self.title_en.data},
            description={"nl": self.description_nl.data, "en": self.description_en.data},
            starts=self.starts.data, ends=self.ends.data, timezone=self.timezone.data,
            location=self.location.data or None, online_url=self.online_url.data or None,
            capacity=self.capacity.data, organiser=self.organiser.data)


class AdminEventForm(EventForm):
    """The administrator's event: also its owner (a module or a course) and, optionally, its accreditation."""

    # The page marks the owner as "module" and the accreditation fieldset as one, by its register.
    ERROR_FIELDS = {"owner": "module", "accreditation_id": "register", "points": "register",
                    "points_kind": "register", "min_percent": "register"}

    owner = StringField(_l("Module or course"))
    register = StringField(_l("Accrediting body and register"))
    accreditation_id = StringField(_l("Accreditation id at the body"), filters=[_strip])
    points = StringField(_l("Points"), filters=[_strip, _decimal_comma])
    points_kind = StringField(_l("Kind of points"), filters=[_strip])
    min_percent = IntegerField(_l("Minimum attendance for points"),
                               [Optional(), NumberRange(min=1, max=100, message=MIN_PERCENT)],
                               invalid_value_message=MIN_PERCENT)
    prorate = BooleanField(_l("Partial attendance earns points in proportion (rounded down to a quarter hour)"))

    def validate_owner(self, field) -> None:
        """'module:<id>' or 'course:<id>'."""
        kind, _sep, owner_id = (field.data or "").partition(":")
        if kind not in ("module", "course") or not owner_id:
            raise ValidationError(str(MESSAGES["module"]))

    def owner_ids(self) -> dict:
        """module_id= or course_id= for operations.create."""
        kind, _sep, owner_id = self.owner.data.partition(":")
        return {"module_id": owner_id} if kind == "module" else {"course_id": owner_id}

    def validate_register(self, field) -> None:
        """Blank (not accredited), or a known register with the body's accreditation id."""
        if field.data and (field.data not in REGISTERS or not self.accreditation_id.data):
            raise ValidationError(str(ACCREDITATION))

    def validate_points(self, field) -> None:
        """With a register, points above 0."""
        if not self.register.data:
            return
        try:
            points = float(field.data or "")
        except ValueError:
            raise ValidationError(str(POINTS)) from None
        if points <= 0:
            raise ValidationError(str(POINTS))

    def accredited(self) -> bool:
        """Whether the event is to be accredited (a register is chosen)."""
        return bool(self.register.data)

    def attendance_rule(self) -> dict:
        """The activity's attendance rule (the default minimum when the field is blank)."""
        minimum = self.min_percent.data if self.min_percent.data is not None else DEFAULT_MIN_PERCENT
        return {"attendance": {"min_percent": minimum, "prorate": bool(self.prorate.data)}}


class CheckInForm(_Form):
    """The attendee's confirmation: the signed code of the organiser's screen, carried from the scanned URL."""

    c = StringField(_l("Check-in code"), [InputRequired(), Length(max=CODE_MAX)])


class CorrectionForm(_Form):
    """The organiser's correction of one learner's attendance; `attendance.correct` checks the minutes
    against the length of the event."""

    user_id = IntegerField(validators=[InputRequired()])
    state = StringField(_l("Attendance"), [AnyOf(ATTENDANCE_STATES, message=CORRECTION)])
    late_minutes = IntegerField(_l("late (min.)"), [Optional(), NumberRange(min=0, message=CORRECTION)],
                                invalid_value_message=CORRECTION)
    left_early_minutes = IntegerField(_l("left early (min.)"), [Optional(), NumberRange(min=0, message=CORRECTION)],
                                      invalid_value_message=CORRECTION)

    def typed(self) -> dict:
        """What the organiser posted, to show again in their row after a refusal."""
        return {name: (self[name].raw_data or [""])[0] for name in ("state", "late_minutes", "left_early_minutes")}
