"""Call jobmon.transition_task_instance() from Python (psycopg 3, sync and async): the core move.

The functions here never commit or roll back: they run one statement on the
caller's connection, so they join the caller's transaction, or make their own
in autocommit mode. As with any failed statement, an error leaves an open
transaction aborted until the caller rolls it back.
"""

from __future__ import annotations

import logging
from typing import Any

from . import arguments as a
from .executor import Argument, SqlFunction
from .results import TransitionResult
from .statuses import TaskInstanceStatus

logger = logging.getLogger("jobmon_db")

TRANSITION = SqlFunction(
    "transition_task_instance",
    TransitionResult,
    Argument("task_instance_id", "bigint", a.bigint),
    Argument("new_status", "text", a.task_instance_status),
)


@TRANSITION.row
def transition_task_instance(task_instance_id: int, new_status: TaskInstanceStatus | str) -> dict[str, Any]:
    """Move a task instance to ``new_status`` (a code or TaskInstanceStatus).

    Returns the result, also when untimely (logged as a warning). Raises
    InvalidStateTransition, TaskInstanceNotFound, UnknownStatus,
    TransitionTimeout and the other errors of jobmon_db.errors; InvalidArgument
    (before anything is sent) for an id that is not an int in bigint's range,
    a status that is not a str, or a TaskStatus.
    """
    return locals()


def _logged(result: TransitionResult, sent: dict[str, Any]) -> TransitionResult:
    """A late report that lost a race is no error; it is logged as a warning."""
    if result.untimely:
        logger.warning(
            "untimely transition of TaskInstance id: %s from %s to %s ignored"
            " (a late report that lost a race; nothing changed)",
            result.task_instance_id,
            result.status.value,
            sent["new_status"],
        )
    return result


transition_task_instance.after = _logged
transition_task_instance_async = transition_task_instance.async_twin
