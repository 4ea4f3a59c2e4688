"""Login, launch and registration are rate limited per client address, with a clear 429 page."""
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401


def test_login_and_launch_beyond_the_limit_get_a_clear_429(app, tool, platform, browser):
    app.config.update(RATELIMIT_LAUNCH="3 per minute")
    from elearn.extensions import limiter

    limiter.reset()
    first = platform.launch(browser, role="learner", locale="en")             # login + launch: 2 of 3
    assert first.status_code == 200
    second = platform.launch(make_browser(), role="learner", locale="en")     # login 3 of 3, launch refused
    assert second.status_code == 429 and 0 < int(second.headers["Retry-After"]) <= 60
    assert "Too many requests at once" in second.text and 'data-error-code="rate_limited"' in second.text
    third = make_browser().post(f"{tool.url}/lti/login", data={"iss": platform.issuer, "login_hint": "x",
                                                               "target_link_uri": f"{tool.url}/lti/launch"})
    assert third.status_code == 429
    dutch = platform.launch(make_browser(), role="learner", locale="nl")
    assert dutch.status_code == 429 and "Te veel verzoeken tegelijk" in dutch.text


def test_registration_is_limited_more_strictly(app, tool):
    app.config.update(RATELIMIT_REGISTRATION="2 per hour")
    from elearn.extensions import limiter

    limiter.reset()
    codes = [make_browser().get(f"{tool.url}/lti/register", params={"token": "nope"}).status_code for _ in range(3)]
    assert codes[:2] != [429, 429] and codes[2] == 429


def test_a_failing_limiter_store_never_breaks_a_launch(app, tool, platform, browser, monkeypatch):
    from elearn.extensions import limiter

    def broken(*args, **kwargs):
        raise RuntimeError("threads can only be started once")     # the in-memory store's race, or Redis away

    monkeypatch.setattr(limiter.storage, "incr", broken)
    monkeypatch.setattr(limiter.storage, "get", broken)
    resp = platform.launch(browser, role="learner", locale="en")
    assert resp.status_code == 200
