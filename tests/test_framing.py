"""Who may frame the tool's pages: CSP frame-ancestors from the registered platforms, never
X-Frame-Options (an LMS must be able to embed us)."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from elearn.extensions import db
from elearn.framing import origin_of, platform_origins
from launch_support import browser, make_browser, tool  # noqa: F401 (fixtures)
from launch_support import module_platform  # noqa: F401 (one platform per module)
from lti.models import Platform
from quiz_support import MODULE, loaded  # noqa: F401 (fixture)

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def _frame_ancestors(resp) -> str:
    """The frame-ancestors directive of the page's policy (elearn.security adds the others)."""
    found = [d.strip() for d in resp.headers["Content-Security-Policy"].split(";")
             if d.strip().startswith("frame-ancestors ")]
    assert len(found) == 1, resp.headers["Content-Security-Policy"]
    return found[0]


def _ancestors(resp) -> list[str]:
    return _frame_ancestors(resp).split()[1:]


def _return_url(url):
    def mutate(claims, header):
        claims[PRESENTATION] = {"document_target": "iframe", "return_url": url}
        return claims, header
    return mutate


def test_a_launched_page_may_be_framed_by_its_platform_only(loaded, tool, platform, browser):
    resp = platform.launch(browser, custom={"module": MODULE})
    assert resp.status_code == 200 and f"/modules/{MODULE}" in resp.url
    assert "X-Frame-Options" not in resp.headers
    ancestors = _ancestors(resp)
    assert ancestors[0] == "'self'" and origin_of(platform.issuer) in ancestors
    assert "*" not in ancestors and origin_of(tool.url) not in ancestors[1:]


def test_the_page_that_launched_us_may_frame_us_on_its_own_domain(app, loaded, tool, platform, browser):
    # Canvas: the issuer is canvas.instructure.com, the course pages live on the school's domain.
    with app.app_context():
        db.session.execute(update(Platform).values(product_family_code="canvas"))
        db.session.commit()
    resp = platform.launch(browser, custom={"module": MODULE},
                           mutate=_return_url("https://canvas.school.nl:8443/courses/7/external_content/success"))
    ancestors = _ancestors(resp)
    assert "https://canvas.school.nl:8443" in ancestors and "https://*.instructure.com" in ancestors
    # The next page of that launch keeps the same policy: it is the launch's, not the request's.
    page = browser.get(resp.url.replace(f"/modules/{MODULE}", "/catalog/"))
    assert page.status_code == 200 and "https://canvas.school.nl:8443" in _ancestors(page)
    # Another learner's launch from elsewhere does not widen this one's.
    other = platform.launch(make_browser(), custom={"module": MODULE}, user={"sub": "other"},
                            mutate=_return_url("https://lms.elsewhere.org/course"))
    assert "https://lms.elsewhere.org" in _ancestors(other) and "https://canvas.school.nl:8443" not in _ancestors(other)


@pytest.mark.parametrize("hostile", ["https://evil.org; script-src *", "https://evil.org' 'unsafe-inline",
                                     "javascript:alert(1)", "https://ev il.org/", "https://evil.org:99999/",
                                     "https://[::1", 42])
def test_a_return_url_that_is_no_plain_origin_adds_nothing_to_the_policy(loaded, tool, platform, browser, hostile):
    resp = platform.launch(browser, custom={"module": MODULE}, mutate=_return_url(hostile))
    assert resp.status_code == 200
    assert _ancestors(resp) == sorted(set(_ancestors(resp)), key=_ancestors(resp).index)  # well formed
    assert all("evil" not in a and "javascript" not in a for a in _ancestors(resp))


def test_protocol_pages_may_be_framed_by_anyone_before_the_platform_is_known(tool, platform):
    # The login and the error page of a launch come before we know which school frames us.
    resp = make_browser().post(f"{tool.url}/lti/launch", data={"id_token": "x", "state": "y"})
    assert resp.status_code == 400 and _ancestors(resp) == ["*"]
    resp = make_browser().get(f"{tool.url}/lti/register", params={"openid_configuration": "x"})
    assert _frame_ancestors(resp) == "frame-ancestors *"


def test_pages_outside_a_launch_may_be_framed_by_registered_platforms_only(app, tool, platform):
    resp = make_browser().get(f"{tool.url}/catalog/")
    ancestors = _ancestors(resp)
    assert ancestors[0] == "'self'" and origin_of(platform.issuer) in ancestors and "*" not in ancestors
    app.config["FRAME_ANCESTORS_EXTRA"] = "https://canvas.school.nl https://*.school.nl not-an-origin"
    try:
        ancestors = _ancestors(make_browser().get(f"{tool.url}/catalog/"))
    finally:
        app.config["FRAME_ANCESTORS_EXTRA"] = ""
    assert {"https://canvas.school.nl", "https://*.school.nl"} <= set(ancestors)
    assert "not-an-origin" not in ancestors


def test_platform_origins_come_from_issuer_login_endpoint_and_family():
    assert platform_origins("https://canvas.instructure.com", "https://sso.canvaslms.com/api/lti/authorize_redirect",
                            "canvas") == {"https://canvas.instructure.com", "https://sso.canvaslms.com",
                                          "https://*.instructure.com"}
    assert platform_origins("https://moodle.uni.nl", "https://moodle.uni.nl/mod/lti/auth.php", "moodle") == {
        "https://moodle.uni.nl"}
    assert origin_of("HTTPS://Moodle.Uni.NL:443/x") == "https://moodle.uni.nl:443"


def test_an_oversized_form_gets_its_413_with_a_policy_not_a_500(loaded, tool, platform, browser):
    # The policy reads the launch token, which may be in the form; a form too large to parse is
    # the request's own refusal, not the header's failure.
    resp = make_browser().post(f"{tool.url}/picker/choose", data={"lt": "x", "module": "m" * (3 * 1024 * 1024)})
    assert resp.status_code == 413 and _frame_ancestors(resp).startswith("frame-ancestors 'self'")
