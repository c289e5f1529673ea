"""Read the transition history, and turn it off and on (jobmon.transition_history).

Every applied move of a task instance (and its creation) and of a task is
recorded by the move itself, in the same statement; the order of the
history is the increasing ``id``. These functions never commit.
"""

from __future__ import annotations

from typing import Any

from . import arguments as a
from .executor import Argument, SqlFunction
from .results import HistoryEntry

TASK_INSTANCE_HISTORY = SqlFunction(
    "task_instance_history", HistoryEntry, Argument("task_instance_id", "bigint", a.bigint)
)
SET_HISTORY = SqlFunction("set_history", bool, Argument("enabled", "boolean", a.flag))
HISTORY_ENABLED = SqlFunction("history_enabled", bool)


@TASK_INSTANCE_HISTORY.rows
def task_instance_history(task_instance_id: int) -> dict[str, Any]:
    """The task instance's moves and its task's moves, in history order. TaskInstanceNotFound if there is none."""
    return locals()


@SET_HISTORY.row
def set_history(enabled: bool) -> dict[str, Any]:
    """Turn the history of this database on or off (owner only); returns the new state."""
    return locals()


task_instance_history_async = task_instance_history.async_twin
set_history_async = set_history.async_twin


@HISTORY_ENABLED.row
def history_enabled() -> dict[str, Any]:
    """Whether this database records the history (jobmon.history_enabled())."""
    return {}


history_enabled_async = history_enabled.async_twin
