"""When things go wrong: triage, kills, resumes and the change feed (psycopg 3, sync and async).

Each function runs one statement of the SQL function of the same name on the
caller's connection and never commits or rolls back (see docs/sql-api.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from .errors import InvalidArgument
from .executor import fetch_all, fetch_all_async
from .statuses import StatusCodes, TaskInstanceStatus, TaskStatus
from .transitions import BIGINT_RANGE


@dataclass(frozen=True)
class TriagedInstance(StatusCodes):
    """One instance jobmon.triage_overdue() moved (R -> T or O -> X)."""

    task_instance_id: int
    task_id: int
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    report_by_date: datetime | None


@dataclass(frozen=True)
class KillResult(StatusCodes):
    """One row of jobmon.kill_task_instances(): the outcome of K -> F for one id."""

    task_instance_id: int
    task_id: int | None
    #: applied, unchanged (already F), skipped (not K), not_found, ...
    outcome: str
    previous_status: TaskInstanceStatus | None
    status: TaskInstanceStatus | None
    task_previous_status: TaskStatus | None
    task_status: TaskStatus | None
    task_num_attempts: int | None
    stale: bool | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class TerminatedInstance(StatusCodes):
    """One row of jobmon.terminate_workflow_run(): where one live instance of the run ended."""

    task_instance_id: int
    task_id: int
    #: 'applied' when its status changed, else the outcome that stopped it (e.g. 'refused').
    outcome: str
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_status: TaskStatus
    stale: bool
    #: The error-log text written for it (None when nothing moved).
    description: str | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class TaskReset(StatusCodes):
    """One row of jobmon.reset_tasks_for_resume()."""

    task_id: int
    #: 'applied' (now G with no attempts) or 'refused' (no 'resume' rule from its status).
    outcome: str
    previous_status: TaskStatus
    status: TaskStatus
    previous_num_attempts: int


@dataclass(frozen=True)
class TaskStatusChange(StatusCodes):
    """One row of jobmon.task_status_changes(): a task's current status and the cursor to pass next."""

    task_id: int
    status: TaskStatus
    cursor: int


def _id(name: str, value: Any) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidArgument(f"{name} must be an int, not {type(value).__name__}: {value!r}"[:300])
    if value is not None and value not in BIGINT_RANGE:
        raise InvalidArgument(f"{name} is out of range for bigint: {value}"[:300])
    return value


def _flag(name: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be a bool, not {type(value).__name__}: {value!r}"[:300])
    return value


def _interval(name: str, value: Any) -> timedelta | None:
    if value is not None and not isinstance(value, timedelta):
        raise InvalidArgument(f"{name} must be a datetime.timedelta, not {type(value).__name__}: {value!r}"[:300])
    return value


def _ids(name: str, values: Any) -> list[int | None] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be an iterable of ints, not {type(values).__name__}: {values!r}"[:300])
    return [_id(f"{name}[{i}]", v) for i, v in enumerate(values)]


TRIAGE_SQL = "select * from jobmon.triage_overdue(%s, %s)"
KILL_SQL = "select * from jobmon.kill_task_instances(%s::bigint[])"
TERMINATE_SQL = "select * from jobmon.terminate_workflow_run(%s, %s)"
RESET_SQL = "select * from jobmon.reset_tasks_for_resume(%s, %s)"
CHANGES_SQL = "select * from jobmon.task_status_changes(%s, %s)"


def triage_overdue(
    conn: psycopg.Connection[Any], workflow_run_id: int, launched_grace: timedelta
) -> list[TriagedInstance]:
    """R past report_by_date -> T, O past it and launched longer than launched_grace -> X; the instances moved."""
    params = (_id("workflow_run_id", workflow_run_id), _interval("launched_grace", launched_grace))
    return fetch_all(conn, TriagedInstance, TRIAGE_SQL, params)


async def triage_overdue_async(
    conn: psycopg.AsyncConnection[Any], workflow_run_id: int, launched_grace: timedelta
) -> list[TriagedInstance]:
    """The async twin of triage_overdue()."""
    params = (_id("workflow_run_id", workflow_run_id), _interval("launched_grace", launched_grace))
    return await fetch_all_async(conn, TriagedInstance, TRIAGE_SQL, params)


def kill_task_instances(conn: psycopg.Connection[Any], task_instance_ids: Iterable[int]) -> list[KillResult]:
    """K -> F for the instances the distributor killed; one result per distinct id."""
    return fetch_all(conn, KillResult, KILL_SQL, (_ids("task_instance_ids", task_instance_ids),))


async def kill_task_instances_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int]
) -> list[KillResult]:
    """The async twin of kill_task_instances()."""
    return await fetch_all_async(conn, KillResult, KILL_SQL, (_ids("task_instance_ids", task_instance_ids),))


def terminate_workflow_run(
    conn: psycopg.Connection[Any], workflow_run_id: int, hot: bool = False
) -> list[TerminatedInstance]:
    """Tell every live instance of the run to die through the rules (see docs/state-machine.md)."""
    params = (_id("workflow_run_id", workflow_run_id), _flag("hot", hot))
    return fetch_all(conn, TerminatedInstance, TERMINATE_SQL, params)


async def terminate_workflow_run_async(
    conn: psycopg.AsyncConnection[Any], workflow_run_id: int, hot: bool = False
) -> list[TerminatedInstance]:
    """The async twin of terminate_workflow_run()."""
    params = (_id("workflow_run_id", workflow_run_id), _flag("hot", hot))
    return await fetch_all_async(conn, TerminatedInstance, TERMINATE_SQL, params)


def reset_tasks_for_resume(conn: psycopg.Connection[Any], workflow_id: int, reset_running: bool) -> list[TaskReset]:
    """Every task not D (and not R unless reset_running) -> G with no attempts; old instances become stale."""
    params = (_id("workflow_id", workflow_id), _flag("reset_running", reset_running))
    return fetch_all(conn, TaskReset, RESET_SQL, params)


async def reset_tasks_for_resume_async(
    conn: psycopg.AsyncConnection[Any], workflow_id: int, reset_running: bool
) -> list[TaskReset]:
    """The async twin of reset_tasks_for_resume()."""
    params = (_id("workflow_id", workflow_id), _flag("reset_running", reset_running))
    return await fetch_all_async(conn, TaskReset, RESET_SQL, params)


def task_status_changes(conn: psycopg.Connection[Any], workflow_id: int, after: int = 0) -> list[TaskStatusChange]:
    """Tasks of the workflow whose status changed after the cursor; pass the largest cursor received next."""
    return fetch_all(conn, TaskStatusChange, CHANGES_SQL, (_id("workflow_id", workflow_id), _id("after", after)))


async def task_status_changes_async(
    conn: psycopg.AsyncConnection[Any], workflow_id: int, after: int = 0
) -> list[TaskStatusChange]:
    """The async twin of task_status_changes()."""
    return await fetch_all_async(
        conn, TaskStatusChange, CHANGES_SQL, (_id("workflow_id", workflow_id), _id("after", after))
    )


def next_cursor(changes: Sequence[TaskStatusChange], previous: int) -> int:
    """The cursor to pass to the next task_status_changes() call."""
    return max((c.cursor for c in changes), default=previous)
