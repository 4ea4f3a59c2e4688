"""Helpers for the event tests: fixture courses with an events.yaml, learners launched by name."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from checked_content import load_checked
from elearn.extensions import db
from launch_support import make_browser
from quiz_support import MODULE, VALID, launch_learner

EVENTS_YAML = """\
events:
  - id: workshop-one
    mode: workshop
    title: {nl: "Werkatelier waarde", en: "Value workshop"}
    description: {nl: "Een middag oefenen.", en: "An afternoon of practice."}
    starts: "2027-03-11 13:30"
    ends: "2027-03-11 17:00"
    timezone: Europe/Amsterdam
    location: "Utrecht, zaal 3"
    capacity: %(capacity)s
    organiser: "Dr. O. Organiser"
"""


def courses_with_events(tmp_path: Path, text: str | None = None, capacity: int = 2, module: str = MODULE) -> Path:
    """A copy of the valid fixture courses whose module has this events.yaml."""
    root = tmp_path / "courses"
    shutil.copytree(VALID, root)
    (root / "modules" / module / "events.yaml").write_text(text if text is not None else EVENTS_YAML % {"capacity": capacity})
    return root


@pytest.fixture()
def with_events(app, tmp_path):
    """The fixture courses loaded with one workshop of 2 places in alpha-value."""
    with app.app_context():
        load_checked(courses_with_events(tmp_path))
    return app


def event_id(app, key: str = f"{MODULE}/workshop-one") -> int:
    """The id of an event loaded from a file."""
    from sqlalchemy import select

    from elearn.events.models import Event

    with app.app_context():
        return db.session.scalar(select(Event.id).filter_by(source_key=key))


def learner(platform, sub: str, name: str, email: str | None = None, locale: str = "en"):
    """A new browser launched as this learner on the alpha-value placement: (browser, module page, lt)."""
    browser = make_browser()
    user = {"sub": sub, "name": name, **({"email": email} if email else {})}
    page, lt = launch_learner(platform, browser, user=user, locale=locale)
    return browser, page, lt


def status_of(html: str, event: int) -> str | None:
    """The learner's state at an event as its page shows it (enrolled / waiting / None)."""
    match = re.search(r'class="event-status" data-status="(\w+)"', html)
    return match.group(1) if match else None
