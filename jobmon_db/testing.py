"""pytest fixtures for projects that test against the jobmon schema (needs pytest-postgresql).

Load it from your conftest.py::

    pytest_plugins = ["jobmon_db.testing"]

and ask for ``jobmon_db_dsn`` (a fresh migrated database for one test) or
``jobmon_db_conn`` (an autocommit connection to it). The schema is migrated
once per session into a template database; every test gets a clone, which
is dropped afterwards.

Which PostgreSQL server the fixtures use:
  * JOBMON_DB_TEST_DSN set: that running server (its dbname is ignored);
  * else, run by a non-root user with pg_ctl installed: a throwaway server
    that pytest-postgresql starts and stops;
  * else: the running server libpq's defaults point at (PGHOST, PGPORT,
    PGUSER; 127.0.0.1:5432 as postgres when unset).
The choice, and the pg_ctl a throwaway server runs, are made when the
server fixture first runs, not at import. Database names carry the process
id (jobmon_test_<pid>*), so several test runs can share a server; a
module's database is named from a hash of the module's path and full name
too, so two packages' test_x.py never share one.

Install with ``pip install 'jobmon-db[testing]'`` (pytest and
pytest-postgresql).
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pytest_postgresql import factories
from pytest_postgresql.executors import NoopExecutor
from pytest_postgresql.janitor import DatabaseJanitor

from .migrate import migrate

TEST_DSN_ENV_VAR = "JOBMON_DB_TEST_DSN"
DBNAME = f"jobmon_test_{os.getpid()}"


def _migrate_template(host: str, port: int, user: str, dbname: str, password: str | None, **_: Any) -> None:
    migrate(make_conninfo(host=host, port=port, user=user, dbname=dbname, password=password))


def _find_pg_ctl() -> str | None:
    found = shutil.which("pg_ctl")
    if found is not None:
        return found
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))  # Debian keeps it off PATH
    return installed[-1] if installed else None


def _running_server_params() -> dict[str, Any]:
    """Where the running server is: JOBMON_DB_TEST_DSN, else libpq's PG* variables, else 127.0.0.1:5432 as postgres."""
    configured = os.environ.get(TEST_DSN_ENV_VAR)
    if configured is not None:
        params = {key: str(value) for key, value in conninfo_to_dict(configured).items() if value is not None}
        return {
            "host": params.get("host", "127.0.0.1"),
            "port": params.get("port", "5432"),
            "user": params.get("user", "postgres"),
            "password": params.get("password"),
        }
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "postgres"),
        "password": os.environ.get("PGPASSWORD"),
    }


def _throwaway_server_wanted() -> bool:
    return os.environ.get(TEST_DSN_ENV_VAR) is None and os.geteuid() != 0 and _find_pg_ctl() is not None


#: A throwaway server that pytest-postgresql starts and stops; only started when jobmon_db_server picks it.
jobmon_db_throwaway_server = factories.postgresql_proc(port=None, dbname=DBNAME, load=[_migrate_template])


def _use_the_pg_ctl_found_now(config: pytest.Config) -> None:
    """Point pytest-postgresql at the pg_ctl installed now, unless --postgresql-exec names one."""
    if not config.getoption("postgresql_exec"):
        config.option.postgresql_exec = _find_pg_ctl() or "pg_ctl"


@pytest.fixture(scope="session")
def jobmon_db_server(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The server (session scope); its template database `<dbname>_tmpl` holds the migrated schema.

    Chosen when the fixture first runs, from the environment of that moment
    (see the module's docstring), not when the plugin is imported.
    """
    if _throwaway_server_wanted():
        _use_the_pg_ctl_found_now(request.config)
        yield request.getfixturevalue("jobmon_db_throwaway_server")
        return
    server = NoopExecutor(dbname=DBNAME, options="", **_running_server_params())
    template = DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        password=server.password,
        dbname=server.template_dbname,
        as_template=True,
    )
    with template:
        template.load(_migrate_template)
        yield server


def clone(server: Any, suffix: str) -> DatabaseJanitor:
    """A janitor that creates `<dbname>_<suffix>` from the migrated template and drops it on exit."""
    return DatabaseJanitor(
        user=server.user,
        host=server.host,
        port=server.port,
        password=server.password,
        dbname=f"{server.dbname}_{suffix}",
        template_dbname=server.template_dbname,
    )


def janitor_dsn(janitor: DatabaseJanitor) -> str:
    return make_conninfo(
        host=janitor.host, port=janitor.port, user=janitor.user, password=janitor.password, dbname=janitor.dbname
    )


@pytest.fixture
def jobmon_db_dsn(jobmon_db_server: Any) -> Iterator[str]:
    """DSN of a fresh database with the jobmon schema, for this test only."""
    with clone(jobmon_db_server, "t") as janitor:
        yield janitor_dsn(janitor)


def module_suffix(module_path: str, module_name: str = "") -> str:
    """A database-name suffix for one test module: its name, cut short, and a hash of its path and full name.

    Two packages' tests/test_x.py get different names, and the whole name
    stays within PostgreSQL's 63 characters.
    """
    name = Path(module_path).stem[:24]
    digest = hashlib.sha1(f"{module_path}\0{module_name}".encode()).hexdigest()[:8]
    return f"{name}_{digest}"


@pytest.fixture(scope="module")
def jobmon_db_module_dsn(jobmon_db_server: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """DSN of a database with the jobmon schema shared by one test module."""
    with clone(jobmon_db_server, module_suffix(str(request.path), request.module.__name__)) as janitor:
        yield janitor_dsn(janitor)


@pytest.fixture
def jobmon_db_conn(jobmon_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to this test's database."""
    with psycopg.connect(jobmon_db_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def jobmon_db_server_dsn(jobmon_db_server: Any) -> str:
    """DSN of the server's maintenance database (for creating databases of one's own)."""
    return make_conninfo(
        host=jobmon_db_server.host,
        port=jobmon_db_server.port,
        user=jobmon_db_server.user,
        password=jobmon_db_server.password,
        dbname="postgres",
    )
