"""Settings derived from the environment."""
from elearn.config import _engine_options


def test_postgres_pool_fits_the_gunicorn_threads(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "6")
    options = _engine_options("postgresql+psycopg://db/app")
    assert options["pool_size"] == 8 and options["max_overflow"] == 2 and options["pool_pre_ping"] is True
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    assert _engine_options("postgresql+psycopg://db/app")["pool_size"] == 3
    assert "pool_size" not in _engine_options("sqlite:///x.sqlite3")     # SQLite keeps its own pool


def test_the_redis_key_prefix_comes_from_the_environment():
    import os
    import subprocess
    import sys

    script = ("from elearn import create_app; from elearn.launch import stores\n"
              "app = create_app({'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
              "with app.app_context(): print(stores.redis_prefix())")
    run = lambda **env: subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,  # noqa: E731
                                       env={**os.environ, **env}, timeout=60)
    assert run(LTI_REDIS_PREFIX="school-a:lti:").stdout.strip() == "school-a:lti:"
    assert run(LTI_REDIS_PREFIX="").stdout.strip() == "vbhc:lti:"
