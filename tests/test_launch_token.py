"""The launch token `lt` as a credential: it lives an hour with sliding renewal inside the launch
session's absolute end, scripts may send it in a header, and on its own — copied, old or renewed —
it does not unlock a learner's personal data (export and erasure need a fresh launch)."""
from __future__ import annotations

import time
from datetime import timedelta

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from demolms.browser import forms
from elearn.extensions import db
from launch_support import browser, error_code, lt_of, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)

EMAIL = "nina@example.org"


def _backdated(app, token: str, seconds: int, *, renewed: bool = False) -> str:
    """The same launch session's token, signed `seconds` ago (as if copied from an old link)."""
    from elearn.launch.operations import TOKEN_SALT, read_token

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    with app.app_context():
        session_id, secret = read_token(token)
    payload = {"s": session_id, "k": secret, **({"r": 1} if renewed else {})}
    return URLSafeTimedSerializer(app.secret_key, salt=TOKEN_SALT, signer=Backdated).dumps(payload)


def _launch(platform, browser, link: str = "rl-lt") -> str:
    """A learner's launch; its token."""
    resp = platform.launch(browser, role="learner", locale="en", resource_link_id=link,
                           user={"sub": "nina", "name": "Nina Privé", "email": EMAIL})
    return lt_of(resp.url)


def test_a_copied_old_launch_url_does_not_export_personal_data(app, tool, platform, browser):
    token = _launch(platform, browser)
    old = _backdated(app, token, 11 * 60)          # still a valid session token, but 11 minutes old
    attacker = make_browser()                      # no cookie, only the copied URL
    assert "Nina" in attacker.get(f"{tool.url}/catalog/", params={"lt": old}).text  # the session itself lives
    refused = attacker.get(f"{tool.url}/accreditation/my-data.json", params={"lt": old})
    assert refused.status_code == 403 and EMAIL not in refused.text and "Nina" not in refused.text
    assert refused.json()["error"] == "fresh_launch_required"
    assert "Open the activity in your course again" in refused.json()["message"]
    fresh = make_browser().get(f"{tool.url}/accreditation/my-data.json", params={"lt": token})
    assert fresh.status_code == 200 and fresh.json()["account"]["email"] == EMAIL


def test_a_renewed_token_is_no_fresh_launch(app, tool, platform, browser):
    token = _launch(platform, browser, "rl-lt-renewed")
    renewed = _backdated(app, token, 5, renewed=True)  # young, but minted by sliding renewal
    refused = make_browser().get(f"{tool.url}/accreditation/my-data.json", params={"lt": renewed})
    assert refused.status_code == 403 and EMAIL not in refused.text
    page = make_browser().get(f"{tool.url}/accreditation/privacy", params={"lt": renewed})
    assert page.status_code == 200 and 'id="fresh-launch-needed"' in page.text and "my-data.json" not in page.text


def test_erasure_with_an_old_token_is_refused_and_erases_nothing(app, tool, platform, browser):
    from elearn.launch.models import User

    token = _launch(platform, browser, "rl-lt-erase")
    old = _backdated(app, token, 20 * 60)
    attacker = make_browser()
    refused = attacker.post(f"{tool.url}/accreditation/erase", data={"lt": old, "confirm": "erase"})
    assert refused.status_code == 403 and error_code(refused) == "fresh_launch_required"
    assert "Open VBHC Academy again from your LMS" in refused.text
    with app.app_context():
        assert db.session.query(User).filter_by(email=EMAIL).count() == 1
    page = make_browser().get(f"{tool.url}/accreditation/privacy", params={"lt": token})
    form = next(f for f in forms(page.text) if f["action"].startswith("/accreditation/erase"))
    assert "lt=" not in form["action"] and form["fields"]["lt"] == token  # a form field, not in the URL
    done = make_browser().post(tool.url + form["action"], data=dict(form["fields"], confirm="erase"))
    assert done.status_code == 200
    with app.app_context():
        assert db.session.query(User).filter_by(email=EMAIL).count() == 0


def test_a_token_past_half_its_life_slides_to_a_new_one(app, tool, platform, browser):
    token = _launch(platform, browser, "rl-lt-slide")
    assert app.config["LAUNCH_TOKEN_MAX_AGE"] == 3600
    young = make_browser().get(f"{tool.url}/catalog/", params={"lt": token})
    assert "X-Launch-Token" not in young.headers and f"lt={token}" in young.text
    aging = _backdated(app, token, 40 * 60)
    page = make_browser().get(f"{tool.url}/catalog/", params={"lt": aging})
    renewed = page.headers["X-Launch-Token"]
    assert renewed != aging and f"lt={renewed}" in page.text and f"lt={aging}" not in page.text
    assert "Nina" in make_browser().get(f"{tool.url}/catalog/", params={"lt": renewed}).text
    expired = _backdated(app, token, 61 * 60)
    assert "Nina" not in make_browser().get(f"{tool.url}/catalog/", params={"lt": expired}).text


def test_renewal_never_outlives_the_launch_session(app, tool, platform, browser):
    from elearn.launch.models import LaunchSession
    from elearn.launch.operations import read_token

    token = _launch(platform, browser, "rl-lt-end")
    renewed = make_browser().get(f"{tool.url}/catalog/", params={"lt": _backdated(app, token, 40 * 60)})
    renewed = renewed.headers["X-Launch-Token"]
    with app.app_context():
        row = db.session.get(LaunchSession, read_token(token)[0])
        assert row.expires_at - row.created_at == timedelta(seconds=app.config["LAUNCH_SESSION_MAX_AGE"])
        row.expires_at = row.created_at      # the session's absolute end has come
        db.session.commit()
    assert "Nina" not in make_browser().get(f"{tool.url}/catalog/", params={"lt": renewed}).text


def test_scripts_may_send_the_token_in_a_header(app, tool, platform, browser):
    token = _launch(platform, browser, "rl-lt-header")
    page = make_browser().get(f"{tool.url}/catalog/", headers={"X-Launch-Token": token})
    assert "Nina" in page.text
    assert make_browser().get(f"{tool.url}/accreditation/my-data.json",
                              headers={"X-Launch-Token": token}).json()["account"]["email"] == EMAIL


def test_a_form_from_before_the_renewal_still_posts(app, tool, platform, browser):
    token = _launch(platform, browser, "rl-lt-form")
    aging = _backdated(app, token, 40 * 60)
    page = make_browser().get(f"{tool.url}/accreditation/privacy", params={"lt": aging})
    resp = make_browser().post(f"{tool.url}/accreditation/erase", data={"lt": aging, "confirm": "no"},
                               allow_redirects=False)
    assert page.status_code == 200 and resp.status_code == 403   # not fresh, but a genuine form: no 400
    assert error_code(resp) == "fresh_launch_required"
