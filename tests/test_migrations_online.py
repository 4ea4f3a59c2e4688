"""Migrations are safe to run while the previous release still serves (see migrations/README.md).

A deploy runs `flask db upgrade` while gunicorn instances of the old code keep answering requests
against the same database. Three things make that safe, and each has a test here:

1. Expand-only history. The chain is walked revision by revision on a real database (SQLite, or
   a PostgreSQL database of this module's own when TEST_DATABASE_URL is PostgreSQL); after each
   `alembic upgrade <rev>` the schema is reflected and compared with the one before: nothing the
   old code uses may disappear, narrow, tighten or start rejecting its writes. A revision with a
   module-level `contract = "reason"` string is a deliberate contract step and is exempt. The
   checker is itself tested on hand-made schema pairs and on throw-away migrations.
2. Traffic during the upgrade. With the database at head-1, threads issue the old release's
   writes (INSERTs naming exactly the columns that existed at head-1, updates, reads, deletes)
   while `upgrade head` runs, and keep going after it: no write may fail, none may stall for long,
   the upgrade must be quick. The harness is shown to catch a breaking and a blocking migration.
3. Lock and statement timeouts in migrations/env.py (PostgreSQL): a migration that meets a lock
   held by live traffic fails within MIGRATION_LOCK_TIMEOUT with a clear error instead of
   queueing every request behind it; without the timeout it would hang (shown too).
"""
from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from flask import current_app
from sqlalchemy import create_engine, inspect, text

from elearn import create_app
from elearn.extensions import db

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
FLASK = Path(sys.executable).with_name("flask")

MAX_WRITE_STALL = 2.0   # seconds one old-code request may take while the upgrade runs
MAX_UPGRADE = 10.0      # seconds `upgrade head` may take under traffic
TRAFFIC_SETTLE = 0.4    # seconds of traffic before and after the upgrade
WRITER_THREADS = 3      # PostgreSQL; SQLite has one writer at a time, so one thread there (more
                        # would only measure SQLite's busy-wait back-off between the writers)


# ---------------------------------------------------------------------------------------------
# Databases: SQLite files by default; PostgreSQL databases of our own on TEST_DATABASE_URL's server.

def _postgres_base() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url if url.startswith("postgresql+psycopg://") else None


needs_postgres = pytest.mark.skipif(_postgres_base() is None,
                                    reason="needs TEST_DATABASE_URL=postgresql://… (locks, timeouts)")


@pytest.fixture()
def fresh_url(tmp_path):
    """A brand-new empty database of the kind this run tests, dropped afterwards."""
    base = _postgres_base()
    if base is None:
        yield f"sqlite:///{tmp_path / 'online.sqlite3'}"
        return
    name = f"mig_online_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, directory: Path = MIGRATIONS):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                       "MIGRATIONS_DIR": str(directory), "RATELIMIT_STORAGE_URI": "memory://"})


def upgrade_to(revision: str) -> None:
    """`flask db upgrade <revision>` in the current app, letting errors through as exceptions
    (flask_migrate.upgrade turns them into sys.exit(1))."""
    command.upgrade(current_app.extensions["migrate"].migrate.get_config(), revision)


def script_directory(directory: Path) -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(directory))
    return ScriptDirectory.from_config(cfg)


def chain(directory: Path) -> list[Script]:
    """Every revision, base first (a topological order, so merges come after their parents)."""
    return list(reversed(list(script_directory(directory).walk_revisions("base", "heads"))))


def current_revisions(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# The checker: reflect a schema, compare two of them.

@dataclass(frozen=True)
class ColumnShape:
    type: sa.types.TypeEngine = field(compare=False)
    sql: str
    nullable: bool
    has_default: bool  # server default (serial's nextval too), identity or computed


@dataclass
class TableShape:
    columns: dict[str, ColumnShape]
    primary_key: tuple[str, ...]
    uniques: set[frozenset[str]]                       # unique constraints and unique indexes
    foreign_keys: dict[tuple, tuple[str, str]]         # (cols, table, refcols) -> (ondelete, onupdate)
    checks: set[str]


def _type_sql(type_: sa.types.TypeEngine, dialect) -> str:
    try:
        return type_.compile(dialect=dialect)
    except Exception:  # reflected types a dialect cannot render (NullType on SQLite)
        return repr(type_)


def snapshot(engine: sa.Engine) -> dict[str, TableShape]:
    """The schema as the database has it (reflection, not the models and not the scripts)."""
    insp = inspect(engine)
    names = [n for n in insp.get_table_names() if n != "alembic_version"]
    if not names:
        return {}
    key = lambda name: (None, name)  # noqa: E731  (get_multi_* answers per (schema, table))
    columns = insp.get_multi_columns(filter_names=names)
    pks = insp.get_multi_pk_constraint(filter_names=names)
    uniques = insp.get_multi_unique_constraints(filter_names=names)
    indexes = insp.get_multi_indexes(filter_names=names)
    fks = insp.get_multi_foreign_keys(filter_names=names)
    try:
        checks = insp.get_multi_check_constraints(filter_names=names)
    except NotImplementedError:
        checks = {}
    schema = {}
    for name in names:
        pk = tuple(pks[key(name)].get("constrained_columns") or ())
        shapes = {}
        for col in columns[key(name)]:
            has_default = (col.get("default") is not None or col.get("identity") is not None
                           or col.get("computed") is not None)
            shapes[col["name"]] = ColumnShape(col["type"], _type_sql(col["type"], engine.dialect),
                                              bool(col["nullable"]), has_default)
        unique_sets = {frozenset(uc["column_names"]) for uc in uniques[key(name)]}
        for ix in indexes[key(name)]:
            if ix.get("unique"):
                parts = [c if c is not None else e for c, e in
                         itertools.zip_longest(ix["column_names"], ix.get("expressions") or [])]
                unique_sets.add(frozenset(str(p) for p in parts))
        foreign = {}
        for fk in fks[key(name)]:
            options = fk.get("options") or {}
            foreign[(tuple(fk["constrained_columns"]), fk["referred_table"],
                     tuple(fk["referred_columns"]))] = (
                (options.get("ondelete") or "NO ACTION").upper(),
                (options.get("onupdate") or "NO ACTION").upper())
        check_texts = {" ".join(str(c["sqltext"]).lower().split()) for c in checks.get(key(name), [])}
        schema[name] = TableShape(shapes, pk, unique_sets, foreign, check_texts)
    return schema


_INTEGER_RANK = ((sa.BigInteger, 3), (sa.SmallInteger, 1), (sa.Integer, 2))


def _integer_rank(type_) -> int | None:
    for cls, rank in _INTEGER_RANK:
        if isinstance(type_, cls):
            return rank
    return None


def type_widens(old: ColumnShape, new: ColumnShape) -> bool:
    """Can every value the old code writes or reads in `old` live in `new` unchanged?"""
    if old.sql == new.sql:
        return True
    a, b = old.type, new.type
    if isinstance(a, sa.Enum) or isinstance(b, sa.Enum):
        if isinstance(a, sa.Enum) and isinstance(b, sa.Enum):
            return set(a.enums) <= set(b.enums)
        return isinstance(a, sa.Enum) and isinstance(b, sa.String) and not isinstance(b, sa.Enum) and (
            b.length is None or b.length >= max(map(len, a.enums), default=0))
    if isinstance(a, sa.String) and isinstance(b, sa.String):
        return b.length is None or (a.length is not None and b.length >= a.length)
    if _integer_rank(a) is not None and _integer_rank(b) is not None:
        return _integer_rank(b) >= _integer_rank(a)
    if isinstance(a, sa.Float) and isinstance(b, sa.Float):
        return "DOUBLE" in new.sql.upper() or "DOUBLE" not in old.sql.upper()
    if isinstance(a, sa.Numeric) and isinstance(b, sa.Numeric) and not isinstance(a, sa.Float) \
            and not isinstance(b, sa.Float):
        if b.precision is None:
            return True
        if a.precision is None:
            return False
        old_scale, new_scale = a.scale or 0, b.scale or 0
        return new_scale >= old_scale and b.precision - new_scale >= a.precision - old_scale
    return False


def expand_problems(before: dict[str, TableShape], after: dict[str, TableShape]) -> list[str]:
    """What in `after` would break code written for `before` (empty: an expand-only change)."""
    problems = []
    for tname, old in before.items():
        new = after.get(tname)
        if new is None:
            problems.append(f"table {tname} dropped or renamed")
            continue
        for cname, oc in old.columns.items():
            nc = new.columns.get(cname)
            where = f"column {tname}.{cname}"
            if nc is None:
                problems.append(f"{where} dropped or renamed")
                continue
            if not type_widens(oc, nc):
                problems.append(f"{where} type changed incompatibly: {oc.sql} -> {nc.sql}")
            if oc.nullable and not nc.nullable:
                problems.append(f"{where} made NOT NULL (the old code may still write NULL)")
            if not oc.nullable and oc.has_default and not nc.has_default:
                problems.append(f"{where} lost its server default (the old code's INSERTs may omit it)")
        added = set(new.columns) - set(old.columns)
        for cname in sorted(added):
            nc = new.columns[cname]
            if not nc.nullable and not nc.has_default:
                problems.append(f"new column {tname}.{cname} is NOT NULL without a server default "
                                "(the old code's INSERTs do not name it)")
        if new.primary_key != old.primary_key:
            problems.append(f"primary key of {tname} changed: {old.primary_key} -> {new.primary_key}")
        # A column the old code never writes and leaves NULL cannot make its rows collide or dangle.
        left_null = {c for c in added if new.columns[c].nullable and not new.columns[c].has_default}
        old_keys = old.uniques | ({frozenset(old.primary_key)} if old.primary_key else set())
        for cols in new.uniques - old.uniques:
            if any(k <= cols for k in old_keys) or cols & left_null:
                continue  # implied by an existing key, or only binds rows the old code cannot write
            problems.append(f"unique constraint/index added on {tname}({', '.join(sorted(cols))}): "
                            "the old code may write duplicates")
        for fk, options in new.foreign_keys.items():
            cols, target, _ = fk
            if fk not in old.foreign_keys:
                if not set(cols) & left_null:
                    problems.append(f"foreign key added on {tname}({', '.join(cols)}) -> {target}: "
                                    "the old code's writes may violate it")
            elif options != old.foreign_keys[fk]:
                problems.append(f"foreign key {tname}({', '.join(cols)}) -> {target} changed "
                                f"ON DELETE/UPDATE {old.foreign_keys[fk]} -> {options}")
        for check in sorted(new.checks - old.checks):
            problems.append(f"check constraint added on {tname}: {check} (the old code's writes may "
                            "violate it)")
    return problems


def contract_marker(script: Script) -> tuple[bool, str | None]:
    """(is a contract migration, problem with the marker). The marker is a module-level
    `contract = "why it is safe now"`: a non-empty string, so the reason is on record."""
    marker = getattr(script.module, "contract", None)
    if marker is None or marker is False:
        return False, None
    if not isinstance(marker, str) or not marker.strip():
        return False, (f"contract marker must be a non-empty string saying why the old code no "
                       f"longer needs what it removes (got {marker!r})")
    return True, None


def walk_chain(url: str, directory: Path = MIGRATIONS, start: str | None = None) -> list[str]:
    """Upgrade one revision at a time (from `start`, or from an empty database) and return every
    expand-only violation, labelled with its revision and file."""
    scripts = chain(directory)
    ids = [s.revision for s in scripts]
    first = ids.index(start) + 1 if start else 0
    problems: list[str] = []
    app = make_app(url, directory)
    with app.app_context():
        try:
            if start:
                upgrade_to(start)
            before = snapshot(db.engine) if start else None
            for script in scripts[first:]:
                upgrade_to(script.revision)
                after = snapshot(db.engine)
                label = f"{script.revision} ({Path(script.path).name})"
                is_contract, marker_problem = contract_marker(script)
                if marker_problem:
                    problems.append(f"{label}: {marker_problem}")
                if before is not None and not is_contract:
                    problems += [f"{label}: {p}" for p in expand_problems(before, after)]
                before = after
        finally:
            db.engine.dispose()
    return problems


# ---------------------------------------------------------------------------------------------
# Throw-away migrations on top of a copy of the real history.

def scratch_migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, directory, ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def add_revision(directory: Path, body: str, *, marker: str = "") -> str:
    """Append a revision with `body` as its upgrade() on top of the directory's head."""
    down = script_directory(directory).get_current_head()
    rev = "scratch" + uuid.uuid4().hex[:8]
    (directory / "versions" / f"99999999_{rev}_scratch.py").write_text(
        f'"""scratch revision for tests\n\nRevision ID: {rev}\nRevises: {down}\n"""\n'
        "import time\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n"
        f"{marker}\n"
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade():\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n\n\n"
        "def downgrade():\n    pass\n")
    return rev


# ---------------------------------------------------------------------------------------------
# 1. The history is expand-only, and the checker catches what it should.

def test_every_migration_is_expand_only(fresh_url):
    scripts = chain(MIGRATIONS)
    assert len(scripts) >= 2, "nothing to compare yet"
    problems = walk_chain(fresh_url)
    assert problems == [], (
        "a migration would break the release still serving while it runs (see migrations/README.md;"
        " a deliberate contract step needs `contract = \"reason\"` in its module):\n  "
        + "\n  ".join(problems))


def _orgs_people(md: sa.MetaData, *people_columns, extra=(), notes=True) -> None:
    sa.Table("orgs", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(64)))
    if notes:
        sa.Table("notes", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))
    sa.Table("people", md, sa.Column("id", sa.Integer, primary_key=True), *people_columns, *extra)


def _base_columns(**replace):
    cols = {
        "org_id": sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id"), nullable=True),
        "mentor_id": sa.Column("mentor_id", sa.Integer, nullable=True),
        "email": sa.Column("email", sa.String(320), nullable=True),
        "name": sa.Column("name", sa.String(64), nullable=False),
        "role": sa.Column("role", sa.String(16), nullable=False, server_default="learner"),
        "score": sa.Column("score", sa.Integer, nullable=True),
    }
    for name, col in replace.items():
        if col is None:
            del cols[name]
        else:
            cols[name] = col
    return list(cols.values())


# name: (columns of people after, extra constraints after, keep the notes table, expected fragment)
BAD_CHANGES = {
    "column dropped": (dict(email=None), (), True, "column people.email dropped or renamed"),
    "column renamed": (dict(email=None, mail=sa.Column("mail", sa.String(320))), (), True,
                       "column people.email dropped or renamed"),
    "table dropped": ({}, (), False, "table notes dropped or renamed"),
    "NOT NULL column without default": (
        dict(tier=sa.Column("tier", sa.String(8), nullable=False)), (), True,
        "new column people.tier is NOT NULL without a server default"),
    "type narrowed": (dict(name=sa.Column("name", sa.String(32), nullable=False)), (), True,
                      "column people.name type changed incompatibly"),
    "type changed": (dict(score=sa.Column("score", sa.String(16))), (), True,
                     "column people.score type changed incompatibly"),
    "made NOT NULL": (dict(email=sa.Column("email", sa.String(320), nullable=False)), (), True,
                      "column people.email made NOT NULL"),
    "server default dropped": (dict(role=sa.Column("role", sa.String(16), nullable=False)), (), True,
                               "column people.role lost its server default"),
    "unique on existing column": ({}, (sa.UniqueConstraint("email"),), True,
                                  "unique constraint/index added on people(email)"),
    "unique index on existing columns": ({}, (sa.Index("ix_people_name_org", "name", "org_id", unique=True),),
                                         True, "unique constraint/index added on people(name, org_id)"),
    "foreign key on existing column": (
        dict(mentor_id=sa.Column("mentor_id", sa.Integer, sa.ForeignKey("people.id"))), (), True,
        "foreign key added on people(mentor_id)"),
    "foreign key tightened": (
        dict(org_id=sa.Column("org_id", sa.Integer, sa.ForeignKey("orgs.id", ondelete="CASCADE"))), (),
        True, "foreign key people(org_id) -> orgs changed"),
    "check constraint added": ({}, (sa.CheckConstraint("score >= 0", name="ck_people_score"),), True,
                               "check constraint added on people"),
}

GOOD_CHANGES = {
    "nullable column added": (dict(nick=sa.Column("nick", sa.String(32))), (), True),
    "NOT NULL column with server default": (
        dict(tier=sa.Column("tier", sa.String(8), nullable=False, server_default="basic")), (), True),
    "varchar widened, varchar to text, integer to bigint": (
        dict(name=sa.Column("name", sa.String(255), nullable=False), email=sa.Column("email", sa.Text),
             score=sa.Column("score", sa.BigInteger)), (), True),
    "plain index added": ({}, (sa.Index("ix_people_email", "email"),), True),
    "unique on a new nullable column": (dict(handle=sa.Column("handle", sa.String(32), unique=True)), (), True),
    "foreign key on a new nullable column": (
        dict(buddy_id=sa.Column("buddy_id", sa.Integer, sa.ForeignKey("people.id"))), (), True),
}


def _schemas(url: str, after_columns: dict, after_extra: tuple, keep_notes: bool):
    """Create the base schema, reflect it; replace it with the changed one, reflect that."""
    engine = create_engine(url)
    try:
        before_md, after_md = sa.MetaData(), sa.MetaData()
        _orgs_people(before_md, *_base_columns())
        _orgs_people(after_md, *_base_columns(**after_columns), extra=after_extra, notes=keep_notes)
        before_md.create_all(engine)
        before = snapshot(engine)
        before_md.drop_all(engine)
        after_md.create_all(engine)
        return before, snapshot(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", list(BAD_CHANGES))
def test_checker_reports_a_breaking_change(fresh_url, case):
    columns, extra, keep_notes, expected = BAD_CHANGES[case]
    before, after = _schemas(fresh_url, columns, extra, keep_notes)
    problems = expand_problems(before, after)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("case", list(GOOD_CHANGES))
def test_checker_accepts_an_expand_change(fresh_url, case):
    columns, extra, keep_notes = GOOD_CHANGES[case]
    before, after = _schemas(fresh_url, columns, extra, keep_notes)
    assert expand_problems(before, after) == []
    assert expand_problems(before, before) == []


def test_checker_walks_real_migrations_and_honours_the_contract_marker(fresh_url, tmp_path):
    """Throw-away revisions on top of the real head, through alembic and the real env.py."""
    directory = scratch_migrations(tmp_path)
    head = script_directory(directory).get_current_head()
    good = add_revision(directory, """
        with op.batch_alter_table('launch_sessions') as batch:
            batch.add_column(sa.Column('scratch_note', sa.String(32), nullable=True))
        op.create_table('scratch_things', sa.Column('id', sa.Integer, primary_key=True))
    """)
    dropped = add_revision(directory, """
        with op.batch_alter_table('launch_sessions') as batch:
            batch.drop_column('return_url')
    """)
    narrowed = add_revision(directory, """
        with op.batch_alter_table('lti_oidc_states') as batch:
            batch.alter_column('nonce', type_=sa.String(16), existing_type=sa.String(128),
                               existing_nullable=False)
    """)
    contract = add_revision(directory, """
        with op.batch_alter_table('launch_sessions') as batch:
            batch.drop_column('scratch_note')
    """, marker='contract = "scratch_note unused since the release before this one"')
    sloppy = add_revision(directory, """
        op.drop_table('scratch_things')
    """, marker="contract = True")

    problems = walk_chain(fresh_url, directory, start=head)

    def of(rev):
        return [p for p in problems if p.startswith(rev)]

    assert of(good) == []
    assert any("launch_sessions.return_url dropped or renamed" in p for p in of(dropped)), problems
    assert any("lti_oidc_states.nonce type changed incompatibly" in p for p in of(narrowed)), problems
    assert of(contract) == []
    assert any("contract marker must be a non-empty string" in p for p in of(sloppy)), problems
    assert any("table scratch_things dropped" in p for p in of(sloppy)), problems


# ---------------------------------------------------------------------------------------------
# 2. The old release's traffic keeps working while and after `upgrade head` runs.

HOT_TABLES = ("users", "contexts", "resource_links", "launch_sessions", "lti_oidc_states",
              "lti_used_nonces", "learning_lesson_progress")


class OldRelease:
    """The writes of the code written for the schema the database has now: reflected tables, so
    each INSERT names exactly the columns that existed then, with values for all of them; plus
    the reads, updates and deletes a launch does (read back by primary key, touch a timestamp,
    consume the OIDC state)."""

    def __init__(self, engine: sa.Engine):
        md = sa.MetaData()
        md.reflect(engine)
        self.hot = [t for t in md.sorted_tables if t.name in HOT_TABLES]
        assert self.hot, "none of the launch path's tables exist"
        self.counter = itertools.count(1)
        parents, todo = [], [fk.column.table for t in self.hot for fk in t.foreign_keys]
        while todo:  # every table the hot ones refer to, transitively, but not the hot ones
            table = todo.pop()
            if table.name not in HOT_TABLES and table not in parents:
                parents.append(table)
                todo += [fk.column.table for fk in table.foreign_keys]
        self.setup_rows: dict[str, dict] = {}
        with engine.begin() as conn:
            for table in [t for t in md.sorted_tables if t in parents]:
                self.setup_rows[table.name] = self._insert(conn, table, self.setup_rows)

    def _value(self, column: sa.Column, n: int):
        t = column.type
        if isinstance(t, sa.Boolean):
            return False
        if isinstance(t, sa.Integer):
            return n
        if isinstance(t, (sa.Float, sa.Numeric)):
            return 1.5
        if isinstance(t, sa.DateTime):
            return datetime.now(timezone.utc)
        if isinstance(t, sa.Date):
            return date.today()
        if isinstance(t, sa.JSON):
            return {"n": n}
        if isinstance(t, sa.String):
            value = f"old-release-{n}"
            return value[-t.length:] if t.length else value
        raise TypeError(f"no test value for {column.table.name}.{column.name} ({t!r})")

    def _insert(self, conn, table: sa.Table, made: dict[str, dict]) -> dict:
        n = next(self.counter)
        row = {}
        auto = table.autoincrement_column
        for column in table.columns:
            if column is auto:
                continue
            fks = list(column.foreign_keys)
            if fks:
                parent = made.get(fks[0].column.table.name)
                row[column.name] = parent[fks[0].column.name] if parent else None
            else:
                row[column.name] = self._value(column, n)
        result = conn.execute(table.insert().values(row))
        if auto is not None:
            row[auto.name] = result.inserted_primary_key[0]
        return row

    def request(self, conn) -> None:
        """One launch's worth of writes, in one transaction."""
        with conn.begin():
            made = dict(self.setup_rows)
            for table in self.hot:
                made[table.name] = row = self._insert(conn, table, made)
                where = sa.and_(*[c == row[c.name] for c in table.primary_key.columns])
                conn.execute(sa.select(*table.columns).where(where)).one()
                touch = next((c for c in table.columns if c.nullable and not c.foreign_keys
                              and not c.primary_key), None)
                if touch is not None:
                    conn.execute(table.update().where(where).values({touch.name: row[touch.name]}))
                if table.name == "lti_oidc_states":
                    conn.execute(table.delete().where(where))


@dataclass
class TrafficReport:
    requests: list[tuple[float, float, str | None]]  # (start, end, error)
    upgrade_start: float
    upgrade_end: float
    upgrade_error: BaseException | None

    @property
    def failures(self) -> list[str]:
        return [error for _, _, error in self.requests if error]

    @property
    def slowest(self) -> float:
        return max((end - start for start, end, _ in self.requests), default=0.0)

    def count(self, when: str) -> int:
        if when == "before":
            return sum(end < self.upgrade_start for _, end, _ in self.requests)
        if when == "after":
            return sum(start > self.upgrade_end for start, _, _ in self.requests)
        return sum(start <= self.upgrade_end and end >= self.upgrade_start for start, end, _ in self.requests)


def _wait_for(condition, limit: float = 15.0) -> None:
    """Until condition() holds or limit seconds passed (the caller's assertions then tell)."""
    deadline = time.monotonic() + limit
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def traffic_during_upgrade(url: str, directory: Path, target: str) -> TrafficReport:
    """Old-release traffic before, during and after `upgrade <target>` (the database must be at
    the old revision already)."""
    postgresql = url.startswith("postgresql")
    connect_args = {"options": "-c lock_timeout=8000"} if postgresql else {}
    n_threads = WRITER_THREADS if postgresql else 1
    writers = create_engine(url, pool_size=n_threads, connect_args=connect_args)
    old = OldRelease(writers)
    requests: list[tuple[float, float, str | None]] = []
    stop = threading.Event()

    def work():
        with writers.connect() as conn:
            while not stop.is_set():
                start, error = time.monotonic(), None
                try:
                    old.request(conn)
                except Exception as exc:  # every failure is the finding, not a crash of the test
                    error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                requests.append((start, time.monotonic(), error))
                time.sleep(0.002)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(n_threads)]
    app = make_app(url, directory)
    try:
        for thread in threads:
            thread.start()
        time.sleep(TRAFFIC_SETTLE)
        _wait_for(lambda: len(requests) > 0)  # a busy machine may not have finished one request yet
        upgrade_error = None
        with app.app_context():
            upgrade_start = time.monotonic()
            try:
                upgrade_to(target)
            except Exception as exc:
                upgrade_error = exc
            upgrade_end = time.monotonic()
            db.engine.dispose()
        time.sleep(TRAFFIC_SETTLE)
        _wait_for(lambda: any(start > upgrade_end for start, _end, _error in list(requests)))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        writers.dispose()
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return TrafficReport(list(requests), upgrade_start, upgrade_end, upgrade_error)


def _at_revision(url: str, directory: Path, revision: str) -> None:
    app = make_app(url, directory)
    with app.app_context():
        upgrade_to(revision)
        db.engine.dispose()


def test_old_release_traffic_survives_upgrade_to_head(fresh_url):
    scripts = chain(MIGRATIONS)
    if len(scripts) < 2:
        pytest.skip("one revision: no previous release to keep serving")
    _at_revision(fresh_url, MIGRATIONS, scripts[-2].revision)

    report = traffic_during_upgrade(fresh_url, MIGRATIONS, "heads")

    assert report.upgrade_error is None, f"upgrade failed under traffic: {report.upgrade_error!r}"
    assert report.failures == [], f"{len(report.failures)} old-release requests failed: {report.failures[:5]}"
    assert report.upgrade_end - report.upgrade_start < MAX_UPGRADE
    assert report.slowest < MAX_WRITE_STALL, f"an old-release request waited {report.slowest:.2f}s"
    assert report.count("before") > 0 and report.count("during") > 0 and report.count("after") > 0
    assert current_revisions(fresh_url) == {scripts[-1].revision}


def test_traffic_check_catches_a_breaking_migration(fresh_url, tmp_path):
    """A rename (even one marked as a contract step) breaks the old release's INSERTs."""
    directory = scratch_migrations(tmp_path)
    head = script_directory(directory).get_current_head()
    add_revision(directory, """
        with op.batch_alter_table('launch_sessions') as batch:
            batch.alter_column('locale', new_column_name='language', existing_type=sa.String(16))
    """, marker='contract = "pretend the old release is gone"')
    _at_revision(fresh_url, directory, head)

    report = traffic_during_upgrade(fresh_url, directory, "heads")

    assert report.upgrade_error is None, repr(report.upgrade_error)
    assert report.failures, "old-release INSERTs naming launch_sessions.locale should fail after the rename"
    assert all("locale" in f for f in report.failures), report.failures[:3]


def test_traffic_check_catches_a_migration_that_blocks_writes(fresh_url, tmp_path):
    """A migration that keeps writers waiting for 2.5 s is reported as a stall."""
    directory = scratch_migrations(tmp_path)
    head = script_directory(directory).get_current_head()
    add_revision(directory, """
        if op.get_bind().dialect.name == 'postgresql':
            op.execute('LOCK TABLE users IN SHARE MODE')
        else:
            op.execute('UPDATE users SET locale = locale')  # takes SQLite's write lock
        time.sleep(2.5)
    """)
    _at_revision(fresh_url, directory, head)

    report = traffic_during_upgrade(fresh_url, directory, "heads")

    assert report.upgrade_error is None, repr(report.upgrade_error)
    assert report.failures == []
    assert report.slowest >= MAX_WRITE_STALL, f"slowest request only {report.slowest:.2f}s"


# ---------------------------------------------------------------------------------------------
# 3. Lock and statement timeouts of the migration session (PostgreSQL).

def _add_users_column(tmp_path: Path) -> tuple[Path, str, str]:
    directory = scratch_migrations(tmp_path)
    head = script_directory(directory).get_current_head()
    rev = add_revision(directory, """
        op.add_column('users', sa.Column('scratch_nickname', sa.String(64), nullable=True))
    """)
    return directory, head, rev


def _users_columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("users")}
    finally:
        engine.dispose()


class Blocker:
    """Live traffic holding a lock: a request that read `users` and is 'idle in transaction'
    (ACCESS SHARE, which conflicts with the ACCESS EXCLUSIVE an ALTER TABLE needs)."""

    GIVE_UP = "8s"  # the server ends the session by then, so a migration that waits can't hang the test

    def __init__(self, url: str, statement: str = "SELECT count(*) FROM users"):
        self.engine = create_engine(url)
        self.conn = self.engine.connect()
        self.conn.execute(text(f"SET idle_in_transaction_session_timeout = '{self.GIVE_UP}'"))
        self.conn.execute(text(statement))  # autobegun transaction stays open

    def release(self) -> None:
        try:
            self.conn.rollback()
            self.conn.close()
        except sa.exc.DBAPIError:
            pass  # already ended by the server
        self.engine.dispose()


@pytest.mark.services
@needs_postgres
def test_migration_facing_a_held_lock_fails_fast_with_a_clear_error(fresh_url, tmp_path, monkeypatch):
    directory, head, rev = _add_users_column(tmp_path)
    _at_revision(fresh_url, directory, head)
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", "1")
    blocker = Blocker(fresh_url)
    try:
        app = make_app(fresh_url, directory)
        with app.app_context():
            start = time.monotonic()
            with pytest.raises(RuntimeError) as failure:
                upgrade_to("heads")
            elapsed = time.monotonic() - start
            db.engine.dispose()
    finally:
        blocker.release()
    message = str(failure.value)
    assert type(failure.value).__name__ == "MigrationTimeout"
    assert "lock_timeout=1000ms" in message and "MIGRATION_LOCK_TIMEOUT" in message, message
    assert "ALTER TABLE users ADD COLUMN scratch_nickname" in message, message
    assert getattr(failure.value.__cause__.orig, "sqlstate", None) == "55P03"
    assert 0.9 <= elapsed < 5.0, f"gave up after {elapsed:.2f}s, lock_timeout is 1s (the blocker ends at 8s)"
    # Rolled back as a whole; with the lock gone the same deploy step succeeds.
    assert current_revisions(fresh_url) == {head}
    assert "scratch_nickname" not in _users_columns(fresh_url)
    app = make_app(fresh_url, directory)
    with app.app_context():
        upgrade_to("heads")
        # The pooled connection the migration used is back to the server defaults.
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar() == "0"
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
        db.engine.dispose()
    assert current_revisions(fresh_url) == {rev}
    assert "scratch_nickname" in _users_columns(fresh_url)


@pytest.mark.services
@needs_postgres
def test_without_lock_timeout_the_migration_hangs_and_queues_traffic(fresh_url, tmp_path, monkeypatch):
    """The control for the test above: with MIGRATION_LOCK_TIMEOUT=0 (off) the same migration
    waits for as long as the lock is held, and new requests on `users` queue behind it."""
    directory, head, rev = _add_users_column(tmp_path)
    _at_revision(fresh_url, directory, head)
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", "0")
    blocker = Blocker(fresh_url)
    outcome: list = []

    def migrate():
        app = make_app(fresh_url, directory)
        with app.app_context():
            try:
                upgrade_to("heads")
                outcome.append(None)
            except Exception as exc:
                outcome.append(exc)
            finally:
                db.engine.dispose()

    thread = threading.Thread(target=migrate, daemon=True)
    reader_engine = create_engine(fresh_url, connect_args={"options": "-c statement_timeout=700"})
    try:
        thread.start()
        time.sleep(1.5)
        assert thread.is_alive(), f"the migration did not wait for the lock: {outcome}"
        with reader_engine.connect() as reader:  # a fresh request, queued behind the ALTER
            start = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                reader.execute(text("SELECT count(*) FROM users")).scalar()
            assert time.monotonic() - start >= 0.6
    finally:
        blocker.release()
        thread.join(timeout=10)
        reader_engine.dispose()
    assert not thread.is_alive() and outcome == [None], outcome
    assert current_revisions(fresh_url) == {rev}


@pytest.mark.services
@needs_postgres
def test_statement_timeout_stops_a_long_migration_step(fresh_url, tmp_path, monkeypatch):
    directory = scratch_migrations(tmp_path)
    head = script_directory(directory).get_current_head()
    add_revision(directory, "op.execute('SELECT pg_sleep(5)')")
    _at_revision(fresh_url, directory, head)
    monkeypatch.setenv("MIGRATION_STATEMENT_TIMEOUT", "500ms")
    app = make_app(fresh_url, directory)
    with app.app_context():
        start = time.monotonic()
        with pytest.raises(RuntimeError, match=r"statement_timeout=500ms \(MIGRATION_STATEMENT_TIMEOUT\)"):
            upgrade_to("heads")
        assert time.monotonic() - start < 3.0
        db.engine.dispose()
    assert current_revisions(fresh_url) == {head}


def test_a_malformed_timeout_setting_is_refused(fresh_url, monkeypatch):
    monkeypatch.setenv("MIGRATION_LOCK_TIMEOUT", "five seconds")
    app = make_app(fresh_url)
    with app.app_context():
        with pytest.raises(RuntimeError, match="MIGRATION_LOCK_TIMEOUT='five seconds'"):
            upgrade_to("heads")
        db.engine.dispose()


def _flask(args: list[str], url: str, app: str = "elearn", **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "MIGRATION_LOCK_TIMEOUT", "MIGRATION_STATEMENT_TIMEOUT"}}
    environment.update(DATABASE_URL=url, SECRET_KEY="x", **env)
    return subprocess.run([str(FLASK), "--app", app, *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_flask_db_upgrade_cli_still_works(fresh_url):
    done = _flask(["db", "upgrade"], fresh_url)
    assert done.returncode == 0, done.stderr
    assert current_revisions(fresh_url) == {s.revision for s in chain(MIGRATIONS) if not s.nextrev}


@pytest.mark.services
@needs_postgres
def test_flask_db_upgrade_cli_fails_fast_on_a_held_lock(fresh_url, tmp_path):
    directory, head, _ = _add_users_column(tmp_path)
    _at_revision(fresh_url, directory, head)
    app = f"elearn:create_app({{'MIGRATIONS_DIR': {str(directory)!r}}})"
    blocker = Blocker(fresh_url)
    try:
        start = time.monotonic()
        done = _flask(["db", "upgrade"], fresh_url, app=app, MIGRATION_LOCK_TIMEOUT="1")
        elapsed = time.monotonic() - start
    finally:
        blocker.release()
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Error: migration aborted: it waited longer than lock_timeout=1000ms" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 15, elapsed  # app start-up included
    assert current_revisions(fresh_url) == {head}


@pytest.mark.services
@needs_postgres
def test_offline_sql_sets_the_timeouts_too(fresh_url, capsys):
    app = make_app(fresh_url)
    with app.app_context():
        command.upgrade(current_app.extensions["migrate"].migrate.get_config(), "heads", sql=True)
        db.engine.dispose()
    script = capsys.readouterr().out
    assert "SET LOCAL lock_timeout = '5s'" in script and "SET LOCAL statement_timeout = '60s'" in script
    assert script.index("SET LOCAL lock_timeout") < script.index("CREATE TABLE")
