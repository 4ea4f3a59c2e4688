"""The deep-linking picker's one form (WTForms): the filters, the course language and the ticked
modules, read from the query string (filter buttons submit with GET) or the posted choice.

Filters are lenient by design: an unknown phase, pillar, mode or role means "all", so an old link or
a module's retired role still opens the picker. The choice is strict, by the deep-linking rules
(deeplinking.chosen_modules: live, not retired, no more than the LMS takes), which also tell an
unknown module from a retired one; fixed choices here would refuse the ticked modules the filters
hide ("also chosen"), which the form carries along.

A posted picker form is checked by `form_is_genuine` before it is read (`GuardedForm`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectMultipleField, StringField
from wtforms.validators import ValidationError

from elearn.catalog.schema import CANMEDS, MODES, PHASES, PILLARS
from elearn.instructor.deeplinking import ChoiceRefused, DeepLinkSettings, chosen_modules
from elearn.instructor.picker_catalog import PickerFilters, course_lang_of
from elearn.launch.form_guard import GuardedForm

SEARCH_MAX = 100


def _one_line(value):
    """A search as words: runs of blank space are one space, and it is not longer than SEARCH_MAX."""
    return " ".join(value.split())[:SEARCH_MAX] if isinstance(value, str) else value


def _known(value: str | None, known) -> str:
    """The value when it is one of `known`, else "" (all)."""
    return value if value in known else ""


class PickerForm(GuardedForm):
    """Filters and choice; `filters()` is what the catalog is narrowed to, `validate()` checks the
    choice (given the platform's settings) and keeps its modules in `modules`."""

    q = SearchField(_l("Search"), default="", filters=[_one_line])
    phase = StringField(_l("Career phase"), default="")
    pillar = StringField(_l("Pillar"), default="")
    mode = StringField(_l("Mode of teaching"), default="")
    role = StringField(_l("CanMEDS role"), default="")
    course_lang = StringField(_l("Course language"), default="")
    cell = StringField(default="")          # a matrix cell's button, "pillar:phase"; wins over the selects
    clear = StringField(default="")         # the "clear filters" button: every filter off, the choice kept
    module = SelectMultipleField(_l("Choose modules"), validate_choice=False)

    def __init__(self, *args, settings: DeepLinkSettings | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings = settings
        self.modules: list = []
        self.refused_status = 400

    def filters(self, default_lang: str | None) -> PickerFilters:
        """The filters asked for (unknown values: all), in a course language the catalog is written in."""
        course_lang = course_lang_of(self.course_lang.data, default_lang)
        if self.clear.data:
            return PickerFilters(course_lang)
        pillar, phase = self.pillar.data, self.phase.data
        if self.cell.data:
            pillar, _, phase = self.cell.data.partition(":")
        return PickerFilters(course_lang=course_lang, q=self.q.data or "", phase=_known(phase, PHASES),
                             pillar=_known(pillar, PILLARS), mode=_known(self.mode.data, MODES),
                             role=_known(self.role.data, CANMEDS))

    def ticked(self) -> list[str]:
        """Module ids ticked so far (carried through filter changes), once each; one for radio buttons."""
        ids = list(dict.fromkeys(v for v in self.module.data or [] if v))
        return ids if self.settings is None or self.settings.accept_multiple else ids[:1]

    def validate_module(self, field) -> None:
        """The choice by the deep-linking rules; its modules are kept in `modules`."""
        try:
            self.modules = chosen_modules(field.data or [], self.settings)
        except ChoiceRefused as refused:
            self.refused_status = refused.status
            raise ValidationError(str(refused.message)) from None
