"""Rules for modules/<id>/events.yaml (optional): dated workshops, masterclasses, visits, webinars.

Each event is checked by the same function as the instructor's and administrator's forms
(elearn.events.operations.checked), and its refusal is reported at the line of the field.
"""
from __future__ import annotations

from elearn.catalog.problems import FileReporter
from elearn.catalog.schema import ID_MAX, Fields, is_mapping
from elearn.events.models import MODES
from elearn.events.operations import EventFields, EventInvalid, checked

EVENT_KEYS = ("id", "mode", "title", "description", "starts", "ends", "capacity", "organiser")
OPTIONAL_KEYS = ("timezone", "location", "online_url")
# The form's field names that are not the file's keys.
_FIELD_KEYS = {"title_nl": "title", "title_en": "title", "description_nl": "description",
               "description_en": "description"}


def check_events(report: FileReporter, data, module_modes: list[str]) -> list[dict]:
    """Validate events.yaml; returns the events that passed, as EventFields keyword values with their id."""
    if not is_mapping(data):
        report.error(1, "events.yaml must be a mapping with a list 'events'", "schema.type")
        return []
    fields = Fields(report, data)
    fields.keys(("events",))
    items = fields.items("events", min_len=1)
    found, ids = [], set()
    for index, item in enumerate(items or []):
        if not is_mapping(item):
            report.error(items.line_of(index), f"event {index + 1} must be a mapping", "schema.type")
            continue
        event = _event(Fields(report, item, f"event {index + 1}: "), module_modes, ids)
        if event is not None:
            found.append(event)
    return found


def _event(fields: Fields, module_modes: list[str], ids: set[str]) -> dict | None:
    """One event: its keys, a unique id, a mode the module offers, then the shared field checks."""
    complete = fields.keys(EVENT_KEYS, OPTIONAL_KEYS)
    event_id = fields.ident("id", "event id", max_len=ID_MAX)
    if event_id:
        fields.prefix = f"event '{event_id}': "
        if event_id in ids:
            fields.error("id", f"id '{event_id}' is used twice in this file", "id.unique")
            return None
        ids.add(event_id)
    data = fields.data
    mode = data.raw_of("mode")
    if "mode" in data and mode in MODES and mode != "webinar" and mode not in module_modes:
        fields.error("mode", f"mode '{mode}' is not among the module's modes in module.yaml "
                             f"({', '.join(module_modes) or 'none'}); add it there or choose another", "events.mode")
        return None
    title, description = fields.bilingual("title"), fields.bilingual("description")
    for key in ("starts", "ends"):
        if key in data and not isinstance(data[key], str):
            fields.error(key, f"'{key}' must be quoted text such as \"2027-03-11 13:30\" (unquoted, YAML reads "
                              "dates and times as something else)", "events.time")
            complete = False
    if not complete or not event_id or title is None or description is None:
        return None
    capacity = data.get("capacity")
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        fields.error("capacity", "'capacity' must be a whole number of places", "schema.type")
        return None
    values = {"mode": mode, "title": title, "description": description, "starts": data["starts"],
              "ends": data["ends"], "timezone": data.get("timezone") or "Europe/Amsterdam",
              "location": data.get("location"), "online_url": data.get("online_url"), "capacity": capacity,
              "organiser": data.get("organiser") if isinstance(data.get("organiser"), str) else ""}
    for key in ("timezone", "location", "online_url"):
        if key in data and not isinstance(data[key], str):
            fields.error(key, f"'{key}' must be text", "schema.type")
            return None
    try:
        checked(EventFields(**values))
    except EventInvalid as invalid:
        key = _FIELD_KEYS.get(invalid.field, invalid.field)
        fields.error(key if key in data else None, str(invalid), f"events.{key.replace('_', '-')}")
        return None
    return dict(values, id=event_id)
