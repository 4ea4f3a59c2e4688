"""The demo LMS inside the product: pages, setup command, lazy per-host setup, persistence."""
import re
from datetime import datetime, timezone

from sqlalchemy import func, select

from demolms import ags
from elearn.demo.models import DemoKey, DemoTool
from elearn.demo.setup import COURSE_ID, build_platform, client_id_for, setup
from elearn.extensions import db


def test_start_page_in_dutch_and_english(client):
    nl = client.get("/demo/?lang=nl").get_data(as_text=True)
    en = client.get("/demo/?lang=en").get_data(as_text=True)
    assert 'lang="nl"' in nl and "De zorgcyclus" in nl and "Demo LMS" in nl
    assert 'lang="en"' in en and "The care cycle" in en
    assert 'name="role" value="instructor"' in en and "Sanne de Vries" in en


def test_course_page_frames_the_launch_with_platform_storage(client):
    resp = client.get("/demo/course?module=care-cycle&role=student&lang=en")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    src = re.search(r'<iframe[^>]+src="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert src.startswith("/demo/launch?") and "target=iframe" in src and "module=care-cycle" in src
    assert "platform-storage.js" in page and "Open in a new window" in page


def test_instructor_course_page_offers_content_selection(client):
    page = client.get("/demo/course?role=instructor&lang=en").get_data(as_text=True)
    assert "Add modules from VBHC Academy" in page and "mode=deeplink" in page
    picker = client.get("/demo/course?role=instructor&lang=en&mode=deeplink").get_data(as_text=True)
    src = re.search(r'<iframe[^>]+src="([^"]+)"', picker).group(1).replace("&amp;", "&")
    assert "mode=deeplink" in src and "role=instructor" in src
    student = client.get("/demo/course?role=student&lang=en&mode=deeplink").get_data(as_text=True)
    assert "<iframe" not in student and "Add modules from VBHC Academy" not in student


def test_course_page_names_bad_input_and_launches_nothing(client):
    resp = client.get("/demo/course?module=no-such-module&lang=en")
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "There is no module with that id." in page and "<iframe" not in page


def test_launch_starts_oidc_login_at_the_tool(client):
    resp = client.get("/demo/launch?module=care-cycle&person=learner-2&lang=nl&target=iframe")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'action="http://localhost/lti/login"' in page
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
    assert fields["iss"] == "http://localhost/demo" and fields["login_hint"] == "learner-2"
    assert fields["lti_storage_target"] == "_parent"
    window = client.get("/demo/launch?module=care-cycle&target=window").get_data(as_text=True)
    assert "lti_storage_target" not in window


def test_launch_refuses_what_it_cannot_do(client):
    assert client.get("/demo/launch?role=student&mode=deeplink").status_code == 403
    assert client.get("/demo/launch?role=student").status_code == 400
    assert client.get("/demo/launch?module=care-cycle&role=instructor&mode=deeplink").status_code == 200


def test_setup_command_is_idempotent(app, runner):
    first = runner.invoke(args=["demo", "setup", "--base-url", "http://127.0.0.1:5000"])
    second = runner.invoke(args=["demo", "setup", "--base-url", "http://127.0.0.1:5000"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Tool on demo LMS: registered" in first.output and "Demo LMS in tool: registered" in first.output
    assert "already registered" in second.output and "Demo LMS in tool: already registered" in second.output
    from lti.models import Platform as ToolSidePlatform

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DemoTool)) == 1
        assert db.session.scalar(select(func.count()).select_from(DemoKey)) == 1
        registered = db.session.scalars(select(ToolSidePlatform)).all()
        assert [(p.issuer, p.auth_login_url) for p in registered] == [
            ("http://127.0.0.1:5000/demo", "http://127.0.0.1:5000/demo/auth")]


def test_setup_command_rejects_a_bad_base_url(runner):
    result = runner.invoke(args=["demo", "setup", "--base-url", "127.0.0.1:5000"])
    assert result.exit_code != 0 and "http://" in result.output


def test_each_host_gets_its_own_registration_lazily(app, client):
    client.get("/demo/", base_url="http://localhost:5000")
    client.get("/demo/", base_url="http://localhost:5001")
    config = client.get("/demo/.well-known/openid-configuration", base_url="http://localhost:5001").get_json()
    assert config["issuer"] == "http://localhost:5001/demo"
    with app.app_context():
        tools = {t.client_id for t in db.session.scalars(select(DemoTool))}
        assert tools == {client_id_for("http://localhost:5000/demo", "http://localhost:5000"),
                         client_id_for("http://localhost:5001/demo", "http://localhost:5001")}


def test_keys_persist_and_rotation_keeps_the_old_key(app):
    with app.app_context():
        setup("http://localhost/demo", "http://localhost")
        first = build_platform("http://localhost/demo").keys.current.kid
        assert build_platform("http://localhost/demo").keys.current.kid == first
        build_platform("http://localhost/demo").rotate_keys()
        kids = [k["kid"] for k in build_platform("http://localhost/demo").jwks()["keys"]]
        assert kids[1] == first and kids[0] != first


def test_gradebook_lists_stored_scores(app, client):
    with app.app_context():
        result = setup("http://localhost/demo", "http://localhost")
        platform = build_platform("http://localhost/demo")
        platform.add_member("learner-3", context_id=COURSE_ID)
        item = ags.create_lineitem(platform, COURSE_ID, {"label": "Zorgcyclus: toets", "scoreMaximum": 10},
                                   result.client_id)
        item_id = item["id"].rsplit("/", 1)[1]
        ags.post_score(platform, COURSE_ID, item_id, {
            "userId": "learner-3", "scoreGiven": 8, "scoreMaximum": 10, "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": datetime.now(timezone.utc).isoformat(),
            "comment": "Geslaagd"}, result.client_id)
    page = client.get("/demo/gradebook?lang=en").get_data(as_text=True)
    assert "Zorgcyclus: toets" in page and "Fatima El Amrani" in page and "Geslaagd" in page
    assert "8 / 10" in page and "80%" in page


def test_empty_gradebook_says_what_to_do(client):
    page = client.get("/demo/gradebook?lang=en").get_data(as_text=True)
    assert "No grade columns yet." in page


def test_return_from_the_tool_brings_its_message_to_the_course_page(client):
    back = client.get("/demo/return?context_id=course-1&lti_msg=Module+afgerond").get_data(as_text=True)
    target = re.search(r'var target = "([^"]+)"', back).group(1).replace("\\u0026", "&")
    assert target.startswith("/demo/course") and "Module afgerond" in back
    page = client.get(target + "&lang=en").get_data(as_text=True)
    assert "Message from VBHC Academy" in page and "Module afgerond" in page
