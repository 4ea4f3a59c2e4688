"""Flask extensions, unbound: each is bound to the app in create_app."""
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

import elearn.ratelimit_storage  # noqa: F401  (registers the vbhc-memory:// rate-limit store)
from lti.models import Base

# One metadata for the whole product: lti/ declares its tables on Base without knowing Flask,
# and elearn's models use db.Model, which is built on the same Base.
db = SQLAlchemy(model_class=Base)
# Batch mode lets Alembic alter SQLite tables; compare_type catches column type changes.
migrate = Migrate(render_as_batch=True, compare_type=True)
babel = Babel()
csrf = CSRFProtect()
# Per client address (the real one behind PROXY_FIX); storage is Redis when REDIS_URL is set, so the
# limits hold across workers and instances.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite as a real server database: WAL for concurrent readers, waits instead of 'locked'."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
