"""The accreditation administrator: signs in with a tool account, keeps activities (with an audit
trail of every change) and downloads the registers' attendance lists."""
import re
from datetime import date, timedelta

from sqlalchemy import select

from elearn.accreditation.models import Activity, ActivityChange
from elearn.extensions import db
from launch_support import make_browser
from quiz_support import MODULE, loaded  # noqa: F401


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _signed_in(runner, live_server):
    result = runner.invoke(args=["accreditation", "create-admin", "--email", "Admin@Example.org", "--name",
                                 "Ada Admin", "--password", "correct horse battery"])
    assert result.exit_code == 0, result.output
    browser = make_browser()
    browser.headers["Accept-Language"] = "en"
    page = browser.get(f"{live_server.url}/admin/login")
    wrong = browser.post(f"{live_server.url}/admin/login", data={"csrf_token": _csrf(page.text),
                                                                 "email": "admin@example.org", "password": "nope"})
    assert wrong.status_code == 401 and "not right" in wrong.text
    home = browser.post(f"{live_server.url}/admin/login", data={"csrf_token": _csrf(wrong.text),
                                                                "email": "admin@example.org",
                                                                "password": "correct horse battery"})
    assert home.status_code == 200 and "Accredited activities" in home.text and "ledger is intact" in home.text
    return browser, home


def _form(csrf: str, **changes) -> dict:
    form = {"csrf_token": csrf, "title_nl": "Waarde en uitkomsten", "title_en": "Value and outcomes",
            "module_ids": MODULE, "register": "gaia", "accreditation_id": "GAIA-555", "points": "1,5",
            "points_kind": "accreditation hours", "study_load_minutes": "90",
            "valid_from": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=365)).isoformat(),
            "retention_years": "7", "professions": "medical-specialist", "rule_post_test": "on"}
    form.update(changes)
    return form


def test_admin_keeps_activities_with_an_audit_trail(loaded, runner, live_server):
    browser, home = _signed_in(runner, live_server)
    new = browser.get(f"{live_server.url}/admin/activities/new")
    bad = browser.post(f"{live_server.url}/admin/activities/new", data=_form(_csrf(new.text), points="0"))
    assert bad.status_code == 422 and "above 0" in bad.text
    created = browser.post(f"{live_server.url}/admin/activities/new", data=_form(_csrf(new.text)))
    assert created.status_code == 200 and "The activity is saved" in created.text
    with loaded.app_context():
        activity = db.session.scalar(select(Activity))
        assert activity.points == 1.5 and activity.retention_years == 7 and activity.rule["post_test"] is True
        activity_id = activity.id
    changed = browser.post(f"{live_server.url}/admin/activities/{activity_id}",
                           data=_form(_csrf(created.text), points="2"))
    assert "Audit trail" in changed.text and "1.5 → 2.0" in changed.text and "admin@example.org" in changed.text
    with loaded.app_context():
        changes = db.session.scalars(select(ActivityChange).order_by(ActivityChange.id)).all()
        assert [c.changed_by for c in changes] == ["admin@example.org"] * 2
        assert changes[0].before is None and changes[1].before["points"] == 1.5 and changes[1].after["points"] == 2.0
    export = browser.get(f"{live_server.url}/admin/activities/{activity_id}/export", params={"format": "gaia"})
    assert export.status_code == 200 and export.text.startswith("BIG-nummer;Naam;Datum;Punten")


def test_admin_pages_need_a_signed_in_admin_and_csrf(loaded, runner, live_server):
    stranger = make_browser()
    resp = stranger.get(f"{live_server.url}/admin/", allow_redirects=False)
    assert resp.status_code == 302 and "/admin/login" in resp.headers["Location"]
    assert stranger.post(f"{live_server.url}/admin/activities/new", data=_form("x"),
                         allow_redirects=False).status_code == 302
    browser, _home = _signed_in(runner, live_server)
    forged = browser.post(f"{live_server.url}/admin/activities/new", data=_form("forged-token"))
    assert forged.status_code == 400
    with loaded.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Activity)) == 0


def test_demo_seed_accredits_the_phase_c_modules_once(loaded, runner):
    first = runner.invoke(args=["accreditation", "seed-demo"])
    assert first.exit_code == 0 and "admin@demo.local" in first.output
    runner.invoke(args=["accreditation", "seed-demo"])
    with loaded.app_context():
        activities = db.session.scalars(select(Activity)).all()
        from elearn.catalog.models import live_courses

        phase_c = [m for c in live_courses() if c.phase == "C" for m in c.module_ids]
        assert sorted(a.module_ids[0] for a in activities) == sorted(phase_c) and phase_c


FORMULA = '=HYPERLINK("http://x","y")'


def _cells(body: str, delimiter: str) -> list[str]:
    """Every cell of a CSV body, as a spreadsheet would split it."""
    import csv
    import io

    return [value for row in csv.reader(io.StringIO(body), delimiter=delimiter) for value in row]


def test_register_exports_neutralise_spreadsheet_formulas(loaded, runner, live_server):
    from elearn.accreditation import ledger
    from elearn.launch.models import User
    from lti.models import Platform

    with loaded.app_context():
        platform = Platform(issuer="https://lms.example", client_id="c", auth_login_url="https://lms.example/a",
                            auth_token_url="https://lms.example/t", key_set_url="https://lms.example/k")
        activity = Activity(title={"nl": "=1+1", "en": "Value"}, module_ids=[MODULE], register="gaia",
                            accreditation_id="ACC-1", points=1.5, points_kind="uur", study_load_minutes=90,
                            valid_from=date(2026, 1, 1), valid_until=date(2027, 12, 31), professions=["nurse"],
                            rule={"post_test": True})
        db.session.add_all([platform, activity])
        db.session.flush()
        user = User(platform_id=platform.id, sub="formula", name=FORMULA)
        db.session.add(user)
        db.session.commit()
        ledger.record_once(activity.id, user.id, {"name": FORMULA, "profession": "-nurse", "identifiers": {
            "big": "19012345601", "krf": "-2+3+cmd|' /C calc'!A0", "eacceme": "@SUM(1+1)"}},
            {"points": 1.5, "completed_on": "2026-11-02", "points_kind": "uur", "accreditation_id": "ACC-1",
             "activity_title": activity.title, "register": "gaia"})
        activity_id = activity.id
    browser, _home = _signed_in(runner, live_server)
    for fmt, delimiter, expected in (("gaia", ";", {"19012345601", "'" + FORMULA, "02-11-2026", "1,5"}),
                                     ("pe-online", ";", {"'-2+3+cmd|' /C calc'!A0", "'" + FORMULA}),
                                     ("eacceme", ",", {"'@SUM(1+1)", "'" + FORMULA, "'-nurse", "1.5"}),
                                     ("csv", ",", {"'" + FORMULA, "'-nurse", "'=1+1", "1.5"})):
        export = browser.get(f"{live_server.url}/admin/activities/{activity_id}/export",
                             params={"format": fmt, "from": "2026-11-01", "to": "2026-11-30"})
        assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
        cells = _cells(export.text, delimiter)
        assert expected <= set(cells), (fmt, cells)
        assert not [c for c in cells if c.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))], (fmt, cells)
    cli = runner.invoke(args=["accreditation", "export", str(activity_id), "--format", "gaia", "--from", "2026-11-01"])
    assert "'" + FORMULA in _cells(cli.output, ";")
