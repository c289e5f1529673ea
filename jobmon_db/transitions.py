"""Call jobmon.transition_task_instance() from Python (psycopg 3, sync and async).

The functions here never commit or roll back: they run one statement on the
caller's connection, so they join the caller's transaction, or make their own
in autocommit mode. As with any failed statement, an error leaves an open
transaction aborted until the caller rolls it back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from .errors import InvalidArgument
from .executor import jobmon_errors
from .statuses import StatusCodes, TaskInstanceStatus, TaskStatus

logger = logging.getLogger("jobmon_db")

TRANSITION_SQL = "select * from jobmon.transition_task_instance(%s, %s)"


@dataclass(frozen=True)
class TransitionResult(StatusCodes):
    """One row of jobmon.transition_task_instance()."""

    task_instance_id: int
    task_id: int
    outcome: str
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_previous_status: TaskStatus
    task_status: TaskStatus
    task_num_attempts: int
    status_date: datetime
    #: True when the task instance is an attempt its task has left behind (queued
    #: again or reset by a resume): the move did not cascade to the task.
    stale: bool = False

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"

    @property
    def untimely(self) -> bool:
        return self.outcome == "untimely"


BIGINT_RANGE = range(-(2**63), 2**63)


def _arguments(task_instance_id: int, new_status: TaskInstanceStatus | str) -> tuple[int, str]:
    """Refuse Python values PostgreSQL would misread or answer with a type error; None is left to the function."""
    if task_instance_id is not None and (not isinstance(task_instance_id, int) or isinstance(task_instance_id, bool)):
        raise InvalidArgument(
            f"task_instance_id must be an int, not {type(task_instance_id).__name__}: {task_instance_id!r}"
        )
    if task_instance_id is not None and task_instance_id not in BIGINT_RANGE:
        raise InvalidArgument(f"task_instance_id is out of range for bigint: {task_instance_id}")
    if isinstance(new_status, TaskInstanceStatus):
        return task_instance_id, new_status.value
    if isinstance(new_status, TaskStatus):  # a str too, and 'D', 'R', ... are task-instance codes as well
        raise InvalidArgument(f"new_status must be a task-instance status, not TaskStatus.{new_status.name}")
    if new_status is not None and not isinstance(new_status, str):
        raise InvalidArgument(
            f"new_status must be a str code such as 'R', not {type(new_status).__name__}: {new_status!r}"
        )
    if new_status is not None and "\x00" in new_status:
        raise InvalidArgument(f"new_status must not contain NUL characters: {new_status!r}")
    return task_instance_id, new_status


def _checked(row: tuple[Any, ...] | None, requested: str) -> TransitionResult:
    """The function's row as a TransitionResult (by position: cheaper than a row factory on this hot path)."""
    if row is None:  # the function always returns one row
        raise RuntimeError("jobmon.transition_task_instance() returned no row")
    result = TransitionResult(*row)
    if result.untimely:
        logger.warning(
            "untimely transition of TaskInstance id: %s from %s to %s ignored"
            " (a late report that lost a race; nothing changed)",
            result.task_instance_id,
            result.status.value,
            requested,
        )
    return result


def transition_task_instance(
    conn: psycopg.Connection[Any], task_instance_id: int, new_status: TaskInstanceStatus | str
) -> TransitionResult:
    """Move a task instance to ``new_status`` (a code or TaskInstanceStatus).

    Returns the result, also when untimely (logged as a warning). Raises
    InvalidStateTransition, TaskInstanceNotFound, UnknownStatus,
    TransitionTimeout and the other errors of jobmon_db.errors; InvalidArgument
    (before anything is sent) for an id that is not an int in bigint's range,
    a status that is not a str, or a TaskStatus.
    """
    task_instance_id, code = _arguments(task_instance_id, new_status)
    with jobmon_errors(conn):
        row = conn.execute(TRANSITION_SQL, (task_instance_id, code)).fetchone()
    return _checked(row, code)


async def transition_task_instance_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, new_status: TaskInstanceStatus | str
) -> TransitionResult:
    """The async twin of transition_task_instance(), for an AsyncConnection."""
    task_instance_id, code = _arguments(task_instance_id, new_status)
    with jobmon_errors(conn):
        row = await (await conn.execute(TRANSITION_SQL, (task_instance_id, code))).fetchone()
    return _checked(row, code)
