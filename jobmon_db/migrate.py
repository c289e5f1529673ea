"""Install, list and roll back the schema with yoyo-migrations.

Versioned migrations live in migrations/ (each NNNN_name.sql with its
NNNN_name.rollback.sql); the functions live in sql/ and are applied by
migrations/post-apply.py (see jobmon_db.sqlfiles). Both directories ship
inside the wheel (jobmon_db/migrations, jobmon_db/sql) and sit at the top of
a source checkout.

Safety in production:
  * Concurrent runs are serialised by a session-level PostgreSQL advisory
    lock on the migrating connection. PostgreSQL releases it when that
    connection dies (process killed, backend terminated, server restart), so
    nothing is left behind to break. yoyo's own lock table is not used: a
    killed run would leave its row behind and block the next run.
  * Each migration runs in one transaction with the row that records it, so
    a run killed at any point leaves each migration either applied and
    recorded or not applied at all; running `migrate` again finishes the job.
  * Every statement waits at most `lock_timeout` for a lock, so a migration
    never queues the application's queries behind it for long.
  * yoyo's bookkeeping tables live in schema jobmon_migrations, not in the
    database's current schema (usually public), and not in jobmon, which
    rolling back 0001_schema drops.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI

from . import __version__
from .errors import JobmonDBError
from .sqlfiles import APPLIED, CHANGED, derived_drift, file_states, recorded_release, routine_drift

MIGRATION_TABLE = "_yoyo_migration"
#: Schema of yoyo's bookkeeping tables (_yoyo_migration, _yoyo_log, _yoyo_version).
BOOKKEEPING_SCHEMA = "jobmon_migrations"
_YOYO_TABLES = (MIGRATION_TABLE, "_yoyo_log", "_yoyo_version", "yoyo_lock")
# pg_advisory_lock key of `jobmon-db migrate` and `rollback`: 'jobmondb' in ASCII.
ADVISORY_LOCK_KEY = 0x6A6F626D6F6E6462
#: How long a migration statement waits for a lock before giving up (PostgreSQL lock_timeout syntax).
DEFAULT_LOCK_TIMEOUT = "10s"
LOCK_TIMEOUT_PATTERN = re.compile(r"^(\d+)\s*(us|ms|s|min|h|d)?$")
#: PostgreSQL keeps lock_timeout as an int of milliseconds: the longest one it accepts.
MAX_LOCK_TIMEOUT_MS = 2**31 - 1
_MS_PER_UNIT = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
APPLICATION_NAME = "jobmon-db migrate"


def _data_dir(name: str) -> Path:
    """jobmon_db/<name> in an installed wheel, <checkout>/<name> in a source tree."""
    inside_package = Path(__file__).resolve().parent / name
    if inside_package.is_dir():
        return inside_package
    return Path(__file__).resolve().parent.parent / name


MIGRATIONS_DIR = _data_dir("migrations")
SQL_DIR = _data_dir("sql")


@dataclass(frozen=True)
class MigrationState:
    """What `status` lists, each with its state.

    A versioned migration ('applied' or 'pending'), an sql/ file ('applied',
    'changed', 'missing', 'pending'), and what differs from the release the
    last migrate installed: 'function SIGNATURE' ('changed', 'missing' or
    'extra': replaced, dropped or created by hand) and 'derived NAME'
    ('changed': a rule derived from the lookup tables that no longer equals
    them). The next migrate repairs each of these.
    """

    id: str
    state: str


@dataclass(frozen=True)
class Release:
    """The package's version and the one the database's last migrate recorded (None: 0.1.0, or not installed)."""

    package: str
    database: str | None

    def describe(self) -> str:
        """One line for a person, saying when the two differ and what to do."""
        if self.database == self.package:
            return f"jobmon-db {self.package}; the database was migrated by {self.database}"
        recorded = self.database or "0.1.0 or earlier (no release recorded)"
        return f"jobmon-db {self.package}; the database was migrated by {recorded}: they differ, run jobmon-db migrate"


@dataclass(frozen=True)
class MigrateResult:
    """What a migrate run applied: versioned migration ids, then sql/ file names."""

    migrations: list[str] = field(default_factory=list)
    sql_files: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.migrations or self.sql_files)

    def describe(self) -> str:
        """One line for a person: 'applied 0002_x; sql/20_y.sql' or that nothing was applied."""
        if not self:
            return "nothing to apply: the schema is up to date"
        done = self.migrations + [f"sql/{name}" for name in self.sql_files]
        return "applied " + ", ".join(done)


class MigrationLockTimeout(JobmonDBError):
    """A migrate or rollback statement waited longer than lock_timeout for a lock; its transaction rolled back."""

    retryable = True


class UnexpectedRoleAttributes(JobmonDBError):
    """A role the deployment would use already exists with attributes it did not ask for; nothing was changed."""


#: The attributes a deployment role is created without (it is NOLOGIN and nothing else), by pg_roles column.
UNASKED_ROLE_ATTRIBUTES = {
    "rolsuper": "SUPERUSER",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolcanlogin": "LOGIN",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}

#: The actors of jobmon.deployment_role; migration 0002 names their roles <prefix>_<actor>.
ACTORS = ("owner", "app", "readonly", "worker_node", "distributor", "swarm")

#: For each existing role of the given names, what it has that a role created by migrate would not:
#: the attributes above and memberships of other roles.
_EXTRA_ATTRIBUTES_SQL = (
    "select r.rolname::text, array_remove(array["
    + ", ".join(f"case when r.{column} then '{name}' end" for column, name in UNASKED_ROLE_ATTRIBUTES.items())
    + """], null)
           || array(select 'membership of ' || g.rolname::text from pg_catalog.pg_auth_members m
                      join pg_catalog.pg_roles g on g.oid = m.roleid
                     where m.member = r.oid order by g.rolname)
      from pg_catalog.pg_roles r
     where r.rolname = any (%s)
     order by r.rolname"""
)
#: The names of those that have a password: readable only by a superuser (pg_authid).
_PASSWORD_SQL = "select rolname::text from pg_catalog.pg_authid where rolname = any (%s) and rolpassword is not null"


def _deployment_role_names(conn: psycopg.Connection[Any]) -> list[str]:
    """The role names this database uses: recorded by an earlier migrate, else the ones 0002 will use."""
    recorded = conn.execute("select to_regclass('jobmon.deployment_role') is not null").fetchone()
    if recorded is not None and recorded[0]:
        return [str(r[0]) for r in conn.execute("select role_name from jobmon.deployment_role order by actor")]
    row = conn.execute("select coalesce(nullif(current_setting('jobmon.role_prefix', true), ''), 'jobmon')").fetchone()
    prefix = row[0] if row is not None else "jobmon"
    return [f"{prefix}_{actor}" for actor in ACTORS]


def _refuse_unexpected_roles(conn: psycopg.Connection[Any], adopt_roles: bool) -> None:
    """Stop before anything is applied when a role of the deployment exists with more than NOLOGIN.

    Role names are server-wide, and migrate uses a role of the chosen name that exists already (made
    by a migrate of another database of the server, or by someone else) as it is: the functions would
    run as it, or be granted to it. `adopt_roles` says such roles are meant to be used as they are.
    """
    if adopt_roles:
        return
    names = _deployment_role_names(conn)
    extras = {name: list(extra) for name, extra in conn.execute(_EXTRA_ATTRIBUTES_SQL, (names,)).fetchall()}
    can_see_passwords = conn.execute("select has_table_privilege('pg_catalog.pg_authid', 'select')").fetchone()
    if can_see_passwords is not None and can_see_passwords[0]:
        for (name,) in conn.execute(_PASSWORD_SQL, (names,)).fetchall():
            extras[name].insert(extras[name].index("LOGIN") + 1 if "LOGIN" in extras[name] else 0, "PASSWORD")
    unexpected = [f"{name} has {', '.join(extra)}" for name, extra in sorted(extras.items()) if extra]
    if unexpected:
        raise UnexpectedRoleAttributes(
            "refusing to use existing roles with attributes the deployment did not ask for: " + "; ".join(unexpected),
            hint="The deployment's roles are NOLOGIN group roles and nothing else. Remove what is listed"
            " (ALTER ROLE ... NOLOGIN NOSUPERUSER PASSWORD NULL, REVOKE ... FROM ...), pick other names with"
            " --role-prefix on the first migrate, or pass --adopt-roles to use the roles as they are."
            " Nothing was changed.",
        )


class _Backend(PostgresqlPsycopgBackend):  # type: ignore[misc]
    """yoyo's psycopg 3 backend with its tables in jobmon_migrations and without yoyo's lock table."""

    def __init__(self, uri: DatabaseURI, migration_table: str, settings: dict[str, str]) -> None:
        self.settings = settings  # read by init_connection, which the base __init__ calls
        super().__init__(uri, migration_table)
        # yoyo would find this out by creating and dropping a table; PostgreSQL has transactional DDL.
        self.has_transactional_ddl = True

    def init_connection(self, connection: Any) -> None:
        # Session settings (lock_timeout, jobmon.role_prefix) for every statement of the run,
        # the migrations and post-apply included: they run on this same connection.
        for name, value in self.settings.items():
            connection.execute("select set_config(%s, %s, false)", (name, value))

    def copy(self) -> _Backend:
        return _Backend(self.uri, self.migration_table, self.settings)

    def quote_identifier(self, s: str) -> str:
        quoted = super().quote_identifier(s)
        return f"{BOOKKEEPING_SCHEMA}.{quoted}" if s in _YOYO_TABLES else quoted

    def list_tables(self, **kwargs: Any) -> list[str]:
        cursor = self.execute(
            "select tablename from pg_catalog.pg_tables where schemaname = :schema", {"schema": BOOKKEEPING_SCHEMA}
        )
        return [row[0] for row in cursor.fetchall()]

    @contextmanager
    def lock(self, timeout: int = 10) -> Iterator[None]:
        # The advisory lock taken by _locked_backend() serialises runs; it dies with the connection.
        yield


def _connection_params(dsn: str) -> dict[str, Any]:
    params: dict[str, Any] = conninfo_to_dict(dsn)
    params.setdefault("application_name", APPLICATION_NAME)
    return params


def check_lock_timeout(lock_timeout: str) -> str:
    """The lock timeout stripped, or ValueError if PostgreSQL would not take it as lock_timeout."""
    matched = LOCK_TIMEOUT_PATTERN.match(lock_timeout.strip())
    if not matched:
        raise ValueError(f"not a lock timeout: {lock_timeout!r} (use e.g. 500ms, 10s, 2min; 0 waits forever)"[:300])
    if int(matched.group(1)) * _MS_PER_UNIT[matched.group(2) or "ms"] > MAX_LOCK_TIMEOUT_MS:
        too_long = f"lock timeout too long: {lock_timeout!r} (at most {MAX_LOCK_TIMEOUT_MS}ms, about 24 days)"
        raise ValueError(too_long[:300])
    return lock_timeout.strip()


@contextmanager
def _locked_backend(dsn: str, settings: dict[str, str]) -> Iterator[_Backend]:
    """A yoyo backend holding the advisory lock, with yoyo's tables in jobmon_migrations."""
    uri = DatabaseURI(
        scheme="postgresql+psycopg",
        username=None,
        password=None,
        hostname=None,
        port=None,
        database=None,
        args=_connection_params(dsn),
    )
    backend = _Backend(uri, MIGRATION_TABLE, settings)
    try:
        with backend.transaction():
            # Wait for another migrate or rollback as long as it takes: it waits at most
            # lock_timeout for each of its own locks. The lock is session-level: it outlives
            # this transaction and is released when the connection closes or dies.
            backend.connection.execute("set local lock_timeout = 0")
            backend.connection.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        conn = backend.connection
        conn.execute(f"create schema if not exists {BOOKKEEPING_SCHEMA}")
        new_home = conn.execute("select to_regclass(%s)", (f"{BOOKKEEPING_SCHEMA}.{MIGRATION_TABLE}",)).fetchone()
        backend.ensure_internal_schema_updated()  # creates yoyo's tables if missing
        if new_home[0] is None:
            _adopt_legacy_bookkeeping(conn)
        yield backend
    finally:
        backend.connection.close()


def _adopt_legacy_bookkeeping(conn: psycopg.Connection[Any]) -> None:
    """Carry over the records of jobmon-db 0.1, which kept yoyo's tables in the current schema.

    Only jobmon's own migrations are copied, so another project's yoyo
    tables in the same schema are left alone; the old tables stay (see README).
    """
    found = conn.execute("select to_regclass(%s)::text", (MIGRATION_TABLE,)).fetchone()
    if found is None or found[0] is None:
        return
    legacy = sql.Identifier(*found[0].split("."))
    ids = [m.id for m in _migrations()]
    conn.execute(
        sql.SQL(
            "insert into {} (migration_hash, migration_id, applied_at_utc)"
            " select migration_hash, migration_id, applied_at_utc from {} where migration_id = any(%s)"
        ).format(sql.Identifier(BOOKKEEPING_SCHEMA, MIGRATION_TABLE), legacy),
        (ids,),
    )


def _migrations() -> Any:
    return read_migrations(str(MIGRATIONS_DIR))


def _settings(lock_timeout: str, role_prefix: str | None) -> dict[str, str]:
    settings = {"lock_timeout": check_lock_timeout(lock_timeout)}
    if role_prefix is not None:
        # Read by migrations with current_setting('jobmon.role_prefix', true).
        settings["jobmon.role_prefix"] = role_prefix
    return settings


def migrate(
    dsn: str, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT, role_prefix: str | None = None, adopt_roles: bool = False
) -> MigrateResult:
    """Apply pending migrations, then the sql/ files that need it, then secure the schema.

    Raises MigrationLockTimeout when a statement waited longer than
    `lock_timeout` for a lock (the migration it belonged to is rolled back),
    and UnexpectedRoleAttributes, before anything is applied, when a role the
    deployment uses exists with more than NOLOGIN (LOGIN, a password,
    SUPERUSER, ..., a membership) unless `adopt_roles`.
    """
    migrations = _migrations()
    applied: list[str] = []
    with _locked_backend(dsn, _settings(lock_timeout, role_prefix)) as backend:
        _refuse_unexpected_roles(backend.connection, adopt_roles)
        pending = backend.to_apply(migrations)
        step = ""
        try:
            for migration in pending:
                step = migration.id
                # One transaction for the migration and its record: a run killed in between
                # leaves neither, never a schema change that yoyo does not know about.
                _retry_deadlocks(partial(_apply_and_record, backend, migration))
                applied.append(migration.id)
            step = "the sql/ files (post-apply)"
            for post_apply in migrations.post_apply:
                _retry_deadlocks(partial(post_apply.process_steps, backend, "apply"))
        except psycopg.errors.DeadlockDetected as error:
            done = f"applied before it: {', '.join(applied)}" if applied else "nothing was changed"
            raise MigrationLockTimeout(
                f"migrate gave up on {step}: it met the application's locks in a deadlock {DEADLOCK_ATTEMPTS} times."
                f" {step} was rolled back, {done}. Re-run migrate later.",
                sqlstate=error.sqlstate,
            ) from error
        except psycopg.errors.LockNotAvailable as error:
            done = f"applied before it: {', '.join(applied)}" if applied else "nothing was changed"
            raise _lock_timeout_error(backend, "migrate", step, lock_timeout, done, error) from error
        files = backend.connection.execute("select current_setting('jobmon_db.applied_sql_files', true)").fetchone()[0]
        return MigrateResult(applied, [name for name in (files or "").split(",") if name])


#: How often a migration step that a deadlock with the application's transactions rolled back is tried.
DEADLOCK_ATTEMPTS = 5


def _apply_and_record(backend: Any, migration: Any) -> None:
    with backend.transaction():
        migration.process_steps(backend, "apply")
        backend.mark_one(migration, log=False)
        backend.log_migration(migration, "apply")


def _retry_deadlocks(step: Any) -> None:
    """Run a step (one transaction); try it again when PostgreSQL chose it as a deadlock's victim.

    A step that takes table locks while moves run can meet a move that holds
    one of them and waits for another; PostgreSQL rolls one back. The step is
    then tried again after a short pause, the moves having gone on.
    """
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            step()
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == DEADLOCK_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)


def rollback(dsn: str, count: int | None = 1, *, lock_timeout: str = DEFAULT_LOCK_TIMEOUT) -> list[str]:
    """Roll back the last `count` applied migrations (all when None). Returns the ids rolled back.

    Raises MigrationLockTimeout when a statement waited longer than
    `lock_timeout` for a lock (the migration it belonged to stays applied).
    """
    if count is not None and count < 1:
        raise ValueError(f"count must be 1 or more (or None for all), not {count}")
    migrations = _migrations()
    done: list[str] = []
    with _locked_backend(dsn, _settings(lock_timeout, None)) as backend:
        applied = list(backend.to_rollback(migrations))
        chosen = applied if count is None else applied[:count]
        try:
            for migration in chosen:
                with backend.transaction():
                    migration.process_steps(backend, "rollback")
                    backend.unmark_one(migration, log=False)
                    backend.log_migration(migration, "rollback")
                    _forget_applied_sql(backend)
                done.append(migration.id)
        except psycopg.errors.LockNotAvailable as error:
            so_far = f"rolled back before it: {', '.join(done)}" if done else "nothing was changed"
            step = chosen[len(done)].id
            raise _lock_timeout_error(backend, "rollback", step, lock_timeout, so_far, error) from error
        return done


def _forget_applied_sql(backend: Any) -> None:
    """Make the next migrate re-apply every sql/ file, since a rollback may have dropped what they made."""
    backend.execute(
        "do $$ begin if to_regclass('jobmon.repeatable_sql') is not null then"
        " delete from jobmon.repeatable_sql; end if; end $$"
    )


def _lock_timeout_error(
    backend: Any, command: str, step: str, lock_timeout: str, done: str, error: psycopg.Error
) -> MigrationLockTimeout:
    """Say which tables other sessions hold, so the person knows what to wait for."""
    holders = backend.connection.execute(
        """
        select string_agg(distinct format('%%s (%%s, pid %%s)', l.relation::regclass, l.mode, l.pid), ', ')
          from pg_catalog.pg_locks l
          join pg_catalog.pg_class c on c.oid = l.relation
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where l.granted and l.pid <> pg_backend_pid()
           and l.database = (select oid from pg_catalog.pg_database where datname = current_database())
           and n.nspname in ('jobmon', %s)
        """,
        (BOOKKEEPING_SCHEMA,),
    ).fetchone()[0]
    held = f"locks held by other sessions: {holders}" if holders else "the lock holder has finished since"
    return MigrationLockTimeout(
        f"{command} gave up on {step}: a lock was not granted within lock_timeout {lock_timeout}"
        f" ({held}). {step} was rolled back, {done}. Re-run {command} later, or with a longer --lock-timeout.",
        sqlstate=error.sqlstate,
    )


def _applied_hashes(conn: psycopg.Connection[Any]) -> set[str]:
    """Hashes of the applied migrations, read without creating anything (legacy location as a fallback)."""
    for table in (f"{BOOKKEEPING_SCHEMA}.{MIGRATION_TABLE}", MIGRATION_TABLE):
        found = conn.execute("select to_regclass(%s)::text", (table,)).fetchone()
        if found is not None and found[0] is not None:
            query = sql.SQL("select migration_hash from {}").format(sql.Identifier(*found[0].split(".")))
            return {row[0] for row in conn.execute(query)}
    return set()


def status(dsn: str) -> list[MigrationState]:
    """Every versioned migration, every sql/ file, then what differs from the release. Reads only.

    Works for a read-only role.
    """
    migrations = _migrations()
    with psycopg.connect(dsn, application_name="jobmon-db status") as conn:
        conn.read_only = True  # every transaction is READ ONLY: status cannot write by mistake
        applied = _applied_hashes(conn)
        states = [MigrationState(m.id, "applied" if m.hash in applied else "pending") for m in migrations]
        with conn.cursor() as cursor:
            states += [MigrationState(f"sql/{path.name}", state) for path, state in file_states(cursor, SQL_DIR)]
            states += [MigrationState(f"function {signature}", state) for signature, state in routine_drift(cursor)]
            states += [MigrationState(f"derived {name}", CHANGED) for name in derived_drift(cursor)]
    return states


def release(dsn: str) -> Release:
    """The package's release and the one recorded in the database. Reads only."""
    with psycopg.connect(dsn, application_name="jobmon-db status") as conn:
        conn.read_only = True
        with conn.cursor() as cursor:
            return Release(__version__, recorded_release(cursor))


def planned_rollback(dsn: str, count: int | None) -> list[str]:
    """The ids `rollback(dsn, count)` would roll back now, newest first (reads only)."""
    applied = [s.id for s in status(dsn) if not s.id.startswith("sql/") and s.state == "applied"]
    newest_first = list(reversed(applied))
    return newest_first if count is None else newest_first[:count]


_DROPS_DATA = re.compile(r"\b(drop\s+(schema|table|column)|truncate|delete\s+from)\b", re.IGNORECASE)


def data_loss_warning(migration_id: str) -> str | None:
    """What rolling back a migration destroys, read from its rollback file; None if it drops no data."""
    path = MIGRATIONS_DIR / f"{migration_id}.rollback.sql"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    if re.search(r"\bdrop\s+schema\s+(if\s+exists\s+)?jobmon\b", text, re.IGNORECASE):
        return f"rolling back {migration_id} drops the whole jobmon schema with every row in it"
    statements = sorted({m.group(0).lower() for m in _DROPS_DATA.finditer(text)})
    if not statements:
        return None
    return f"rolling back {migration_id} deletes data ({', '.join(statements)} in {path.name})"


__all__ = [
    "APPLIED",
    "BOOKKEEPING_SCHEMA",
    "DEFAULT_LOCK_TIMEOUT",
    "MigrateResult",
    "MigrationLockTimeout",
    "MigrationState",
    "Release",
    "data_loss_warning",
    "migrate",
    "planned_rollback",
    "release",
    "rollback",
    "status",
]
