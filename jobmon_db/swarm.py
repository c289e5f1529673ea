"""What the swarm calls (psycopg 3, sync and async): queue, triage, terminate, resume and the change feed.

Each function runs one statement of the SQL function of the same name on the
caller's connection and never commits or rolls back (see docs/sql-api.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from . import arguments as a
from .executor import Argument, SqlFunction
from .results import QueuedTask, TaskReset, TaskStatusChange, TerminatedInstance, TriagedInstance

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


@QUEUE_TASK_BATCH.rows
def queue_task_batch(
    task_ids: Iterable[int], array_id: int, task_resources_id: int | None, workflow_run_id: int | None
) -> dict[str, Any]:
    """Queue the tasks in G or A (one new task instance each, one batch number); one row per distinct task id."""
    return locals()


@TRIAGE_OVERDUE.rows
def triage_overdue(workflow_run_id: int, launched_grace: timedelta) -> dict[str, Any]:
    """R past report_by_date -> T, O past it and launched longer than launched_grace -> X; the instances moved."""
    return locals()


@TERMINATE_WORKFLOW_RUN.rows
def terminate_workflow_run(workflow_run_id: int, hot: bool = False) -> dict[str, Any]:
    """Tell every live instance of the run to die through the rules (see docs/state-machine.md)."""
    return locals()


@RESET_TASKS_FOR_RESUME.rows
def reset_tasks_for_resume(workflow_id: int, reset_running: bool) -> dict[str, Any]:
    """Every task not D (and not R unless reset_running) -> G with no attempts; old instances become stale."""
    return locals()


@TASK_STATUS_CHANGES.rows
def task_status_changes(workflow_id: int, after: int = 0) -> dict[str, Any]:
    """Tasks of the workflow whose status changed after the cursor; pass the largest cursor received next."""
    return locals()


queue_task_batch_async = queue_task_batch.async_twin
triage_overdue_async = triage_overdue.async_twin
terminate_workflow_run_async = terminate_workflow_run.async_twin
reset_tasks_for_resume_async = reset_tasks_for_resume.async_twin
task_status_changes_async = task_status_changes.async_twin


def next_cursor(changes: Sequence[TaskStatusChange], previous: int) -> int:
    """The cursor to pass to the next task_status_changes() call."""
    return max((c.cursor for c in changes), default=previous)
