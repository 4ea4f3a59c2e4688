"""The learner's forms of accreditation (WTForms): the one claim form (details for the register with
consent, the course evaluation, the time spent) and the erasure confirmation.

Their requests are checked before they are read (`GuardedForm`, elearn.launch.form_guard).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from elearn.accreditation import operations
from elearn.accreditation.registers import IDENTIFIERS, REGISTERS
from elearn.launch.form_guard import GuardedForm

EVALUATION = (
    ("relevance", _l("The module is relevant to my daily practice.")),
    ("quality", _l("The content is accurate and of good quality.")),
    ("objectives", _l("The learning objectives were met.")),
    ("independence", _l("The module is free of commercial influence.")),
)
LIKERT = ((1, _l("strongly disagree")), (2, _l("disagree")), (3, _l("neutral")), (4, _l("agree")),
          (5, _l("strongly agree")))
COMMENT_MAX = 2000
MINUTES_A_DAY = 24 * 60
ATTESTATION = _l("Give the time you spent in whole minutes.")


class ClaimForm(GuardedForm):
    """Whichever parts of the claim are still needed; `problems(steps)` checks only those parts."""

    registered_name = StringField(_l("Name as registered"))
    profession = StringField(_l("Profession"))
    consent = BooleanField(_l("I agree that these details are recorded and sent to the register as described above."),
                           false_values=("", "false", "no"))
    comment = TextAreaField(_l("Comments (optional)"))
    minutes = IntegerField(_l("Minutes you actually spent on this activity"), invalid_value_message=ATTESTATION,
                           validators=[InputRequired(ATTESTATION),
                                       NumberRange(min=1, max=MINUTES_A_DAY, message=ATTESTATION)])

    def identifiers(self) -> dict[str, str]:
        """The register numbers as typed."""
        return {key: self[key].data or "" for key in IDENTIFIERS}

    def typed(self) -> dict[str, str]:
        """What the learner posted, field by field, to fill the form again after a refusal."""
        return {field.name: (field.raw_data or [""])[0] for field in self if field.raw_data}

    def _identity_problems(self, activity) -> dict:
        """The register's details: the domain's own check (operations.clean_identity) field by field,
        the number this register needs, and consent — ticked with the form's own value."""
        _name, _profession, cleaned, problems = operations.clean_identity(
            self.registered_name.data or "", self.profession.data or "", self.identifiers())
        messages = {"registered_name": _("Give your name as it is registered."),
                    "profession": _("Choose your profession."), "big": _("A BIG number has 11 digits.")}
        errors = {field: messages.get(field, _("This number is not valid.")) for field in problems}
        needed = REGISTERS[activity.register].identifier
        if needed not in errors and not cleaned.get(needed):
            errors[needed] = _("This register needs this number to credit your points.")
        if self.consent.raw_data != ["yes"]:
            errors["consent"] = _("Tick the box to agree that these details are sent.")
        return errors

    def evaluation_answers(self) -> dict | None:
        """The evaluation's answers, or None when a statement is not answered (or not 1 to 5)."""
        if not all(self[key].validate(self) for key, _label in EVALUATION):
            return None
        answers = {key: self[key].data for key, _label in EVALUATION}
        answers["comment"] = (self.comment.data or "").strip()[:COMMENT_MAX]
        return answers

    def problems(self, activity, steps: dict) -> dict:
        """{part or field: message} for the parts still needed (`steps`), in the page's language."""
        errors = self._identity_problems(activity) if steps["identity"] else {}
        if steps["evaluation"] and self.evaluation_answers() is None:
            errors["evaluation"] = _("Answer every statement.")
        if steps["attestation"] and not self.minutes.validate(self):
            errors["attestation"] = str(ATTESTATION)
        return errors


for _key in IDENTIFIERS:
    setattr(ClaimForm, _key, StringField(IDENTIFIERS[_key][0]))
for _key, _statement in EVALUATION:
    setattr(ClaimForm, _key, RadioField(_statement, choices=[SelectChoice(value, str(value)) for value, _label in LIKERT],
                                        coerce=int, validators=[InputRequired(_l("Answer every statement."))],
                                        validate_choice=True))


class EraseForm(GuardedForm):
    """The learner confirms erasure by the button's own value, so a stray POST erases nothing."""

    confirm = StringField()

    def confirmed(self) -> bool:
        """Only the button's value confirms."""
        return self.confirm.data == "erase"
