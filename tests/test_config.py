"""Settings derived from the environment."""
from elearn.config import _engine_options


def test_postgres_pool_fits_the_gunicorn_threads(monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "6")
    options = _engine_options("postgresql+psycopg://db/app")
    assert options["pool_size"] == 8 and options["max_overflow"] == 2 and options["pool_pre_ping"] is True
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    assert _engine_options("postgresql+psycopg://db/app")["pool_size"] == 3
    assert "pool_size" not in _engine_options("sqlite:///x.sqlite3")     # SQLite keeps its own pool
