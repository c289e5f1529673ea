"""The reference model's wire forms of a task instance, and the typed results of the call-site functions.

``jobmon.distributor_task_instances()`` and ``jobmon.worker_node_task_instance()``
return the two serialisations of the reference model
(``to_wire_as_distributor_task_instance``, ``to_wire_as_worker_node_task_instance``);
``to_wire()`` gives the tuple in that order. The functions never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import psycopg

from .errors import InvalidArgument
from .executor import fetch_all, fetch_all_async, fetch_one, fetch_one_async
from .statuses import StatusCodes, TaskInstanceStatus, TaskStatus
from .transitions import BIGINT_RANGE


@dataclass(frozen=True)
class DistributorTaskInstance(StatusCodes):
    """One row of jobmon.distributor_task_instances(), in the reference model's order."""

    task_instance_id: int
    task_id: int
    workflow_run_id: int | None
    workflow_id: int
    status: TaskInstanceStatus
    distributor_id: str | None
    task_resources_id: int | None
    array_id: int | None
    array_batch_num: int | None
    array_step_id: int | None

    def to_wire(self) -> tuple[Any, ...]:
        """The tuple of to_wire_as_distributor_task_instance (status as its code)."""
        return tuple(str(v) if isinstance(v, TaskInstanceStatus) else v for v in astuple(self))


@dataclass(frozen=True)
class WorkerNodeTaskInstance(StatusCodes):
    """The row of jobmon.worker_node_task_instance(), in the reference model's order."""

    task_instance_id: int
    status: TaskInstanceStatus
    workflow_run_id: int | None
    task_id: int
    name: str | None
    command: str | None
    workflow_id: int
    stdout: str | None
    stderr: str | None

    def to_wire(self) -> tuple[Any, ...]:
        """The tuple of to_wire_as_worker_node_task_instance (status as its code)."""
        return tuple(
            str(getattr(self, f.name)) if f.name == "status" else getattr(self, f.name)
            for f in fields(WorkerNodeTaskInstance)
        )


@dataclass(frozen=True)
class LogRunningResult(WorkerNodeTaskInstance):
    """The row of jobmon.log_running(): the worker-node wire form after the call, outcome, previous status."""

    outcome: str
    previous_status: TaskInstanceStatus

    @property
    def may_run(self) -> bool:
        """True when the worker should run the command (the status is R)."""
        return self.status is TaskInstanceStatus.RUNNING


@dataclass(frozen=True)
class CallSiteResult(StatusCodes):
    """One row of a call-site function (jobmon.call_site_result); outcomes in docs/sql-api.md."""

    task_instance_id: int
    task_id: int
    outcome: str
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_status: TaskStatus
    stale: bool
    status_date: datetime
    report_by_date: datetime | None
    distributor_id: str | None
    error_log_id: int | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


# ---------------------------------------------------------------------------
# Argument checks shared by wire.py, worker_node.py and distributor.py: refuse
# Python values PostgreSQL would misread; None is left to the SQL function.
# ---------------------------------------------------------------------------


def _id(name: str, value: Any) -> Any:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidArgument(f"{name} must be an int, not {type(value).__name__}: {_short(value)}")
    if value is not None and value not in BIGINT_RANGE:
        raise InvalidArgument(f"{name} is out of range for bigint: {_short(value)}")
    return value


def _text(name: str, value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a str, not {type(value).__name__}: {_short(value)}")
    if value is not None and "\x00" in value:
        raise InvalidArgument(f"{name} must not contain NUL characters: {_short(value)}")
    return value


def _interval(name: str, value: Any) -> Any:
    if value is not None and not isinstance(value, timedelta):
        raise InvalidArgument(f"{name} must be a datetime.timedelta, not {type(value).__name__}: {_short(value)}")
    return value


def _short(value: Any) -> str:
    """repr() cut to 200 characters, so a huge argument is never echoed whole."""
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + f"... ({len(text)} characters)"


# ---------------------------------------------------------------------------
# The wire forms
# ---------------------------------------------------------------------------

DISTRIBUTOR_SQL = "select * from jobmon.distributor_task_instances(task_instance_ids => %s::bigint[])"
WORKER_NODE_SQL = "select * from jobmon.worker_node_task_instance(task_instance_id => %s::bigint)"


def _ids(task_instance_ids: Any) -> list[int] | None:
    if task_instance_ids is None:
        return None
    if isinstance(task_instance_ids, (str, bytes)) or not isinstance(task_instance_ids, Sequence):
        raise InvalidArgument(f"task_instance_ids must be a sequence of ints, not {type(task_instance_ids).__name__}")
    return [_id("task_instance_ids[]", i) for i in task_instance_ids]


def distributor_task_instances(
    conn: psycopg.Connection[Any], task_instance_ids: Sequence[int]
) -> list[DistributorTaskInstance]:
    """The distributor wire form of each existing task instance (ascending id; unknown ids skipped)."""
    ids = _ids(task_instance_ids)
    return fetch_all(conn, DistributorTaskInstance, DISTRIBUTOR_SQL, (ids,))


async def distributor_task_instances_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Sequence[int]
) -> list[DistributorTaskInstance]:
    """The async twin of distributor_task_instances()."""
    ids = _ids(task_instance_ids)
    return await fetch_all_async(conn, DistributorTaskInstance, DISTRIBUTOR_SQL, (ids,))


def worker_node_task_instance(conn: psycopg.Connection[Any], task_instance_id: int) -> WorkerNodeTaskInstance:
    """The worker-node wire form of a task instance. Raises TaskInstanceNotFound."""
    return fetch_one(conn, WorkerNodeTaskInstance, WORKER_NODE_SQL, (_id("task_instance_id", task_instance_id),))


async def worker_node_task_instance_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int
) -> WorkerNodeTaskInstance:
    """The async twin of worker_node_task_instance()."""
    return await fetch_one_async(
        conn, WorkerNodeTaskInstance, WORKER_NODE_SQL, (_id("task_instance_id", task_instance_id),)
    )
