"""Flask extensions, unbound: each is bound to the app in create_app."""
import click
from flask_babel import Babel
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


class _MigrateConfig:
    """What Flask-Migrate keeps in app.extensions["migrate"] (read by its commands and migrations/env.py),
    with Flask-Migrate itself — and so Alembic — imported only when a migration runs."""

    def __init__(self, db, directory: str, options: dict):
        self.db, self.directory, self.configure_args = db, directory, options
        self._migrate = None

    @property
    def migrate(self):
        """Flask-Migrate's Migrate object (its get_config builds the Alembic configuration)."""
        if self._migrate is None:
            from flask_migrate import Migrate

            self._migrate = Migrate(db=self.db, directory=self.directory, **self.configure_args)
        return self._migrate

    @property
    def metadata(self):
        return self.db.metadata


class _MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's command group, imported when a `flask db` command runs."""

    @staticmethod
    def _group() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._group().get_command(ctx, name)

    def invoke(self, ctx):
        return self._group().invoke(ctx)

    def get_params(self, ctx):
        return self._group().get_params(ctx)


class LazyMigrate:
    """Flask-Migrate's init_app without importing Alembic: a web worker never migrates, and Alembic
    with Flask-Migrate is ~11 MB of every worker's memory (issue #16's RSS target)."""

    def __init__(self, **options):
        self.options = options

    def init_app(self, app, db, directory: str = "migrations") -> None:
        app.extensions["migrate"] = _MigrateConfig(db, str(directory), dict(self.options))
        app.cli.add_command(_MigrationCommands("db", help="Perform database migrations."), name="db")


# Batch mode lets Alembic alter SQLite tables; compare_type catches column type changes.
migrate = LazyMigrate(render_as_batch=True, compare_type=True)
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
