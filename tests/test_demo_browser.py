"""Headless Chromium: the demo course page launches the tool inside its iframe (Platform Storage)."""
import pytest

pytestmark = pytest.mark.browser


@pytest.fixture()
def catalog_loaded(app) -> bool:
    """Load courses/ so module pages exist (False if the content does not load)."""
    result = app.test_cli_runner().invoke(args=["courses", "load"])
    return result.exit_code == 0


def _frame_at(page, path: str, timeout_ms: int = 15000):
    """Wait until the tool frame has navigated to `path`."""
    page.wait_for_function(
        "p => { const f = document.getElementById('tool-frame');"
        " try { return f && f.contentWindow.location.pathname === p; } catch (e) { return false; } }",
        arg=path, timeout=timeout_ms)
    return page.frame(name="tool-frame")


@pytest.mark.parametrize("width", [390, 1280])
def test_course_page_launches_the_module_in_the_iframe(app, live_server, chromium, catalog_loaded, width):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(live_server.url + "/demo/?lang=nl")
        page.select_option("#person", "learner-1")
        page.select_option("#module", "care-cycle")
        page.click("button[type=submit]")
        frame = _frame_at(page, "/modules/care-cycle")
        assert "lt=" in frame.url
        log = page.evaluate("window.demolmsStorageLog")
        subjects = [(entry["direction"], entry["message"]["subject"]) for entry in log]
        assert ("in", "lti.put_data") in subjects and ("out", "lti.put_data.response") in subjects
        assert all(entry["origin"] == live_server.url for entry in log)
        if catalog_loaded:
            frame.wait_for_load_state()
            assert "Sanne de Vries" in frame.content() and "De zorgcyclus" in frame.content()
        page.screenshot(path=f"/tmp/team/shots/demo-course-launched-{width}.png", full_page=True)
    finally:
        page.close()


def test_storage_refuses_messages_from_other_origins(live_server, chromium):
    page = chromium.new_page()
    try:
        page.goto(live_server.url + "/demo/course?module=care-cycle&lang=en")
        _frame_at(page, "/modules/care-cycle")
        # A sandboxed srcdoc frame has the opaque origin "null", which is not the tool's origin.
        # The srcdoc inherits the page's CSP, so its script carries the page's nonce.
        page.evaluate("""() => new Promise(resolve => {
            const f = document.createElement('iframe'), nonce = document.querySelector('script[nonce]').nonce;
            f.srcdoc = "<script nonce='" + nonce + "'>parent.postMessage({subject: 'lti.get_data', message_id: 'x', key: 'k'}, '*')<\\/script>";
            f.sandbox = 'allow-scripts';
            document.body.appendChild(f);
            setTimeout(resolve, 500);
        })""")
        refused = [e for e in page.evaluate("window.demolmsStorageLog") if e["direction"] == "refused"]
        assert refused and refused[0]["origin"] == "null"
    finally:
        page.close()


def test_platform_storage_messages_cross_origin(chromium):
    """demolms's course frame answers a tool on another origin exactly per the Platform Storage spec."""
    from demolms.faketool import FakeTool
    from demolms.testing import PlatformServer

    platform, tool = PlatformServer.start(), FakeTool(host="localhost")  # 127.0.0.1 vs localhost: cross-site
    tool.connect(platform)
    tool.probe_storage = True
    page = chromium.new_page()
    try:
        page.goto(platform.frame_url(role="learner"))
        frame = page.frame(name="tool-frame")
        frame.wait_for_function("() => window.done === true", timeout=10000)
        capabilities, put, got, missing, no_key = frame.evaluate("window.results")
        assert capabilities["subject"] == "lti.capabilities.response"
        assert {m["subject"] for m in capabilities["supported_messages"]} >= {"lti.put_data", "lti.get_data"}
        assert put == {"subject": "lti.put_data.response", "message_id": put["message_id"], "key": "state", "value": "v-1"}
        assert got["subject"] == "lti.get_data.response" and got["value"] == "v-1"
        assert missing["error"]["code"] == "bad_request" and no_key["error"]["code"] == "bad_request"
        log = page.evaluate("window.demolmsStorageLog")
        assert {e["origin"] for e in log} == {tool.url}
    finally:
        page.close()
        tool.stop()
        platform.stop()
