"""What the distributor and its reconciler report about one task instance (psycopg 3, sync and async).

One SQL function per route (sql/40_distributor.sql), following the pattern
of jobmon_db.worker_node. The functions never commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from .executor import fetch_one, fetch_one_async
from .wire import CallSiteResult, _id, _interval, _text

LOG_DISTRIBUTOR_ID_SQL = (
    "select * from jobmon.log_distributor_id(task_instance_id => %s::bigint, distributor_id => %s::text,"
    " next_report_increment => %s::interval)"
)
LOG_NO_DISTRIBUTOR_ID_SQL = (
    "select * from jobmon.log_no_distributor_id(task_instance_id => %s::bigint, description => %s::text)"
)
LOG_UNKNOWN_ERROR_SQL = (
    "select * from jobmon.log_unknown_error(task_instance_id => %s::bigint, description => %s::text)"
)


def _distributor_id_params(
    task_instance_id: int, distributor_id: str, next_report_increment: timedelta
) -> tuple[Any, ...]:
    return (
        _id("task_instance_id", task_instance_id),
        _text("distributor_id", distributor_id),
        _interval("next_report_increment", next_report_increment),
    )


def log_distributor_id(
    conn: psycopg.Connection[Any], task_instance_id: int, distributor_id: str, next_report_increment: timedelta
) -> CallSiteResult:
    """Record the cluster's job id and launch (I -> O); see docs/sql-api.md for the other statuses."""
    params = _distributor_id_params(task_instance_id, distributor_id, next_report_increment)
    return fetch_one(conn, CallSiteResult, LOG_DISTRIBUTOR_ID_SQL, params)


async def log_distributor_id_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, distributor_id: str, next_report_increment: timedelta
) -> CallSiteResult:
    """The async twin of log_distributor_id()."""
    params = _distributor_id_params(task_instance_id, distributor_id, next_report_increment)
    return await fetch_one_async(conn, CallSiteResult, LOG_DISTRIBUTOR_ID_SQL, params)


def log_no_distributor_id(conn: psycopg.Connection[Any], task_instance_id: int, description: str) -> CallSiteResult:
    """Submission failed: I -> W with one error-log row."""
    params = (_id("task_instance_id", task_instance_id), _text("description", description))
    return fetch_one(conn, CallSiteResult, LOG_NO_DISTRIBUTOR_ID_SQL, params)


async def log_no_distributor_id_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, description: str
) -> CallSiteResult:
    """The async twin of log_no_distributor_id()."""
    params = (_id("task_instance_id", task_instance_id), _text("description", description))
    return await fetch_one_async(conn, CallSiteResult, LOG_NO_DISTRIBUTOR_ID_SQL, params)


def log_unknown_error(conn: psycopg.Connection[Any], task_instance_id: int, description: str) -> CallSiteResult:
    """The reconciler's verdict U, only while report_by_date is in the past (else outcome 'not_overdue')."""
    params = (_id("task_instance_id", task_instance_id), _text("description", description))
    return fetch_one(conn, CallSiteResult, LOG_UNKNOWN_ERROR_SQL, params)


async def log_unknown_error_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, description: str
) -> CallSiteResult:
    """The async twin of log_unknown_error()."""
    params = (_id("task_instance_id", task_instance_id), _text("description", description))
    return await fetch_one_async(conn, CallSiteResult, LOG_UNKNOWN_ERROR_SQL, params)
