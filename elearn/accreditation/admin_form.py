"""The accreditation administrator's forms (WTForms): the sign-in, and the activity form with modules
and professions as checkboxes with their titles, localised choices, and messages that name the field
that is wrong.

The activity form's field names are the columns of `Activity` (and `rule_<key>` for each part of the
completion rule), so the audit trail and the form speak of the same things. These forms keep
FlaskForm's own CSRF token: the administrator's pages have no launch token to check instead.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from elearn.accreditation.completion import RULE_KEYS
from elearn.accreditation.models import Activity, Administrator
from elearn.accreditation.registers import POINT_KINDS, PROFESSIONS, REGISTERS, canonical_kind
from elearn.catalog.labels import PHASES, content_lang, pick

# The column lengths of Activity, so a long value is refused with a message, not cut or a 500.
ACCREDITATION_ID_MAX = Activity.__table__.c.accreditation_id.type.length
EMAIL_MAX = Administrator.__table__.c.email.type.length
TITLE_MAX = 300

WHOLE_NUMBER = _l("Give a whole number.")
A_DATE = _l("Give a date as yyyy-mm-dd.")
RULE_LABELS = {"lessons": _l("all lessons completed"), "activities": _l("case assignments and reflection done"),
               "post_test": _l("post-test passed"), "evaluation": _l("course evaluation completed"),
               "attestation": _l("time spent attested (caps the points)")}


def _normalised_email(value):
    """An e-mail as accounts are stored: one account however it is typed (' Ada@Example.org')."""
    return value.strip().lower() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    """Sign-in with e-mail and password. The view checks the password even when this form is not valid,
    so that a refused form costs the same hash check as an unknown or a known account (timing)."""

    email = EmailField(_l("E-mail"), [
        InputRequired(_l("Give your e-mail address.")),
        Length(max=EMAIL_MAX, message=_l("An e-mail address has at most %(max)d characters.", max=EMAIL_MAX)),
        Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("Give an e-mail address such as name@example.org."))],
        filters=[_normalised_email])
    password = PasswordField(_l("Password"), [InputRequired(_l("Give your password."))])

    def csrf_refused(self) -> bool:
        """Whether the posted CSRF token was missing or wrong (after validate)."""
        return bool(self.meta.csrf and self.csrf_token.errors)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; a value that is not one of the choices is refused by name."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Every ticked value must be one of the choices (a forged or stale id is named)."""
        known = {str(value) for value, _label in self.choices}
        unknown = [value for value in self.data or [] if value not in known]
        if unknown:
            raise ValidationError(_("Not a choice here: %(values)s.", values=", ".join(unknown)))


class ChoiceField(SelectField):
    """One choice; a value that is not one of the choices is refused by name."""

    def pre_validate(self, form) -> None:
        """The chosen value must be one of the choices."""
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_("Not a choice here: %(values)s.", values=self.data or "—"))


def _points(form, field) -> None:
    """Points are a number above 0, with a decimal comma or point."""
    try:
        field.data = float((field.raw_data or [""])[0].replace(",", ".").strip())
    except ValueError:
        field.data = None
    if field.data is None or not field.data > 0 or field.data > 1000:
        raise ValidationError(_("Points must be a number above 0 (at most 1000)."))


class ActivityForm(FlaskForm):
    """Create or change an accredited activity."""

    title_nl = StringField(_l("Title (Dutch)"), [DataRequired(_l("Give the title in Dutch.")),
                                                 Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title (English)"), [DataRequired(_l("Give the title in English.")),
                                                   Length(max=TITLE_MAX)])
    module_ids = CheckboxesField(_l("Module or bundle of modules"),
                                 [DataRequired(_l("Choose at least one module."))])
    register = ChoiceField(_l("Accrediting body and register"), [DataRequired(_l("Choose a register."))])
    accreditation_id = StringField(_l("Accreditation id at the body"), [
        DataRequired(_l("Give the accreditation id the body gave this activity.")),
        Length(max=ACCREDITATION_ID_MAX, message=_l("An accreditation id has at most %(max)d characters.",
                                                    max=ACCREDITATION_ID_MAX))])
    points = StringField(_l("Points"), [_points])
    points_kind = ChoiceField(_l("Kind of points"), [DataRequired(_l("Choose the kind of points."))],
                              default="accreditation hours")
    study_load_minutes = IntegerField(
        _l("Accredited study load (minutes)"), invalid_value_message=WHOLE_NUMBER,
        validators=[InputRequired(_l("Give the study load in whole minutes.")),
                    NumberRange(min=1, max=100000, message=_l("The study load is a whole number of minutes above 0."))])
    valid_from = DateField(_l("Valid from"), [InputRequired(_l("Give the first day of the validity period."))],
                           invalid_value_message=A_DATE)
    valid_until = DateField(_l("Valid until"), [InputRequired(_l("Give the last day of the validity period."))],
                            invalid_value_message=A_DATE)
    retention_years = IntegerField(
        _l("Keep records for (years)"), invalid_value_message=WHOLE_NUMBER, default=5,
        validators=[Optional(), NumberRange(min=5, max=100, message=_l("Records are kept 5 years or more."))])
    professions = CheckboxesField(_l("Target professions"))
    pass_mark = IntegerField(
        _l("Pass mark for the credit (%, blank: the post-test’s own)"), invalid_value_message=WHOLE_NUMBER,
        validators=[Optional(), NumberRange(min=1, max=100, message=_l("A pass mark is a percentage from 1 to 100."))])

    def validate_valid_until(self, field) -> None:
        """The period in order."""
        if self.valid_from.data and field.data and field.data < self.valid_from.data:
            raise ValidationError(_("The period ends before it starts."))

    def rule_fields(self) -> list:
        """The completion rule's checkboxes, in RULE_KEYS order."""
        return [self[f"rule_{key}"] for key in RULE_KEYS]

    def values(self) -> dict:
        """The activity's columns from a validated form."""
        rule = {key: bool(self[f"rule_{key}"].data) for key in RULE_KEYS}
        if self.pass_mark.data is not None:
            rule["pass_mark"] = float(self.pass_mark.data)
        return {"title": {"nl": self.title_nl.data.strip(), "en": self.title_en.data.strip()},
                "module_ids": list(self.module_ids.data), "register": self.register.data,
                "accreditation_id": self.accreditation_id.data.strip(), "points": self.points.data,
                "points_kind": self.points_kind.data, "study_load_minutes": self.study_load_minutes.data,
                "valid_from": self.valid_from.data, "valid_until": self.valid_until.data,
                "professions": list(self.professions.data), "rule": rule,
                "retention_years": self.retention_years.data or 5}


for _key in RULE_KEYS:
    setattr(ActivityForm, f"rule_{_key}", BooleanField(RULE_LABELS[_key]))


def module_label(module) -> str:
    """A module as the administrator knows it: its title in the page's language and its phases."""
    content = module.current_version.content if module.current_version else {}
    phases = " · ".join(f"{phase} {PHASES[phase]}" for phase in (module.phases or []) if phase in PHASES)
    title = pick(content.get("title") or {}, content_lang()) or module.id
    return f"{title} — {phases}" if phases else title


def build(modules, activity: Activity | None, formdata=None) -> ActivityForm:
    """The form for an activity (new when None), with its choices; posted values when given."""
    data = None
    if activity is not None:
        kind = canonical_kind(activity.points_kind) or activity.points_kind
        data = {"title_nl": activity.title.get("nl", ""), "title_en": activity.title.get("en", ""),
                "module_ids": list(activity.module_ids), "register": activity.register,
                "accreditation_id": activity.accreditation_id, "points": f"{activity.points:g}",
                "points_kind": kind, "study_load_minutes": activity.study_load_minutes,
                "valid_from": activity.valid_from, "valid_until": activity.valid_until,
                "retention_years": activity.retention_years, "professions": list(activity.professions or []),
                "pass_mark": int(activity.rule["pass_mark"]) if activity.rule.get("pass_mark") else None,
                **{f"rule_{key}": bool(activity.rule.get(key)) for key in RULE_KEYS}}
    elif formdata is None:
        data = {"points_kind": "accreditation hours", "retention_years": 5, "rule_post_test": True}
    form = ActivityForm(formdata=formdata, data=data)
    form.module_ids.choices = [(m.id, module_label(m)) for m in modules]
    live = {m.id for m in modules}
    for module_id in (activity.module_ids if activity else []):
        if module_id not in live:               # retired since: still listed, so saving does not drop it unseen
            form.module_ids.choices.append((module_id, module_id))
    form.register.choices = [(code, r.name) for code, r in REGISTERS.items()]
    form.points_kind.choices = [(key, str(label)) for key, label in POINT_KINDS.items()]
    if activity is not None and not canonical_kind(activity.points_kind):
        form.points_kind.choices.append((activity.points_kind, activity.points_kind))   # typed before it was a choice
    form.professions.choices = [(key, str(label)) for key, label in PROFESSIONS.items()]
    return form
