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
from psycopg.rows import class_row

from .errors import translate
from .statuses import TaskInstanceStatus, TaskStatus

logger = logging.getLogger("jobmon_db")

TRANSITION_SQL = "select * from jobmon.transition_task_instance(%s, %s)"


@dataclass(frozen=True)
class TransitionResult:
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

    def __post_init__(self) -> None:
        # class_row hands over the raw codes; store them as enums.
        object.__setattr__(self, "previous_status", TaskInstanceStatus(self.previous_status))
        object.__setattr__(self, "status", TaskInstanceStatus(self.status))
        object.__setattr__(self, "task_previous_status", TaskStatus(self.task_previous_status))
        object.__setattr__(self, "task_status", TaskStatus(self.task_status))

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"

    @property
    def untimely(self) -> bool:
        return self.outcome == "untimely"


def _status_code(new_status: TaskInstanceStatus | str) -> str:
    return new_status.value if isinstance(new_status, TaskInstanceStatus) else new_status


def _checked(result: TransitionResult | None, requested: str) -> TransitionResult:
    if result is None:  # the function always returns one row
        raise RuntimeError("jobmon.transition_task_instance() returned no row")
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
    TransitionTimeout and the other errors of jobmon_db.errors.
    """
    code = _status_code(new_status)
    try:
        with conn.cursor(row_factory=class_row(TransitionResult)) as cur:
            cur.execute(TRANSITION_SQL, (task_instance_id, code))
            result = cur.fetchone()
    except psycopg.Error as error:
        mapped = translate(error)
        if mapped is None:
            raise
        raise mapped from error
    return _checked(result, code)


async def transition_task_instance_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, new_status: TaskInstanceStatus | str
) -> TransitionResult:
    """The async twin of transition_task_instance(), for an AsyncConnection."""
    code = _status_code(new_status)
    try:
        async with conn.cursor(row_factory=class_row(TransitionResult)) as cur:
            await cur.execute(TRANSITION_SQL, (task_instance_id, code))
            result = await cur.fetchone()
    except psycopg.Error as error:
        mapped = translate(error)
        if mapped is None:
            raise
        raise mapped from error
    return _checked(result, code)
