"""`jobmon-db jobmon-server`: prepare upstream's tables when the role may, then serve with uvicorn."""

from __future__ import annotations

import sys
from typing import Any

import psycopg

PROG = "jobmon-db jobmon-server"
MISSING_UPSTREAM = (
    "upstream Jobmon 3.6 is not installed: install its wheels (jobmon_core, jobmon_client, jobmon_server),"
    " then `pip install 'jobmon-db[jobmon]'`"
)


def may_prepare(conn: psycopg.Connection[Any], schema: str) -> bool:
    """Whether the connected role can create upstream's schema or owns it (a superuser can do both)."""
    row = conn.execute(
        "select case when n.oid is null then has_database_privilege(current_database(), 'CREATE')"
        "            else pg_has_role(n.nspowner, 'USAGE') end"
        "  from (select 1) one left join pg_namespace n on n.nspname = %s",
        (schema,),
    ).fetchone()
    return bool(row and row[0])


def run(
    dsn: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8070,
    prepare_only: bool = False,
    no_prepare: bool = False,
    lock_timeout: str = "5s",
) -> int:
    try:
        import uvicorn

        from . import UPSTREAM_SCHEMA, NotPrepared, check, create_app, prepare
    except ImportError as error:
        print(f"{PROG}: {MISSING_UPSTREAM} ({error})", file=sys.stderr)
        return 2
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            wanted = prepare_only or (not no_prepare and may_prepare(conn, UPSTREAM_SCHEMA))
        if wanted:
            prepare(dsn)
            print(f"{PROG}: upstream's tables are ready in schema {UPSTREAM_SCHEMA}", file=sys.stderr)
        if prepare_only:
            return 0
        with psycopg.connect(dsn, autocommit=True) as conn:
            check(conn)
    except NotPrepared as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    uvicorn.run(create_app(dsn, lock_timeout=lock_timeout), host=host, port=port)
    return 0
