"""The application starts, answers health checks and speaks both languages."""

from elearn import create_app


def test_healthz_ok_when_database_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["database"] == "ok"


def test_healthz_503_when_database_unreachable(app_config):
    cfg = dict(app_config, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(cfg)
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "unavailable"


def test_home_page_in_dutch_and_english(client):
    nl = client.get("/?lang=nl").get_data(as_text=True)
    en = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="nl"' in nl and 'lang="en"' in en


def test_production_refuses_to_start_without_secret(monkeypatch):
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": "", "DEMO_LMS": False, "TESTING": False})
