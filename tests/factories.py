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


def make_workflow_run(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """Create a workflow and one run of it; return (workflow_id, workflow_run_id)."""
    row = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('test') returning id)
        insert into jobmon.workflow_run (workflow_id) select id from wf returning workflow_id, id
        """
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def make_run_instance(
    conn: psycopg.Connection[Any],
    workflow_run_id: int,
    status: str,
    task_status: str,
    *,
    num_attempts: int = 1,
    max_attempts: int = 3,
    report_by_date: str | None = None,
    launched: bool | None = None,
) -> tuple[int, int]:
    """A task of the run's workflow with one task instance of the run (its current attempt).

    report_by_date is an SQL interval from now ('-1 hour'); launched (default: the status says the
    job reached the cluster) sets submitted_date, distributor_id and nodename as a launch and a worker would.
    """
    if launched is None:
        launched = status not in ("Q", "I", "W")
    row = conn.execute(
        """
        with t as (insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)
                   select r.workflow_id, %(task_status)s, %(num_attempts)s, %(max_attempts)s
                     from jobmon.workflow_run r where r.id = %(run)s returning id),
             ti as (insert into jobmon.task_instance (workflow_run_id, task_id, status, report_by_date,
                                                     submitted_date, distributor_id, nodename)
                    select %(run)s, t.id, %(status)s, now() + %(report_by)s::interval,
                           case when %(launched)s then now() end, case when %(launched)s then '1234' end,
                           case when %(launched)s then 'node-1' end
                      from t returning id, task_id)
        select id, task_id from ti
        """,
        {
            "task_status": task_status,
            "num_attempts": num_attempts,
            "max_attempts": max_attempts,
            "run": workflow_run_id,
            "status": status,
            "report_by": report_by_date,
            "launched": launched,
        },
    ).fetchone()
    assert row is not None
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (row[0], row[1]))
    return row[0], row[1]
