"""Test databases: the schema is migrated once into a template, then cloned.

Which PostgreSQL server the tests use:
  * JOBMON_DB_TEST_DSN set: that running server (its dbname is ignored);
  * else, run by a non-root user with pg_ctl installed: a throwaway server
    that pytest-postgresql starts and stops;
  * else: the running server libpq's defaults point at (PGHOST, PGPORT,
    PGUSER; 127.0.0.1:5432 as postgres when unset).
Database names carry the process id, so several test runs can share a server.
"""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql import factories
from pytest_postgresql.janitor import DatabaseJanitor

from jobmon_db.migrate import migrate

DBNAME = f"jobmon_test_{os.getpid()}"


def _migrate_template(host: str, port: int, user: str, dbname: str, password: str | None, **_: Any) -> None:
    migrate(make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password))


def _find_pg_ctl() -> str | None:
    found = shutil.which("pg_ctl") or sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if isinstance(found, list):
        return found[-1] if found else None
    return found


def _server_fixture() -> Any:
    configured = os.environ.get("JOBMON_DB_TEST_DSN")
    if configured is not None:
        params = conninfo_to_dict(configured)
        return factories.postgresql_noproc(
            host=params.get("host", "127.0.0.1"),
            port=params.get("port", 5432),
            user=params.get("user", "postgres"),
            password=params.get("password"),
            dbname=DBNAME,
            load=[_migrate_template],
        )
    pg_ctl = _find_pg_ctl()
    if os.geteuid() != 0 and pg_ctl is not None:
        return factories.postgresql_proc(executable=pg_ctl, port=None, dbname=DBNAME, load=[_migrate_template])
    return factories.postgresql_noproc(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", 5432),
        user=os.environ.get("PGUSER", "postgres"),
        password=os.environ.get("PGPASSWORD"),
        dbname=DBNAME,
        load=[_migrate_template],
    )


postgresql_server = _server_fixture()


def _clone(server: Any, suffix: str) -> DatabaseJanitor:
    return DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        password=server.password,
        dbname=f"{server.dbname}_{suffix}",
        template_dbname=server.template_dbname,
    )


def _dsn(janitor: DatabaseJanitor) -> str:
    return make_conninfo(
        host=janitor.host, port=janitor.port, user=janitor.user, password=janitor.password, dbname=janitor.dbname
    )


@pytest.fixture
def db_dsn(postgresql_server: Any) -> Iterator[str]:
    """DSN of a fresh database with the schema, for this test only."""
    with _clone(postgresql_server, "t") as janitor:
        yield _dsn(janitor)


@pytest.fixture(scope="module")
def module_db_dsn(postgresql_server: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """DSN of a database with the schema shared by one test module."""
    with _clone(postgresql_server, request.module.__name__.rsplit(".", 1)[-1]) as janitor:
        yield _dsn(janitor)


@pytest.fixture
def conn(db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to this test's database."""
    with psycopg.connect(db_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def server_dsn(postgresql_server: Any) -> str:
    """DSN of the server's maintenance database (for creating databases of one's own)."""
    return make_conninfo(
        host=postgresql_server.host,
        port=postgresql_server.port,
        user=postgresql_server.user,
        password=postgresql_server.password,
        dbname="postgres",
    )


@pytest.fixture
def empty_dsn(postgresql_server: Any) -> Iterator[str]:
    """An empty database (no schema), dropped afterwards."""
    janitor = DatabaseJanitor(
        user=postgresql_server.user,
        host=postgresql_server.host,
        port=postgresql_server.port,
        password=postgresql_server.password,
        dbname=f"{postgresql_server.dbname}_empty",
    )
    with janitor:
        yield _dsn(janitor)
