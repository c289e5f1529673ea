"""What the swarm calls (psycopg 3, sync and async): queue, triage, terminate, resume and the change feed.

Each function runs one statement of the SQL function of the same name on the
caller's connection and never commits or rolls back (see docs/sql-api.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import psycopg

from . import arguments as a
from .executor import Argument, SqlFunction
from .results import QueuedTask, TaskReset, TaskStatusChange, TerminatedInstance, TriagedInstance

__all__ = [
    "QueuedTask",
    "TaskReset",
    "TaskStatusChange",
    "TerminatedInstance",
    "TriagedInstance",
    "next_cursor",
    "queue_task_batch",
    "queue_task_batch_async",
    "reset_tasks_for_resume",
    "reset_tasks_for_resume_async",
    "task_status_changes",
    "task_status_changes_async",
    "terminate_workflow_run",
    "terminate_workflow_run_async",
    "triage_overdue",
    "triage_overdue_async",
]

_WORKFLOW_ID = Argument("workflow_id", "bigint", a.bigint)
_WORKFLOW_RUN_ID = Argument("workflow_run_id", "bigint", a.bigint)

QUEUE_TASK_BATCH = SqlFunction(
    "queue_task_batch",
    QueuedTask,
    Argument("task_ids", "bigint[]", a.bigint_array),
    Argument("array_id", "bigint", a.bigint),
    Argument("task_resources_id", "bigint", a.bigint),
    _WORKFLOW_RUN_ID,
)
TRIAGE_OVERDUE = SqlFunction(
    "triage_overdue", TriagedInstance, _WORKFLOW_RUN_ID, Argument("launched_grace", "interval", a.interval)
)
TERMINATE_WORKFLOW_RUN = SqlFunction(
    "terminate_workflow_run", TerminatedInstance, _WORKFLOW_RUN_ID, Argument("hot", "boolean", a.flag)
)
RESET_TASKS_FOR_RESUME = SqlFunction(
    "reset_tasks_for_resume", TaskReset, _WORKFLOW_ID, Argument("reset_running", "boolean", a.flag)
)
TASK_STATUS_CHANGES = SqlFunction(
    "task_status_changes", TaskStatusChange, _WORKFLOW_ID, Argument("after", "bigint", a.bigint)
)


def queue_task_batch(
    conn: psycopg.Connection[Any],
    task_ids: Iterable[int],
    array_id: int,
    task_resources_id: int | None,
    workflow_run_id: int | None,
) -> list[QueuedTask]:
    """Queue the tasks in G or A (one new task instance each, one batch number); one row per distinct task id."""
    return QUEUE_TASK_BATCH.all(
        conn,
        task_ids=task_ids,
        array_id=array_id,
        task_resources_id=task_resources_id,
        workflow_run_id=workflow_run_id,
    )


async def queue_task_batch_async(
    conn: psycopg.AsyncConnection[Any],
    task_ids: Iterable[int],
    array_id: int,
    task_resources_id: int | None,
    workflow_run_id: int | None,
) -> list[QueuedTask]:
    """The async twin of queue_task_batch()."""
    return await QUEUE_TASK_BATCH.all_async(
        conn,
        task_ids=task_ids,
        array_id=array_id,
        task_resources_id=task_resources_id,
        workflow_run_id=workflow_run_id,
    )


def triage_overdue(
    conn: psycopg.Connection[Any], workflow_run_id: int, launched_grace: timedelta
) -> list[TriagedInstance]:
    """R past report_by_date -> T, O past it and launched longer than launched_grace -> X; the instances moved."""
    return TRIAGE_OVERDUE.all(conn, workflow_run_id=workflow_run_id, launched_grace=launched_grace)


async def triage_overdue_async(
    conn: psycopg.AsyncConnection[Any], workflow_run_id: int, launched_grace: timedelta
) -> list[TriagedInstance]:
    """The async twin of triage_overdue()."""
    return await TRIAGE_OVERDUE.all_async(conn, workflow_run_id=workflow_run_id, launched_grace=launched_grace)


def terminate_workflow_run(
    conn: psycopg.Connection[Any], workflow_run_id: int, hot: bool = False
) -> list[TerminatedInstance]:
    """Tell every live instance of the run to die through the rules (see docs/state-machine.md)."""
    return TERMINATE_WORKFLOW_RUN.all(conn, workflow_run_id=workflow_run_id, hot=hot)


async def terminate_workflow_run_async(
    conn: psycopg.AsyncConnection[Any], workflow_run_id: int, hot: bool = False
) -> list[TerminatedInstance]:
    """The async twin of terminate_workflow_run()."""
    return await TERMINATE_WORKFLOW_RUN.all_async(conn, workflow_run_id=workflow_run_id, hot=hot)


def reset_tasks_for_resume(conn: psycopg.Connection[Any], workflow_id: int, reset_running: bool) -> list[TaskReset]:
    """Every task not D (and not R unless reset_running) -> G with no attempts; old instances become stale."""
    return RESET_TASKS_FOR_RESUME.all(conn, workflow_id=workflow_id, reset_running=reset_running)


async def reset_tasks_for_resume_async(
    conn: psycopg.AsyncConnection[Any], workflow_id: int, reset_running: bool
) -> list[TaskReset]:
    """The async twin of reset_tasks_for_resume()."""
    return await RESET_TASKS_FOR_RESUME.all_async(conn, workflow_id=workflow_id, reset_running=reset_running)


def task_status_changes(conn: psycopg.Connection[Any], workflow_id: int, after: int = 0) -> list[TaskStatusChange]:
    """Tasks of the workflow whose status changed after the cursor; pass the largest cursor received next."""
    return TASK_STATUS_CHANGES.all(conn, workflow_id=workflow_id, after=after)


async def task_status_changes_async(
    conn: psycopg.AsyncConnection[Any], workflow_id: int, after: int = 0
) -> list[TaskStatusChange]:
    """The async twin of task_status_changes()."""
    return await TASK_STATUS_CHANGES.all_async(conn, workflow_id=workflow_id, after=after)


def next_cursor(changes: Sequence[TaskStatusChange], previous: int) -> int:
    """The cursor to pass to the next task_status_changes() call."""
    return max((c.cursor for c in changes), default=previous)
