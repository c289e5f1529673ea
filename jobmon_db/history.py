"""Read the transition history, and turn it off and on (jobmon.transition_history).

Every applied move of a task instance (and its creation) and of a task is
recorded by the move itself, in the same statement; the order of the
history is the increasing ``id``. These functions never commit.
"""

from __future__ import annotations

from typing import Any

import psycopg

from . import arguments as a
from .executor import Argument, SqlFunction
from .results import HistoryEntry

TASK_INSTANCE_HISTORY = SqlFunction(
    "task_instance_history", HistoryEntry, Argument("task_instance_id", "bigint", a.bigint)
)
SET_HISTORY = SqlFunction("set_history", bool, Argument("enabled", "boolean", a.flag))
# The switch the moves read (jobmon.set_history() writes it).
HISTORY_ENABLED_SQL = "select coalesce((select s.enabled from jobmon.history_setting s), false)"


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


def history_enabled(conn: psycopg.Connection[Any]) -> bool:
    """Whether this database records the history."""
    row = conn.execute(HISTORY_ENABLED_SQL).fetchone()
    assert row is not None
    return bool(row[0])


async def history_enabled_async(conn: psycopg.AsyncConnection[Any]) -> bool:
    """The async twin of history_enabled()."""
    cur = await conn.execute(HISTORY_ENABLED_SQL)
    row = await cur.fetchone()
    assert row is not None
    return bool(row[0])
