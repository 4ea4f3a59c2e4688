"""Alembic environment for `flask --app elearn db …`.

Migrations run while the previous release is still serving (several instances share one
PostgreSQL; `flask db upgrade` runs in the release phase before the old processes are gone).
So every migration must be *expand-only*, and the migration session must never sit in a
lock queue in front of live traffic. See migrations/README.md for the contributor rule:

    Expand, then contract. A migration ships in the same release as the code that needs it
    and runs while the previous release still serves requests, so it must leave a schema that
    the previous release's code can keep using: add tables, add nullable columns (or NOT NULL
    columns with a server default), widen types; never drop, rename or narrow anything, never
    make a column NOT NULL, never add a unique, foreign-key or check constraint that the old
    code's writes could violate. Removing or tightening something is a separate *contract*
    migration in a later release, once no running code uses the old shape; mark it with a
    module-level `contract = "why it is safe now"` string, which is the only way past
    tests/test_migrations_online.py. Keep each migration short: on PostgreSQL the migration
    session gives up on a lock after MIGRATION_LOCK_TIMEOUT (default 5 s) and on any
    statement after MIGRATION_STATEMENT_TIMEOUT (default 60 s), and rolls back, so a deploy
    fails fast (retry it) instead of queueing every request behind an ACCESS EXCLUSIVE lock.

Both timeouts take seconds (`5`, `0.5`) or a PostgreSQL duration (`500ms`, `2min`); `0`
switches a timeout off. They are set on the migration's own connection only and reset before
that connection goes back to the pool; SQLite ignores them.
"""
import logging
import os
import re
from logging.config import fileConfig

from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from alembic import context

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)  # keep the app's loggers (lti.dynreg) working
logger = logging.getLogger('alembic.env')

DEFAULT_LOCK_TIMEOUT = '5s'
DEFAULT_STATEMENT_TIMEOUT = '60s'
_DURATION = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$')
# PostgreSQL error codes: lock_not_available (lock_timeout), query_canceled (statement_timeout).
_LOCK_NOT_AVAILABLE = '55P03'
_QUERY_CANCELED = '57014'


class MigrationTimeout(RuntimeError):
    """The migration gave up waiting (a RuntimeError, so `flask db upgrade` prints it as
    `Error: …` and exits 1 instead of dumping a traceback)."""


def _timeout_setting(name, default):
    """An environment variable as a PostgreSQL duration ('5000ms'), or '0' for off."""
    raw = os.environ.get(name, '').strip() or default
    match = _DURATION.match(raw)
    if not match:
        raise RuntimeError(
            f'{name}={raw!r}: give seconds (5, 0.5) or a PostgreSQL duration (500ms, 5s, 2min); '
            '0 switches it off')
    number, unit = match.groups()
    if unit is None:  # bare number: seconds
        return f'{round(float(number) * 1000)}ms'
    return f'{number}{unit}'


def get_engine():
    """The app's engine (Flask-SQLAlchemy 3)."""
    return current_app.extensions['migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def _timeouts():
    return {
        'lock_timeout': _timeout_setting('MIGRATION_LOCK_TIMEOUT', DEFAULT_LOCK_TIMEOUT),
        'statement_timeout': _timeout_setting('MIGRATION_STATEMENT_TIMEOUT',
                                              DEFAULT_STATEMENT_TIMEOUT),
    }


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        if url.startswith('postgresql'):
            # The generated script fails fast on locks too, for whoever runs it by hand.
            for name, value in _timeouts().items():
                context.execute(f"SET LOCAL {name} = '{value}'")
        context.run_migrations()


def _explain(error, timeouts):
    """A clear message for a migration that timed out, or None for any other error."""
    code = getattr(getattr(error, 'orig', None), 'sqlstate', None)
    statement = ' '.join(str(getattr(error, 'statement', '') or '').split())[:300]
    if code == _LOCK_NOT_AVAILABLE:
        return (
            f"migration aborted: it waited longer than lock_timeout={timeouts['lock_timeout']} "
            f"(MIGRATION_LOCK_TIMEOUT) for a table lock held by live traffic, while running: "
            f"{statement}. The migration's transaction was rolled back and requests were not "
            "kept waiting behind it. Retry `flask db upgrade` (a quieter moment helps); look in "
            "pg_stat_activity for long or 'idle in transaction' sessions if it keeps failing.")
    if code == _QUERY_CANCELED:
        return (
            f"migration aborted: a statement ran longer than statement_timeout="
            f"{timeouts['statement_timeout']} (MIGRATION_STATEMENT_TIMEOUT): {statement}. The "
            "migration's transaction was rolled back. Make the step cheaper (batches, "
            "CREATE INDEX CONCURRENTLY in an autocommit block) or raise the timeout for this run.")
    return None


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        # Parsed everywhere (a bad value fails on SQLite too), applied on PostgreSQL only.
        timeouts = _timeouts()
        if connection.dialect.name != 'postgresql':
            timeouts = {}
        if timeouts:
            # Session-level (not SET LOCAL) so they hold with transaction_per_migration too;
            # committed before configure(), or Alembic would treat the migration as running
            # inside someone else's transaction and never commit it.
            for name, value in timeouts.items():
                connection.execute(text('SELECT set_config(:name, :value, false)'),
                                   {'name': name, 'value': value})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=get_metadata(),
                **conf_args
            )

            with context.begin_transaction():
                context.run_migrations()
        except sa_exc.DBAPIError as error:
            message = _explain(error, timeouts) if timeouts else None
            if message is None:
                raise
            logger.error(message)
            raise MigrationTimeout(message) from error
        finally:
            if timeouts:
                _reset_timeouts(connection, timeouts)


def _reset_timeouts(connection, timeouts):
    """Give the pooled connection back as the app expects it (no migration timeouts)."""
    try:
        if connection.in_transaction():
            connection.rollback()
        for name in timeouts:
            connection.execute(text(f'RESET {name}'))
        connection.commit()
    except sa_exc.DBAPIError:
        connection.invalidate()  # a broken connection is not returned to the pool


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
