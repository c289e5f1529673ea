"""What the worker node reports about its task instance (psycopg 3, sync and async).

One SQL function per route (sql/30_worker_node.sql): each locks the task,
then the task instance, decides from the status as locked, moves the status
through jobmon.transition_task_instance() and writes the route's columns only
when that move was applied. A repeated report answers with the current state
(outcome 'unchanged'). The functions never commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from .errors import InvalidArgument
from .executor import fetch_one, fetch_one_async
from .statuses import TaskInstanceStatus
from .wire import CallSiteResult, LogRunningResult, _id, _interval, _text

LOG_RUNNING_SQL = (
    "select * from jobmon.log_running(task_instance_id => %s::bigint, nodename => %s::text,"
    " process_group_id => %s::integer, next_report_increment => %s::interval, distributor_id => %s::text)"
)
LOG_HEARTBEAT_SQL = (
    "select * from jobmon.log_heartbeat(task_instance_id => %s::bigint, next_report_increment => %s::interval)"
)
USAGE_ARGUMENTS = (
    "nodename",
    "stdout",
    "stderr",
    "stdout_log",
    "stderr_log",
    "wallclock",
    "maxrss",
    "maxpss",
    "cpu",
    "io",
    "usage_str",
)
_USAGE_SQL = ", ".join(f"{name} => %s::text" for name in USAGE_ARGUMENTS)
LOG_DONE_SQL = f"select * from jobmon.log_done(task_instance_id => %s::bigint, {_USAGE_SQL})"
LOG_ERROR_SQL = (
    "select * from jobmon.log_error(task_instance_id => %s::bigint, error_state => %s::text,"
    f" description => %s::text, {_USAGE_SQL})"
)


def _process_group_id(value: Any) -> Any:
    _id("process_group_id", value)
    if value is not None and not -(2**31) <= value < 2**31:
        raise InvalidArgument(f"process_group_id is out of range for integer: {value}")
    return value


def _running_params(
    task_instance_id: int,
    nodename: str | None,
    process_group_id: int | None,
    next_report_increment: timedelta,
    distributor_id: str | None,
) -> tuple[Any, ...]:
    return (
        _id("task_instance_id", task_instance_id),
        _text("nodename", nodename),
        _process_group_id(process_group_id),
        _interval("next_report_increment", next_report_increment),
        _text("distributor_id", distributor_id),
    )


def _usage(usage: dict[str, str | None]) -> tuple[Any, ...]:
    return tuple(_text(name, usage.get(name)) for name in USAGE_ARGUMENTS)


def _error_state(value: Any) -> Any:
    if isinstance(value, TaskInstanceStatus):
        return value.value
    return _text("error_state", value)


def log_running(
    conn: psycopg.Connection[Any],
    task_instance_id: int,
    nodename: str | None,
    process_group_id: int | None,
    next_report_increment: timedelta,
    distributor_id: str | None = None,
) -> LogRunningResult:
    """The job started: O/I/T -> R with nodename, process_group_id, distributor_id and report_by_date.

    From K it goes to F, from X to E: the worker runs only when ``result.may_run``.
    """
    params = _running_params(task_instance_id, nodename, process_group_id, next_report_increment, distributor_id)
    return fetch_one(conn, LogRunningResult, LOG_RUNNING_SQL, params)


async def log_running_async(
    conn: psycopg.AsyncConnection[Any],
    task_instance_id: int,
    nodename: str | None,
    process_group_id: int | None,
    next_report_increment: timedelta,
    distributor_id: str | None = None,
) -> LogRunningResult:
    """The async twin of log_running()."""
    params = _running_params(task_instance_id, nodename, process_group_id, next_report_increment, distributor_id)
    return await fetch_one_async(conn, LogRunningResult, LOG_RUNNING_SQL, params)


def log_heartbeat(
    conn: psycopg.Connection[Any], task_instance_id: int, next_report_increment: timedelta
) -> CallSiteResult:
    """Push report_by_date of a live task instance (O, R, T; T comes back to R); else outcome 'ignored'."""
    params = (_id("task_instance_id", task_instance_id), _interval("next_report_increment", next_report_increment))
    return fetch_one(conn, CallSiteResult, LOG_HEARTBEAT_SQL, params)


async def log_heartbeat_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, next_report_increment: timedelta
) -> CallSiteResult:
    """The async twin of log_heartbeat()."""
    params = (_id("task_instance_id", task_instance_id), _interval("next_report_increment", next_report_increment))
    return await fetch_one_async(conn, CallSiteResult, LOG_HEARTBEAT_SQL, params)


def log_done(conn: psycopg.Connection[Any], task_instance_id: int, **usage: str | None) -> CallSiteResult:
    """The job finished: -> D, writing the usage arguments given (nodename, stdout, ..., usage_str)."""
    _check_usage_names(usage)
    return fetch_one(conn, CallSiteResult, LOG_DONE_SQL, (_id("task_instance_id", task_instance_id), *_usage(usage)))


async def log_done_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, **usage: str | None
) -> CallSiteResult:
    """The async twin of log_done()."""
    _check_usage_names(usage)
    params = (_id("task_instance_id", task_instance_id), *_usage(usage))
    return await fetch_one_async(conn, CallSiteResult, LOG_DONE_SQL, params)


def log_error(
    conn: psycopg.Connection[Any],
    task_instance_id: int,
    error_state: TaskInstanceStatus | str,
    description: str,
    **usage: str | None,
) -> CallSiteResult:
    """An error report: -> error_state (E, Z, U or F) with one error-log row when applied."""
    _check_usage_names(usage)
    params = (
        _id("task_instance_id", task_instance_id),
        _error_state(error_state),
        _text("description", description),
        *_usage(usage),
    )
    return fetch_one(conn, CallSiteResult, LOG_ERROR_SQL, params)


async def log_error_async(
    conn: psycopg.AsyncConnection[Any],
    task_instance_id: int,
    error_state: TaskInstanceStatus | str,
    description: str,
    **usage: str | None,
) -> CallSiteResult:
    """The async twin of log_error()."""
    _check_usage_names(usage)
    params = (
        _id("task_instance_id", task_instance_id),
        _error_state(error_state),
        _text("description", description),
        *_usage(usage),
    )
    return await fetch_one_async(conn, CallSiteResult, LOG_ERROR_SQL, params)


def _check_usage_names(usage: dict[str, str | None]) -> None:
    unknown = sorted(set(usage) - set(USAGE_ARGUMENTS))
    if unknown:
        raise InvalidArgument(f"unknown usage arguments {unknown}; use {', '.join(USAGE_ARGUMENTS)}")
