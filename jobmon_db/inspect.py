"""Read a task instance and its task (for `jobmon-db show`), and facts the rule tables imply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row

from .errors import TaskInstanceNotFound


@dataclass(frozen=True)
class TaskInstanceView:
    task_instance_id: int
    status: str
    status_label: str
    status_date: datetime
    task_id: int
    task_status: str
    task_status_label: str
    task_status_date: datetime
    num_attempts: int
    max_attempts: int


SHOW_SQL = """
select ti.id as task_instance_id, ti.status, tis.label as status_label, ti.status_date,
       t.id as task_id, t.status as task_status, ts.label as task_status_label,
       t.status_date as task_status_date, t.num_attempts, t.max_attempts
  from jobmon.task_instance ti
  join jobmon.task_instance_status tis on tis.id = ti.status
  join jobmon.task t on t.id = ti.task_id
  join jobmon.task_status ts on ts.id = t.status
 where ti.id = %s
"""


def show_task_instance(conn: psycopg.Connection[Any], task_instance_id: int) -> TaskInstanceView:
    """The task instance, its task and their statuses; TaskInstanceNotFound if there is none."""
    with conn.cursor(row_factory=class_row(TaskInstanceView)) as cur:
        view = cur.execute(SHOW_SQL, (task_instance_id,)).fetchone()
    if view is None:
        raise TaskInstanceNotFound(f"TaskInstance id: {task_instance_id} not found", sqlstate="JM003")
    return view


LIVE_STATUSES_SQL = """
select s.id from jobmon.task_instance_status s
 where exists (select 1 from jobmon.task_instance_transition r where r.from_status = s.id and r.kind = 'valid')
 order by s.id
"""


def live_task_instance_statuses(conn: psycopg.Connection[Any]) -> frozenset[str]:
    """The task-instance statuses the rules give a valid move out of; the others are final."""
    return frozenset(row[0] for row in conn.execute(LIVE_STATUSES_SQL))
