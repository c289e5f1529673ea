"""Registering and rebinding tasks: jobmon.bind_tasks() (psycopg 3).

The application role may insert tasks but never write their status; a
server that binds a workflow's tasks (and rebinds them on a resume) calls
this instead of INSERT and UPDATE. One statement on the caller's connection;
it never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import arguments as a
from .executor import Argument, SqlFunction
from .results import BoundTask


@dataclass(frozen=True)
class TaskBinding:
    """One task to register, or to rebind when its (node_id, task_args_hash) is already in the workflow."""

    node_id: int
    task_args_hash: str
    name: str
    command: str | None
    max_attempts: int
    array_id: int | None = None
    task_resources_id: int | None = None
    resource_scales: str | None = None
    fallback_queues: str | None = None
    #: rebind a running task too (else an R task is left as it is)
    reset_if_running: bool = False


#: The function's array arguments, each the TaskBinding field it carries, with its SQL type.
_COLUMNS = (
    ("node_ids", "node_id", "bigint[]"),
    ("task_args_hashes", "task_args_hash", "text[]"),
    ("array_ids", "array_id", "bigint[]"),
    ("task_resources_ids", "task_resources_id", "bigint[]"),
    ("names", "name", "text[]"),
    ("commands", "command", "text[]"),
    ("max_attempts_per_task", "max_attempts", "integer[]"),
    ("resource_scales", "resource_scales", "text[]"),
    ("fallback_queues", "fallback_queues", "text[]"),
    ("reset_if_running", "reset_if_running", "boolean[]"),
)

BIND_TASKS = SqlFunction(
    "bind_tasks",
    BoundTask,
    Argument("workflow_id", "bigint", a.bigint),
    *(Argument(argument, sql_type) for argument, _, sql_type in _COLUMNS),
)


@BIND_TASKS.rows
def bind_tasks(workflow_id: int, tasks: Iterable[TaskBinding]) -> dict[str, Any]:
    """Register new tasks in G and reset rebound unfinished ones to G; one row per distinct key, by task id."""
    bindings = list(tasks)
    columns = {argument: [getattr(t, field) for t in bindings] for argument, field, _ in _COLUMNS}
    return {"workflow_id": workflow_id, **columns}
