"""Test databases come from the jobmon_db.testing plugin (see its docstring for which server is used).

The names the tests use (db_dsn, conn, ...) are the plugin's fixtures under
shorter names; the project tests itself with the same fixtures downstream
projects get.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from pytest_postgresql.janitor import DatabaseJanitor

pytest_plugins = ["jobmon_db.testing"]


@pytest.fixture(scope="session")
def postgresql_server(jobmon_db_server: Any) -> Any:
    return jobmon_db_server


@pytest.fixture
def db_dsn(jobmon_db_dsn: str) -> str:
    """DSN of a fresh database with the schema, for this test only."""
    return jobmon_db_dsn


@pytest.fixture(scope="module")
def module_db_dsn(jobmon_db_module_dsn: str) -> str:
    """DSN of a database with the schema shared by one test module."""
    return jobmon_db_module_dsn


@pytest.fixture
def conn(jobmon_db_conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """An autocommit connection to this test's database."""
    return jobmon_db_conn


@pytest.fixture
def server_dsn(jobmon_db_server_dsn: str) -> str:
    """DSN of the server's maintenance database (for creating databases of one's own)."""
    return jobmon_db_server_dsn


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
        yield make_conninfo(
            host=janitor.host, port=janitor.port, user=janitor.user, password=janitor.password, dbname=janitor.dbname
        )
