"""Registering and rebinding tasks: jobmon.bind_tasks() (psycopg 3).

The application role may insert tasks but never write their status; a
server that binds a workflow's tasks (and rebinds them on a resume) calls
this instead of INSERT and UPDATE. One statement on the caller's connection;
it never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from .executor import fetch_all
from .statuses import StatusCodes, TaskStatus

BIND_SQL = (
    "select * from jobmon.bind_tasks(workflow_id => %s::bigint, node_ids => %s::bigint[],"
    " task_args_hashes => %s::text[], array_ids => %s::bigint[], task_resources_ids => %s::bigint[],"
    " names => %s::text[], commands => %s::text[], max_attempts_per_task => %s::integer[],"
    " resource_scales => %s::text[], fallback_queues => %s::text[], reset_if_running => %s::boolean[])"
)


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


@dataclass(frozen=True)
class BoundTask(StatusCodes):
    """One row of jobmon.bind_tasks(): a requested key and what the call did to its task."""

    node_id: int
    task_args_hash: str
    task_id: int
    #: created (new, in G), reset (rebound to G), unchanged (D, or R without reset_if_running), refused
    outcome: str
    previous_status: TaskStatus | None
    status: TaskStatus
    max_attempts: int


def _params(workflow_id: int, tasks: Sequence[TaskBinding]) -> tuple[Any, ...]:
    columns = (
        "node_id",
        "task_args_hash",
        "array_id",
        "task_resources_id",
        "name",
        "command",
        "max_attempts",
        "resource_scales",
        "fallback_queues",
        "reset_if_running",
    )
    return (workflow_id, *([getattr(t, c) for t in tasks] for c in columns))


def bind_tasks(conn: psycopg.Connection[Any], workflow_id: int, tasks: Sequence[TaskBinding]) -> list[BoundTask]:
    """Register new tasks in G and reset rebound unfinished ones to G; one row per distinct key, by task id."""
    return fetch_all(conn, BoundTask, BIND_SQL, _params(workflow_id, tasks))
