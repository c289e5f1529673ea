"""Rows for tests: a task and a task instance in chosen statuses, written directly."""

from __future__ import annotations

from typing import Any

import psycopg


def make_task_instance(
    conn: psycopg.Connection[Any],
    status: str = "Q",
    task_status: str = "G",
    num_attempts: int = 0,
    max_attempts: int = 1,
) -> tuple[int, int]:
    """Create a workflow, a task and one task instance; return (task_instance_id, task_id)."""
    row = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('test') returning id),
             t as (insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)
                   select id, %s, %s, %s from wf returning id)
        insert into jobmon.task_instance (task_id, status) select id, %s from t returning id, task_id
        """,
        (task_status, num_attempts, max_attempts, status),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def snapshot(conn: psycopg.Connection[Any], task_instance_id: int) -> tuple[Any, ...]:
    """Everything a transition may change about a task instance and its task."""
    row = conn.execute(
        """
        select ti.status, ti.status_date, t.status, t.num_attempts, t.status_date
          from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id
         where ti.id = %s
        """,
        (task_instance_id,),
    ).fetchone()
    assert row is not None
    return tuple(row)
