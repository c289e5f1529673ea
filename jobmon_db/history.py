"""Read the transition history, and turn it off and on (jobmon.transition_history).

Every applied move of a task instance (and its creation) and of a task is
recorded by the move itself, in the same statement; the order of the
history is the increasing ``id``. These functions never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from .executor import fetch_all, fetch_all_async, jobmon_errors

HISTORY_SQL = "select * from jobmon.task_instance_history(%s)"
SET_HISTORY_SQL = "select jobmon.set_history(%s)"
# The switch the moves read (jobmon.set_history() writes it).
HISTORY_ENABLED_SQL = "select coalesce((select s.enabled from jobmon.history_setting s), false)"


@dataclass(frozen=True)
class HistoryEntry:
    """One row of jobmon.transition_history: an applied move (from_status None: a task instance created)."""

    id: int
    model: str  # 'TaskInstance' or 'Task'
    object_id: int
    task_id: int
    #: For a task instance: itself. For a task: the task instance whose move caused it (None: none did).
    task_instance_id: int | None
    from_status: str | None
    to_status: str
    recorded_at: datetime
    function_name: str | None
    role_name: str
    application_name: str | None


def task_instance_history(conn: psycopg.Connection[Any], task_instance_id: int) -> list[HistoryEntry]:
    """The task instance's moves and its task's moves, in history order. TaskInstanceNotFound if there is none."""
    return fetch_all(conn, HistoryEntry, HISTORY_SQL, (task_instance_id,))


async def task_instance_history_async(conn: psycopg.AsyncConnection[Any], task_instance_id: int) -> list[HistoryEntry]:
    """The async twin of task_instance_history()."""
    return await fetch_all_async(conn, HistoryEntry, HISTORY_SQL, (task_instance_id,))


def set_history(conn: psycopg.Connection[Any], enabled: bool) -> bool:
    """Turn the history of this database on or off (owner only); returns the new state."""
    with jobmon_errors(conn):
        row = conn.execute(SET_HISTORY_SQL, (enabled,)).fetchone()
    assert row is not None
    return bool(row[0])


async def set_history_async(conn: psycopg.AsyncConnection[Any], enabled: bool) -> bool:
    """The async twin of set_history()."""
    with jobmon_errors(conn):
        cur = await conn.execute(SET_HISTORY_SQL, (enabled,))
        row = await cur.fetchone()
    assert row is not None
    return bool(row[0])


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
