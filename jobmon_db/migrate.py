"""Install, list and roll back the schema with yoyo-migrations.

Versioned migrations live in migrations/ (each NNNN_name.sql with its
NNNN_name.rollback.sql); the functions live in sql/ and are applied by
migrations/post-apply.py whenever they changed. Both directories ship inside
the wheel (jobmon_db/migrations, jobmon_db/sql) and sit at the top of a
source checkout.

Concurrent runs are serialised by a PostgreSQL advisory lock held for the
whole run, on top of yoyo's own lock table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import DatabaseURI

MIGRATION_TABLE = "_yoyo_migration"
# pg_advisory_lock key of `jobmon-db migrate` and `rollback`: 'jobmondb' in ASCII.
ADVISORY_LOCK_KEY = 0x6A6F626D6F6E6462


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
    """A versioned migration ('applied' or 'pending') or an sql/ file ('applied', 'changed' or 'pending')."""

    id: str
    state: str


@contextmanager
def _backend(dsn: str) -> Iterator[Any]:
    """A yoyo backend connected with a libpq DSN (yoyo itself only takes URIs)."""
    uri = DatabaseURI(
        scheme="postgresql+psycopg",
        username=None,
        password=None,
        hostname=None,
        port=None,
        database=None,
        args=conninfo_to_dict(dsn),
    )
    backend = PostgresqlPsycopgBackend(uri, MIGRATION_TABLE)
    try:
        backend.init_database()
        yield backend
    finally:
        backend.connection.close()


@contextmanager
def _locked_backend(dsn: str) -> Iterator[Any]:
    """A yoyo backend, with the advisory lock and yoyo's lock held."""
    with psycopg.connect(dsn, autocommit=True) as lock_conn:
        lock_conn.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            with _backend(dsn) as backend, backend.lock(timeout=60):
                yield backend
        finally:
            lock_conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))


def _migrations() -> Any:
    return read_migrations(str(MIGRATIONS_DIR))


def migrate(dsn: str) -> list[str]:
    """Apply pending migrations, then the changed sql/ files. Returns the ids applied."""
    migrations = _migrations()
    with _locked_backend(dsn) as backend:
        pending = backend.to_apply(migrations)
        backend.apply_migrations_only(pending)
        backend.run_post_apply(migrations)
        return [m.id for m in pending]


def rollback(dsn: str, count: int | None = 1) -> list[str]:
    """Roll back the last `count` applied migrations (all when None). Returns the ids rolled back."""
    migrations = _migrations()
    with _locked_backend(dsn) as backend:
        applied = list(backend.to_rollback(migrations))
        chosen = applied if count is None else applied[:count]
        backend.rollback_migrations(migrations.replace(chosen))
        _forget_applied_sql(backend)
        return [m.id for m in chosen]


def _forget_applied_sql(backend: Any) -> None:
    """Make the next migrate re-apply every sql/ file, since a rollback may have dropped what they made."""
    with backend.transaction():
        backend.execute(
            "do $$ begin if to_regclass('jobmon.repeatable_sql') is not null then"
            " delete from jobmon.repeatable_sql; end if; end $$"
        )


def status(dsn: str) -> list[MigrationState]:
    """Every versioned migration, then every sql/ file, with its state."""
    migrations = _migrations()
    with _backend(dsn) as backend:
        applied = set(backend.get_applied_migration_hashes())
        states = [MigrationState(m.id, "applied" if m.hash in applied else "pending") for m in migrations]
        recorded = _recorded_sql_checksums(backend)
    for path in sorted(SQL_DIR.glob("*.sql")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        known = recorded.get(path.name)
        state = "pending" if known is None else "applied" if known == digest else "changed"
        states.append(MigrationState(f"sql/{path.name}", state))
    return states


def _recorded_sql_checksums(backend: Any) -> dict[str, str]:
    if backend.execute("select to_regclass('jobmon.repeatable_sql')").fetchone()[0] is None:
        return {}
    return dict(backend.execute("select file, sha256 from jobmon.repeatable_sql").fetchall())
