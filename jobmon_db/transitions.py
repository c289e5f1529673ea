"""Call jobmon.transition_task_instance() from Python (psycopg 3, sync and async): the core move.

The functions here never commit or roll back: they run one statement on the
caller's connection, so they join the caller's transaction, or make their own
in autocommit mode. As with any failed statement, an error leaves an open
transaction aborted until the caller rolls it back.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from . import arguments as a
from .arguments import BIGINT_RANGE
from .executor import Argument, SqlFunction
from .results import TransitionResult
from .statuses import TaskInstanceStatus

logger = logging.getLogger("jobmon_db")

__all__ = ["BIGINT_RANGE", "TransitionResult", "transition_task_instance", "transition_task_instance_async"]

TRANSITION = SqlFunction(
    "transition_task_instance",
    TransitionResult,
    Argument("task_instance_id", "bigint", a.bigint),
    Argument("new_status", "text", a.task_instance_status),
)


def _logged(result: TransitionResult, requested: TaskInstanceStatus | str) -> TransitionResult:
    if result.untimely:
        logger.warning(
            "untimely transition of TaskInstance id: %s from %s to %s ignored"
            " (a late report that lost a race; nothing changed)",
            result.task_instance_id,
            result.status.value,
            str(requested),
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
    result = TRANSITION.one(conn, task_instance_id=task_instance_id, new_status=new_status)
    return _logged(result, new_status)


async def transition_task_instance_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, new_status: TaskInstanceStatus | str
) -> TransitionResult:
    """The async twin of transition_task_instance(), for an AsyncConnection."""
    result = await TRANSITION.one_async(conn, task_instance_id=task_instance_id, new_status=new_status)
    return _logged(result, new_status)
