"""Upstream Jobmon's own tables, beside jobmon-db's, in one database.

`prepare()` runs upstream's Alembic migrations into the schema
`UPSTREAM_SCHEMA` (tools, DAGs, nodes, task templates, the status lookup
tables, ...), drops upstream's copies of the tables that are jobmon-db's
(`SHARED_TABLES`: the server finds jobmon-db's through its search_path),
fills upstream's lookup tables once, and grants the application role what
upstream's routes do with them. It needs a role that may create a schema in
the database (the owner role's member or a superuser); the server itself
then runs as a login role with only the application role.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import URL, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

UPSTREAM_SCHEMA = "jobmon_upstream"
# Upstream's tables that are jobmon-db's: upstream's copies are dropped.
SHARED_TABLES = (
    "task",
    "task_instance",
    "array",
    "task_resources",
    "workflow",
    "workflow_run",
    "task_instance_error_log",
)
# A column migration 0007 adds: its absence means `jobmon-db migrate` has not run since.
_BRIDGE_COLUMN = ("workflow", "dag_id")


class NotPrepared(RuntimeError):
    """The database lacks jobmon-db's schema (or migration 0007) or upstream's tables."""


def sqlalchemy_url(dsn: str) -> str:
    """The SQLAlchemy `postgresql+psycopg://` URL of a libpq connection string or URI."""
    params: dict[str, Any] = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    url = URL.create(
        "postgresql+psycopg",
        username=params.pop("user", None),
        password=params.pop("password", None),
        host=params.pop("host", None),
        port=int(params.pop("port")) if params.get("port") else None,
        database=params.pop("dbname", None),
        query={k: str(v) for k, v in params.items()},
    )
    return url.render_as_string(hide_password=False)


def search_path(schema: str = UPSTREAM_SCHEMA) -> str:
    """The server's search_path: upstream's tables first, then jobmon-db's (the shared ones are only there)."""
    return f"{schema}, jobmon"


def set_search_path_on_connect(engine: Engine, path: str, *settings: tuple[str, str]) -> None:
    """Every new connection of `engine` gets `path` (and `settings`) as session settings, committed."""

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, connection_record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("select set_config('search_path', %s, false)", (path,))
            for name, value in settings:
                cursor.execute("select set_config(%s, %s, false)", (name, value))
        dbapi_connection.commit()


def check(conn: psycopg.Connection[Any], schema: str = UPSTREAM_SCHEMA) -> None:
    """Raise NotPrepared unless jobmon-db's schema (with 0007) and upstream's tables are there."""
    table, column = _BRIDGE_COLUMN
    row = conn.execute(
        "select exists (select 1 from pg_attribute where attrelid = to_regclass(%s) and attname = %s),"
        " to_regclass(%s) is not null",
        (f"jobmon.{table}", column, f"{schema}.tool"),
    ).fetchone()
    assert row is not None
    if not row[0]:
        raise NotPrepared("the jobmon schema is missing or older than this jobmon-db: run `jobmon-db migrate` first")
    if not row[1]:
        raise NotPrepared(
            f"upstream Jobmon's tables are not in schema {schema}: run `jobmon-db jobmon-server --prepare-only`"
            " as the schema's owner (or a superuser) first"
        )


def prepare(dsn: str, schema: str = UPSTREAM_SCHEMA) -> None:
    """Create or upgrade upstream's tables in `schema`, drop its copies of jobmon-db's, grant the app role."""
    from jobmon.server.web.db.migrate import apply_migrations

    with psycopg.connect(dsn, autocommit=True) as conn:
        table, column = _BRIDGE_COLUMN
        found = conn.execute(
            "select 1 from pg_attribute where attrelid = to_regclass(%s) and attname = %s", (f"jobmon.{table}", column)
        ).fetchone()
        if found is None:
            raise NotPrepared(
                "the jobmon schema is missing or older than this jobmon-db: run `jobmon-db migrate` first"
            )
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))

    # Upstream's migrations create every table of theirs in the first schema of the search_path.
    params = conninfo_to_dict(dsn)
    params["options"] = f"{params.get('options') or ''} -csearch_path={schema}".strip()
    # Alembic keeps the URL in a ConfigParser, where % must be written %%.
    apply_migrations(sqlalchemy_url(psycopg.conninfo.make_conninfo("", **params)).replace("%", "%%"))

    with psycopg.connect(dsn) as conn:
        for name in SHARED_TABLES:
            copy = sql.Identifier(schema, name)
            conn.execute(sql.SQL("drop table if exists {} cascade").format(copy))
        app_role = conn.execute("select role_name from jobmon.deployment_role where actor = 'app'").fetchone()
        if app_role is not None:
            names = {"schema": sql.Identifier(schema), "role": sql.Identifier(app_role[0])}
            for statement in (
                "grant usage on schema {schema} to {role}",
                "grant select, insert, update, delete on all tables in schema {schema} to {role}",
                "grant usage, select on all sequences in schema {schema} to {role}",
            ):
                conn.execute(sql.SQL(statement).format(**names))
        empty = conn.execute(
            sql.SQL("select not exists (select 1 from {}.task_status)").format(sql.Identifier(schema))
        ).fetchone()
    if empty is not None and empty[0]:
        _load_lookup_rows(dsn, schema)


def _load_lookup_rows(dsn: str, schema: str) -> None:
    """Upstream's statuses, cluster types, clusters and queues (its `load_metadata`), once."""
    from jobmon.server.web.models import load_metadata, load_model

    load_model()
    engine = create_engine(sqlalchemy_url(dsn))
    set_search_path_on_connect(engine, search_path(schema))
    try:
        load_metadata(sessionmaker(bind=engine, autoflush=False, expire_on_commit=False))
    finally:
        engine.dispose()
