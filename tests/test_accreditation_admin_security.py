"""Attacks on the accreditation administrator's sign-in, performed over HTTP and refused: guessing
passwords (per address and per account), telling known e-mails by the work done, replaying a cookie
after logout or a password change, sessions that never end, cross-site posts and framing /admin."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from elearn.accreditation import admin as admin_views
from elearn.accreditation.models import Activity, AdminSession
from elearn.extensions import db, limiter
from elearn.framing import origin_of
from launch_support import make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from lti.models import utcnow
from quiz_support import MODULE, loaded  # noqa: F401 (fixture)

EMAIL, PASSWORD = "admin@example.org", "correct horse battery"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture()
def admin(runner):
    """One administrator account, made the way operators make it."""
    result = runner.invoke(args=["accreditation", "create-admin", "--email", EMAIL, "--name", "Ada Admin",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output


def _limits(app, per_address: str = "100000 per hour", per_account: str = "100000 per hour") -> None:
    app.config.update(RATELIMIT_ADMIN_LOGIN=per_address, RATELIMIT_ADMIN_ACCOUNT=per_account)
    limiter.reset()


def _try(client, email: str, password: str, address: str = "203.0.113.7", **headers):
    """One sign-in attempt from a client address, as an attacker's script makes it."""
    page = client.get("/admin/login", environ_base={"REMOTE_ADDR": address})
    return client.post("/admin/login", data={"csrf_token": _csrf(page.text), "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def _signed_in(live_server):
    """A browser signed in as the administrator over real HTTP."""
    browser = make_browser()
    browser.headers["Accept-Language"] = "en"
    page = browser.get(f"{live_server.url}/admin/login")
    home = browser.post(f"{live_server.url}/admin/login", data={"csrf_token": _csrf(page.text), "email": EMAIL,
                                                                "password": PASSWORD})
    assert home.status_code == 200 and "Accredited activities" in home.text
    return browser, home


def _replay(live_server, browser) -> requests.Response:
    """The admin page asked for by a thief holding a copy of the browser's session cookie."""
    stolen = browser.cookies.get("session")
    assert stolen
    return requests.get(f"{live_server.url}/admin/", headers={"Cookie": f"session={stolen}"}, allow_redirects=False)


def test_forty_wrong_passwords_from_one_address_get_429_after_the_limit(app, client, admin):
    _limits(app, per_address="5 per 15 minutes")
    # Different e-mails (the per-account limit is not what stops this) and a forged X-Forwarded-For,
    # which counts for nothing without PROXY_FIX.
    codes = [_try(client, f"guess{i}@example.org", "nope", **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code
             for i in range(40)]
    assert codes == [401] * 5 + [429] * 35
    refused = _try(client, EMAIL, PASSWORD, **{"Accept-Language": "en"})
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60 and refused.headers["Cache-Control"] == "no-store"
    assert client.get("/admin/", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 302   # not signed in
    dutch = _try(client, EMAIL, PASSWORD, **{"Accept-Language": "nl"})
    assert dutch.status_code == 429 and "Te veel aanmeldpogingen" in dutch.text
    # Another address is not punished for this one.
    assert _try(client, EMAIL, PASSWORD, address="192.0.2.50").status_code == 302


def test_one_account_guessed_from_many_addresses_is_locked_known_or_not(app, client, admin):
    _limits(app, per_account="5 per 15 minutes")
    typed = [EMAIL, " Admin@Example.org", "ADMIN@example.org "]          # one account, however typed
    codes = [_try(client, typed[i % 3], "nope", address=f"10.0.{i}.1").status_code for i in range(40)]
    assert codes == [401] * 5 + [429] * 35
    assert _try(client, EMAIL, PASSWORD, address="10.9.9.9").status_code == 429       # even the right password
    # An e-mail no one has is locked the same way, so a 429 tells nothing about which accounts exist.
    unknown = [_try(client, "nobody@example.org", "nope", address=f"10.1.{i}.1").status_code for i in range(7)]
    assert unknown == [401] * 5 + [429] * 2


def test_an_unknown_email_costs_the_same_password_hash_check(app, client, admin, monkeypatch):
    checked: list[str] = []
    real = admin_views.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])     # the method and its cost, e.g. scrypt:32768:8:1
        return real(pwhash, password)

    monkeypatch.setattr(admin_views, "check_password_hash", counting)
    known = _try(client, EMAIL, "nope")
    assert known.status_code == 401 and len(checked) == 1
    unknown = _try(client, "nobody@example.org", "nope")
    assert unknown.status_code == 401 and len(checked) == 2
    assert checked[0] == checked[1]
    assert unknown.get_data(as_text=True).replace(_csrf(unknown.text), "") == \
        known.get_data(as_text=True).replace(_csrf(known.text), "")


def test_a_refused_sign_in_form_names_the_field_and_still_costs_one_hash_check(app, client, admin, monkeypatch):
    checked: list[str] = []
    real = admin_views.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(admin_views, "check_password_hash", counting)
    cases = [("", "nope", "Give your e-mail address."),
             ("  not-an-address ", "nope", "Give an e-mail address such as name@example.org."),
             ("x" * 320 + "@example.org", "nope", "An e-mail address has at most 320 characters."),
             (EMAIL, "", "Give your password.")]          # a known account: the same page as any other
    for number, (email, password, message) in enumerate(cases, start=1):
        refused = _try(client, email, password, **{"Accept-Language": "en"})
        assert refused.status_code == 422 and message in refused.text, (email, refused.status_code)
        assert len(checked) == number and set(checked) == {checked[0]}      # one check, one method, every time
        assert 'aria-invalid="true"' in refused.text
        if email.strip():
            assert f'value="{email.strip().lower()}"' in refused.text      # what was typed is kept
    dutch = _try(client, "", "nope", **{"Accept-Language": "nl"})
    assert dutch.status_code == 422 and "Geef je e-mailadres." in dutch.text
    assert client.get("/admin/", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 302   # not signed in


def test_a_sign_in_without_its_csrf_token_is_refused_before_any_work(app, client, admin, monkeypatch):
    checked: list[str] = []
    monkeypatch.setattr(admin_views, "check_password_hash", lambda pwhash, password: checked.append(pwhash))
    refused = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 400 and "CSRF" in refused.text and checked == []


def test_a_cookie_copied_before_logout_is_refused_after_it(app, admin, live_server):
    browser, home = _signed_in(live_server)
    assert _replay(live_server, browser).status_code == 200            # the copy works while signed in
    stolen = browser.cookies.get("session")
    out = browser.post(f"{live_server.url}/admin/logout", data={"csrf_token": _csrf(home.text)},
                       allow_redirects=False)
    assert out.status_code == 302
    replayed = requests.get(f"{live_server.url}/admin/", headers={"Cookie": f"session={stolen}"},
                            allow_redirects=False)
    assert replayed.status_code == 302 and "/admin/login" in replayed.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(AdminSession.revoked_at)) is not None


@pytest.mark.parametrize("moved", ["last_seen_at", "created_at"])
def test_sessions_end_when_idle_or_too_old(app, admin, live_server, moved):
    browser, _home = _signed_in(live_server)
    # Idle for 31 minutes; or in use a moment ago but signed in 12 hours and a minute ago.
    values = {"last_seen_at": utcnow() - timedelta(minutes=31)} if moved == "last_seen_at" else \
        {"last_seen_at": utcnow(), "created_at": utcnow() - timedelta(hours=12, minutes=1)}
    with app.app_context():
        db.session.execute(update(AdminSession).values(values))
        db.session.commit()
    assert _replay(live_server, browser).status_code == 302
    again = browser.get(f"{live_server.url}/admin/")
    assert "/admin/login" in again.url and "Your session has ended" in again.text
    _signed_in(live_server)
    with app.app_context():   # signing in again dropped only the session that can never come back
        assert db.session.scalar(select(func.count()).select_from(AdminSession)) == (1 if moved == "created_at" else 2)


def test_a_session_in_use_stays_until_its_idle_time(app, admin, live_server):
    browser, _home = _signed_in(live_server)
    with app.app_context():
        db.session.execute(update(AdminSession).values(last_seen_at=utcnow() - timedelta(minutes=29),
                                                       created_at=utcnow() - timedelta(hours=11)))
        db.session.commit()
    assert browser.get(f"{live_server.url}/admin/", allow_redirects=False).status_code == 200
    with app.app_context():   # that request counted as use
        assert utcnow() - db.session.scalar(select(AdminSession.last_seen_at)) < timedelta(minutes=1)


def test_a_password_change_signs_out_every_session(app, admin, live_server, runner):
    first, _ = _signed_in(live_server)
    second, _ = _signed_in(live_server)
    changed = runner.invoke(args=["accreditation", "create-admin", "--email", EMAIL, "--name", "Ada Admin",
                                  "--password", "a new long passphrase"])
    assert changed.exit_code == 0
    assert _replay(live_server, first).status_code == 302 and _replay(live_server, second).status_code == 302
    assert "2 session(s) signed out" in changed.output
    page = first.get(f"{live_server.url}/admin/login")
    again = first.post(f"{live_server.url}/admin/login", data={"csrf_token": _csrf(page.text), "email": EMAIL,
                                                               "password": "a new long passphrase"})
    assert again.status_code == 200 and "Accredited activities" in again.text


def test_a_cross_site_post_is_refused_even_with_the_cookie_and_token(app, loaded, admin, live_server):
    browser, home = _signed_in(live_server)
    form = {"csrf_token": _csrf(home.text), "title_nl": "Waarde", "title_en": "Value", "module_ids": MODULE,
            "register": "gaia", "accreditation_id": "GAIA-1", "points": "1", "study_load_minutes": "60",
            "valid_from": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=9)).isoformat()}
    forged = browser.post(f"{live_server.url}/admin/activities/new", data=form,
                          headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403 and "own pages" in forged.text
    assert browser.post(f"{live_server.url}/admin/logout", data={"csrf_token": _csrf(home.text)},
                        headers={"Sec-Fetch-Site": "same-site"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
        assert db.session.scalar(select(AdminSession.revoked_at)) is None      # the logout did not happen
    own = browser.post(f"{live_server.url}/admin/activities/new", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and "The activity is saved" in own.text


def _frame_ancestors(resp) -> str:
    """The frame-ancestors directive of a response's Content-Security-Policy."""
    return next(d.strip() for d in resp.headers["Content-Security-Policy"].split(";")
                if d.strip().startswith("frame-ancestors"))


def test_no_registered_platform_may_frame_the_admin_pages(app, admin, tool, platform):
    catalog = make_browser().get(f"{tool.url}/catalog/")
    assert origin_of(platform.issuer) in catalog.headers["Content-Security-Policy"]   # the platform is registered
    login = make_browser().get(f"{tool.url}/admin/login")
    assert _frame_ancestors(login) == "frame-ancestors 'none'"
    browser, home = _signed_in(tool)
    assert _frame_ancestors(home) == "frame-ancestors 'none'"
    activity = browser.get(f"{tool.url}/admin/activities/new")
    assert _frame_ancestors(activity) == "frame-ancestors 'none'"
