"""What the worker node calls (psycopg 3, sync and async): its reports and its wire forms.

One SQL function per route: each locks the task, then the task instance,
decides from the status as locked, moves the status through the core move
and writes the route's columns only when that move was applied. A repeated
report answers with the current state (outcome 'unchanged'). The wire forms
(``worker_node_task_instance``, ``array_task_instance``) read the reference
model's serialisation. The functions never commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from . import arguments as a
from .errors import InvalidArgument
from .executor import Argument, SqlFunction
from .results import ArrayWorkerTaskInstance, CallSiteResult, LogRunningResult, WorkerNodeTaskInstance
from .statuses import TaskInstanceStatus

__all__ = [
    "USAGE_ARGUMENTS",
    "ArrayWorkerTaskInstance",
    "CallSiteResult",
    "LogRunningResult",
    "WorkerNodeTaskInstance",
    "array_task_instance",
    "array_task_instance_async",
    "log_done",
    "log_done_async",
    "log_error",
    "log_error_async",
    "log_heartbeat",
    "log_heartbeat_async",
    "log_running",
    "log_running_async",
    "worker_node_task_instance",
    "worker_node_task_instance_async",
]

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
_TASK_INSTANCE_ID = Argument("task_instance_id", "bigint", a.bigint)
_INCREMENT = Argument("next_report_increment", "interval", a.interval)
_USAGE = tuple(Argument(name, "text", a.text) for name in USAGE_ARGUMENTS)

LOG_RUNNING = SqlFunction(
    "log_running",
    LogRunningResult,
    _TASK_INSTANCE_ID,
    Argument("nodename", "text", a.text),
    Argument("process_group_id", "integer", a.integer),
    _INCREMENT,
    Argument("distributor_id", "text", a.text),
)
LOG_HEARTBEAT = SqlFunction("log_heartbeat", CallSiteResult, _TASK_INSTANCE_ID, _INCREMENT)
LOG_DONE = SqlFunction("log_done", CallSiteResult, _TASK_INSTANCE_ID, *_USAGE)
LOG_ERROR = SqlFunction(
    "log_error",
    CallSiteResult,
    _TASK_INSTANCE_ID,
    Argument("error_state", "text", a.error_state),
    Argument("description", "text", a.text),
    *_USAGE,
)
WORKER_NODE_TASK_INSTANCE = SqlFunction("worker_node_task_instance", WorkerNodeTaskInstance, _TASK_INSTANCE_ID)
ARRAY_TASK_INSTANCE = SqlFunction(
    "array_task_instance",
    ArrayWorkerTaskInstance,
    Argument("array_id", "bigint", a.bigint),
    Argument("array_batch_num", "integer", a.integer),
    Argument("array_step_id", "integer", a.integer),
)


def _usage(usage: dict[str, str | None]) -> dict[str, str | None]:
    """Every usage argument, None where not given; an unknown name is refused."""
    unknown = sorted(set(usage) - set(USAGE_ARGUMENTS))
    if unknown:
        raise InvalidArgument(f"unknown usage arguments {unknown}; use {', '.join(USAGE_ARGUMENTS)}")
    return {name: usage.get(name) for name in USAGE_ARGUMENTS}


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
    return LOG_RUNNING.one(
        conn,
        task_instance_id=task_instance_id,
        nodename=nodename,
        process_group_id=process_group_id,
        next_report_increment=next_report_increment,
        distributor_id=distributor_id,
    )


async def log_running_async(
    conn: psycopg.AsyncConnection[Any],
    task_instance_id: int,
    nodename: str | None,
    process_group_id: int | None,
    next_report_increment: timedelta,
    distributor_id: str | None = None,
) -> LogRunningResult:
    """The async twin of log_running()."""
    return await LOG_RUNNING.one_async(
        conn,
        task_instance_id=task_instance_id,
        nodename=nodename,
        process_group_id=process_group_id,
        next_report_increment=next_report_increment,
        distributor_id=distributor_id,
    )


def log_heartbeat(
    conn: psycopg.Connection[Any], task_instance_id: int, next_report_increment: timedelta
) -> CallSiteResult:
    """Push report_by_date of a live task instance (O, R, T; T comes back to R); else outcome 'ignored'."""
    return LOG_HEARTBEAT.one(conn, task_instance_id=task_instance_id, next_report_increment=next_report_increment)


async def log_heartbeat_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, next_report_increment: timedelta
) -> CallSiteResult:
    """The async twin of log_heartbeat()."""
    return await LOG_HEARTBEAT.one_async(
        conn, task_instance_id=task_instance_id, next_report_increment=next_report_increment
    )


def log_done(conn: psycopg.Connection[Any], task_instance_id: int, **usage: str | None) -> CallSiteResult:
    """The job finished: -> D, writing the usage arguments given (nodename, stdout, ..., usage_str)."""
    return LOG_DONE.one(conn, task_instance_id=task_instance_id, **_usage(usage))


async def log_done_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, **usage: str | None
) -> CallSiteResult:
    """The async twin of log_done()."""
    return await LOG_DONE.one_async(conn, task_instance_id=task_instance_id, **_usage(usage))


def log_error(
    conn: psycopg.Connection[Any],
    task_instance_id: int,
    error_state: TaskInstanceStatus | str,
    description: str,
    **usage: str | None,
) -> CallSiteResult:
    """An error report: -> error_state (E, Z, U or F) with one error-log row when applied."""
    return LOG_ERROR.one(
        conn, task_instance_id=task_instance_id, error_state=error_state, description=description, **_usage(usage)
    )


async def log_error_async(
    conn: psycopg.AsyncConnection[Any],
    task_instance_id: int,
    error_state: TaskInstanceStatus | str,
    description: str,
    **usage: str | None,
) -> CallSiteResult:
    """The async twin of log_error()."""
    return await LOG_ERROR.one_async(
        conn, task_instance_id=task_instance_id, error_state=error_state, description=description, **_usage(usage)
    )


def worker_node_task_instance(conn: psycopg.Connection[Any], task_instance_id: int) -> WorkerNodeTaskInstance:
    """The worker-node wire form of a task instance. Raises TaskInstanceNotFound."""
    return WORKER_NODE_TASK_INSTANCE.one(conn, task_instance_id=task_instance_id)


async def worker_node_task_instance_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int
) -> WorkerNodeTaskInstance:
    """The async twin of worker_node_task_instance()."""
    return await WORKER_NODE_TASK_INSTANCE.one_async(conn, task_instance_id=task_instance_id)


def array_task_instance(
    conn: psycopg.Connection[Any], array_id: int, array_batch_num: int, array_step_id: int
) -> ArrayWorkerTaskInstance:
    """The worker-node wire form of the instance at (array, batch, step); TaskInstanceNotFound if there is none."""
    return ARRAY_TASK_INSTANCE.one(
        conn, array_id=array_id, array_batch_num=array_batch_num, array_step_id=array_step_id
    )


async def array_task_instance_async(
    conn: psycopg.AsyncConnection[Any], array_id: int, array_batch_num: int, array_step_id: int
) -> ArrayWorkerTaskInstance:
    """The async twin of array_task_instance()."""
    return await ARRAY_TASK_INSTANCE.one_async(
        conn, array_id=array_id, array_batch_num=array_batch_num, array_step_id=array_step_id
    )
