"""How every wrapper runs a jobmon function: one executor for sync connections, one for async.

A statement's psycopg error that has a jobmon_db exception is raised as that
exception (jobmon_db.errors.translate); rows come back as the wrapper's
result class. Whether a statement is prepared is the connection's own
setting (psycopg's prepare_threshold), so a pool behind PgBouncer that turned
prepared statements off keeps them off.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg.rows import class_row

from .errors import translate

T = TypeVar("T")


@contextmanager
def jobmon_errors(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> Iterator[None]:
    """Raise psycopg errors that have a jobmon_db exception as that exception."""
    try:
        yield
    except psycopg.Error as error:
        # INERROR: the statement ran in the caller's transaction, which is now aborted as a whole.
        in_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        mapped = translate(error, in_transaction=in_transaction)
        if mapped is None:
            raise
        raise mapped from error


def _function_name(sql: str) -> str:
    return sql.split("jobmon.", 1)[1].split("(", 1)[0]


def _one(rows: list[T], sql: str) -> T:
    if len(rows) != 1:  # the functions called through fetch_one() always return one row
        raise RuntimeError(f"jobmon.{_function_name(sql)}() returned {len(rows)} rows, not one")
    return rows[0]


def fetch_all(conn: psycopg.Connection[Any], row: type[T], sql: str, params: Sequence[Any]) -> list[T]:
    """The rows of one statement as `row` instances."""
    with jobmon_errors(conn), conn.cursor(row_factory=class_row(row)) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


async def fetch_all_async(conn: psycopg.AsyncConnection[Any], row: type[T], sql: str, params: Sequence[Any]) -> list[T]:
    """The async twin of fetch_all()."""
    with jobmon_errors(conn):
        async with conn.cursor(row_factory=class_row(row)) as cur:
            await cur.execute(sql, params)
            return await cur.fetchall()


def fetch_one(conn: psycopg.Connection[Any], row: type[T], sql: str, params: Sequence[Any]) -> T:
    """The one row of a function that always returns one."""
    return _one(fetch_all(conn, row, sql, params), sql)


async def fetch_one_async(conn: psycopg.AsyncConnection[Any], row: type[T], sql: str, params: Sequence[Any]) -> T:
    """The async twin of fetch_one()."""
    return _one(await fetch_all_async(conn, row, sql, params), sql)
