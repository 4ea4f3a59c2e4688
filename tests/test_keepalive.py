"""The keep-alive of launched pages over HTTP: `POST /session/keepalive` renews a token past half its
life, refuses a missing, forged or expired one and never outlives the launch session; a form posted
with an expired token is refused with `launch_ended`, saying so plainly and showing the typed text back."""
from __future__ import annotations

import re
import time

import pytest
from itsdangerous import URLSafeTimedSerializer

from elearn.extensions import db
from launch_support import browser, error_code, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from quiz_support import answers, attempt_id_of, begin, form_token, latest_attempt, launch_learner, loaded  # noqa: F401
from test_launch_token import _backdated

ESSAY = "Value is outcomes that matter to patients, per euro spent over the whole care cycle."


def _ping(tool, token: str | None, **headers):
    """One ping of the keep-alive script (its headers, a fresh cookie-less browser)."""
    if token is not None:
        headers["X-Launch-Token"] = token
    return make_browser().post(f"{tool.url}/session/keepalive", headers=headers)


def _session_row(app, token: str):
    """The launch session a token names."""
    from elearn.launch.models import LaunchSession
    from elearn.launch.operations import read_token

    return db.session.get(LaunchSession, read_token(token)[0])


def test_a_young_token_is_kept_and_the_answer_is_not_cached(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ka-young")
    resp = _ping(tool, lt)
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store" and "X-Launch-Token" not in resp.headers


def test_a_token_past_half_its_life_comes_back_renewed(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ka-renew")
    aging = _backdated(loaded, lt, 40 * 60)
    resp = _ping(tool, aging)
    renewed = resp.headers["X-Launch-Token"]
    assert resp.status_code == 200 and renewed not in (aging, lt)
    assert _ping(tool, renewed).status_code == 200
    assert "X-Launch-Token" not in _ping(tool, renewed).headers      # young again: kept as it is


@pytest.mark.parametrize("forge", ["none", "other-key", "tampered", "expired"])
def test_a_missing_forged_or_expired_token_gets_401(loaded, tool, platform, browser, forge):
    _, lt = launch_learner(platform, browser, resource_link_id=f"rl-ka-{forge}")
    with loaded.app_context():
        from elearn.launch.operations import TOKEN_SALT, read_token
        session_id, secret = read_token(lt)
    token = {"none": None,
             "other-key": URLSafeTimedSerializer("not-our-key", salt=TOKEN_SALT).dumps({"s": session_id, "k": secret}),
             "tampered": lt[:-3] + ("aaa" if not lt.endswith("aaa") else "bbb"),
             "expired": _backdated(loaded, lt, 61 * 60)}[forge]
    resp = _ping(tool, token)
    assert resp.status_code == 401 and "X-Launch-Token" not in resp.headers
    assert error_code(resp) == ("launch_required" if token is None else "launch_ended")


def test_pinging_never_extends_the_session_past_its_end(loaded, tool, platform, browser):
    _, lt = launch_learner(platform, browser, resource_link_id="rl-ka-end")
    with loaded.app_context():
        row = _session_row(loaded, lt)
        end = row.expires_at
    token = lt
    for age in (40 * 60, 50 * 60):                      # two renewals, as an open page would get
        renewed = _ping(tool, _backdated(loaded, token, age)).headers["X-Launch-Token"]
        token = renewed
    with loaded.app_context():
        row = _session_row(loaded, token)
        assert row.expires_at == end                    # the absolute end did not move
        row.expires_at = row.created_at                 # ... and now it has come
        db.session.commit()
    resp = _ping(tool, token)
    assert resp.status_code == 401 and error_code(resp) == "launch_ended" and "X-Launch-Token" not in resp.headers


def test_launched_pages_load_the_keepalive_script_from_a_file(loaded, tool, platform, browser):
    page, lt = launch_learner(platform, browser, resource_link_id="rl-ka-page")
    tag = re.search(r"<script [^>]*launch-keepalive\.js[^>]*>(.*?)</script>", page.text, re.S)
    assert tag and tag.group(1).strip() == ""                         # no inline code
    assert f'data-token="{lt}"' in tag.group(0) and 'data-url="/session/keepalive"' in tag.group(0)
    assert 'data-seconds="300"' in tag.group(0)
    assert re.search(r'id="launch-ended"[^>]*hidden', page.text)     # the notice, hidden until needed
    outsider = make_browser().get(f"{tool.url}/catalog/")
    assert "launch-keepalive.js" not in outsider.text and "launch-ended" not in outsider.text
    script = make_browser().get(f"{tool.url}/static/js/launch-keepalive.js")
    assert script.status_code == 200 and "X-Launch-Token" in script.text


def _expired_quiz_post(loaded, tool, platform, browser, link: str, locale: str, **headers):
    """A learner's attempt page, left open past the token's life, then posted: (response, attempt id)."""
    _, lt = launch_learner(platform, browser, resource_link_id=link, locale=locale)
    page = begin(browser, tool, lt)
    assert page.status_code == 200
    attempt = latest_attempt(loaded)
    expired = _backdated(loaded, lt, 61 * 60)
    # The page's own form (its hidden lt now too old), with a free-text answer the learner typed.
    data = dict(answers(attempt), lt=expired, token=form_token(page.text), **{"q.essay": ESSAY})
    return browser.post(f"{tool.url}/post-test/{attempt_id_of(page)}", data=data, headers=headers), attempt.id


def _responses(app, attempt_id: int):
    """What an attempt has recorded so far."""
    from elearn.quizzes.models import Attempt

    with app.app_context():
        return db.session.get(Attempt, attempt_id).responses


def test_an_expired_form_post_is_refused_clearly_and_shows_the_typed_text(loaded, tool, platform, browser):
    resp, attempt_id = _expired_quiz_post(loaded, tool, platform, browser, "rl-ka-form-en", "en",
                                          **{"Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 401 and error_code(resp) == "launch_ended"
    assert "Your session has ended" in resp.text and "open the activity again from your learning platform" in resp.text
    assert "What you typed" in resp.text and ESSAY in resp.text                # to copy, read-only
    assert resp.headers["Cache-Control"] == "no-store"
    assert not _responses(loaded, attempt_id)                                  # nothing was accepted


def test_the_refusal_speaks_dutch_to_a_dutch_learner(loaded, tool, platform, browser):
    resp, _ = _expired_quiz_post(loaded, tool, platform, browser, "rl-ka-form-nl", "nl")
    assert resp.status_code == 401 and error_code(resp) == "launch_ended"
    assert "Je sessie is afgelopen" in resp.text and "Wat je hebt getypt" in resp.text


def test_another_site_cannot_put_words_on_the_refusal_page(loaded, tool, platform, browser):
    resp, _ = _expired_quiz_post(loaded, tool, platform, browser, "rl-ka-form-x", "en",
                                 **{"Sec-Fetch-Site": "cross-site"})
    assert resp.status_code == 401 and error_code(resp) == "launch_ended"
    assert ESSAY not in resp.text and "What you typed" not in resp.text


def test_a_keepalive_interval_that_could_let_tokens_expire_stops_the_start(app_config):
    from elearn import create_app

    with pytest.raises(RuntimeError, match="LAUNCH_KEEPALIVE_SECONDS"):
        create_app(dict(app_config, LAUNCH_TOKEN_MAX_AGE=600, LAUNCH_KEEPALIVE_SECONDS=300))
    with pytest.raises(RuntimeError, match="LAUNCH_KEEPALIVE_SECONDS"):
        create_app(dict(app_config, LAUNCH_KEEPALIVE_SECONDS=0))
    assert create_app(dict(app_config, LAUNCH_TOKEN_MAX_AGE=600, LAUNCH_KEEPALIVE_SECONDS=150))
