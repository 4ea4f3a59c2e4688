"""The administrator's activity form: modules and professions as checkboxes with their titles and
phases, choices in the page's language, full accreditation ids, forged or bad values refused by field
with what was typed kept, and every change — the demo seed's too — in the audit trail."""
from __future__ import annotations

import re
from datetime import date
from html import unescape

from sqlalchemy import func, select

from elearn.accreditation.models import Activity, ActivityChange
from elearn.extensions import db
from quiz_support import MODULE, loaded  # noqa: F401
from test_accreditation_admin import _csrf, _form, _signed_in


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_form_offers_modules_and_professions_as_labelled_checkboxes_in_the_page_language(loaded, runner,
                                                                                             live_server):
    browser, _home = _signed_in(runner, live_server)
    new = browser.get(f"{live_server.url}/admin/activities/new")
    assert new.status_code == 200 and "<select multiple" not in new.text and 'multiple' not in new.text
    inputs = [dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in re.findall(r"<input[^>]*>", new.text)]
    assert {"name": "module_ids", "type": "checkbox", "value": "alpha-value"}.items() <= next(
        i for i in inputs if i.get("value") == "alpha-value").items()
    words = _text(new.text)
    assert "Value and outcomes — A Basic curriculum · B Postgraduate training · C Continuing education" in words
    assert "Medical specialist" in words and 'data-filter-list="list-module_ids"' in new.text
    assert "checkbox-filter.js" in new.text and "<script>" not in new.text
    browser.headers["Accept-Language"] = "nl"
    dutch = _text(browser.get(f"{live_server.url}/admin/activities/new").text)
    assert "Waarde en uitkomsten — A" in dutch and "Medisch specialist" in dutch
    assert "accreditatie-uren" in dutch and "accreditation hours" not in dutch


def test_forged_and_bad_values_are_refused_by_field_and_what_was_typed_is_kept(loaded, runner, live_server):
    browser, _home = _signed_in(runner, live_server)
    new = browser.get(f"{live_server.url}/admin/activities/new")
    url = f"{live_server.url}/admin/activities/new"
    for changes, message in (({"module_ids": "not-a-module"}, "Not a choice here: not-a-module."),
                             ({"professions": "administrator"}, "Not a choice here: administrator."),
                             ({"points_kind": "bitcoin"}, "Not a choice here: bitcoin."),
                             ({"register": "nowhere"}, "Not a choice here: nowhere."),
                             ({"accreditation_id": "X" * 65}, "at most 64 characters"),
                             ({"pass_mark": "500"}, "from 1 to 100"),
                             ({"study_load_minutes": "ninety"}, "Give a whole number."),
                             ({"valid_until": "2000-01-01"}, "The period ends before it starts."),
                             ({"retention_years": "2"}, "5 years or more")):
        refused = browser.post(url, data=_form(_csrf(new.text), title_en="Typed by hand", **changes))
        assert refused.status_code == 422, changes
        assert message in unescape(refused.text), (changes, _text(refused.text)[:600])
        assert 'value="Typed by hand"' in refused.text and "The activity is not saved" in refused.text
    assert _count(loaded, Activity) == 0 and _count(loaded, ActivityChange) == 0
    full = "GAIA-" + "1234567890" * 5 + "ABCDEFGHI"                       # 64 characters: the column's length
    saved = browser.post(url, data=_form(_csrf(new.text), accreditation_id=full, points_kind="accreditation points",
                                         professions=["medical-specialist", "nurse"]))
    assert saved.status_code == 200 and "The activity is saved" in saved.text and full in saved.text
    with loaded.app_context():
        activity = db.session.scalar(select(Activity))
        assert activity.accreditation_id == full and activity.points_kind == "accreditation points"
        assert activity.professions == ["medical-specialist", "nurse"] and activity.module_ids == [MODULE]


def test_the_demo_seed_writes_full_ids_and_audit_entries(loaded, runner):
    with loaded.app_context():                                           # a demo database seeded by an older version
        db.session.add(Activity(title={"nl": "Oud", "en": "Old"}, module_ids=["alpha-value"], register="gaia",
                                accreditation_id="DEMO-ALPHA", points=1, points_kind="accreditation hours",
                                study_load_minutes=60, valid_from=date(2026, 1, 1),
                                valid_until=date(2027, 12, 31), professions=[], rule={}))
        db.session.commit()
    assert runner.invoke(args=["accreditation", "seed-demo"]).exit_code == 0
    with loaded.app_context():
        old = db.session.scalar(select(Activity))
        assert old.accreditation_id == "DEMO-ALPHA-VALUE"
        trail = db.session.scalars(select(ActivityChange).filter_by(activity_id=old.id)
                                   .order_by(ActivityChange.id)).all()
        assert [c.changed_by for c in trail] == ["flask accreditation seed-demo"] * 2
        assert trail[0].before is None and trail[1].before["accreditation_id"] == "DEMO-ALPHA"
        assert trail[1].after["accreditation_id"] == "DEMO-ALPHA-VALUE"


def test_a_fresh_demo_seed_audits_every_activity(loaded, runner):
    assert runner.invoke(args=["accreditation", "seed-demo"]).exit_code == 0
    assert runner.invoke(args=["accreditation", "seed-demo"]).exit_code == 0    # a second start adds nothing
    with loaded.app_context():
        activities = db.session.scalars(select(Activity)).all()
        assert activities
        for activity in activities:
            assert activity.accreditation_id == "DEMO-" + activity.module_ids[0].upper()
            [change] = db.session.scalars(select(ActivityChange).filter_by(activity_id=activity.id)).all()
            assert change.before is None and change.changed_by == "flask accreditation seed-demo"
            assert change.after["accreditation_id"] == activity.accreditation_id
