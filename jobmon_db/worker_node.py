"""What the worker node calls (psycopg 3, sync and async): its reports and its wire forms.

One SQL function per route (sql/30_worker_node.sql): each locks the task, then the task instance,
decides from the status as locked, moves the status through the core move
and writes the route's columns only when that move was applied. A repeated
report answers with the current state (outcome 'unchanged'). The wire forms
(``worker_node_task_instance``, ``array_task_instance``) read the reference
model's serialisation. The functions never commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import arguments as a
from .errors import InvalidArgument
from .executor import Argument, SqlFunction
from .results import ArrayWorkerTaskInstance, CallSiteResult, LogRunningResult, WorkerNodeTaskInstance
from .statuses import TaskInstanceStatus

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


@LOG_RUNNING.row
def log_running(
    task_instance_id: int,
    nodename: str | None,
    process_group_id: int | None,
    next_report_increment: timedelta,
    distributor_id: str | None = None,
) -> dict[str, Any]:
    """The job started: O/I/T -> R with nodename, process_group_id, distributor_id and report_by_date.

    From K it goes to F, from X to E: the worker runs only when ``result.may_run``.
    """
    return locals()


@LOG_HEARTBEAT.row
def log_heartbeat(task_instance_id: int, next_report_increment: timedelta) -> dict[str, Any]:
    """Push report_by_date of a live task instance (O, R, T; T comes back to R); else outcome 'ignored'."""
    return locals()


@LOG_DONE.row
def log_done(task_instance_id: int, **usage: str | None) -> dict[str, Any]:
    """The job finished: -> D, writing the usage arguments given (nodename, stdout, ..., usage_str)."""
    return {"task_instance_id": task_instance_id, **_usage(usage)}


@LOG_ERROR.row
def log_error(
    task_instance_id: int, error_state: TaskInstanceStatus | str, description: str, **usage: str | None
) -> dict[str, Any]:
    """An error report: -> error_state (E, Z, U or F) with one error-log row when applied."""
    return {
        "task_instance_id": task_instance_id,
        "error_state": error_state,
        "description": description,
        **_usage(usage),
    }


@WORKER_NODE_TASK_INSTANCE.row
def worker_node_task_instance(task_instance_id: int) -> dict[str, Any]:
    """The worker-node wire form of a task instance. Raises TaskInstanceNotFound."""
    return locals()


@ARRAY_TASK_INSTANCE.row
def array_task_instance(array_id: int, array_batch_num: int, array_step_id: int) -> dict[str, Any]:
    """The worker-node wire form of the instance at (array, batch, step); TaskInstanceNotFound if there is none."""
    return locals()


log_running_async = log_running.async_twin
log_heartbeat_async = log_heartbeat.async_twin
log_done_async = log_done.async_twin
log_error_async = log_error.async_twin
worker_node_task_instance_async = worker_node_task_instance.async_twin
array_task_instance_async = array_task_instance.async_twin
