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


# ---------------------------------------------------------------------------
# Call-site functions (log_running, log_done, ...): a task instance with every
# column the routes write still empty, and what a call changed.
# ---------------------------------------------------------------------------

#: The task status a task is in while its task instance has this status (the cascade's end state).
NATURAL_TASK_STATUS = {
    "Q": "Q", "I": "I", "O": "O", "W": "G", "R": "R", "T": "R", "X": "O",
    "Z": "A", "U": "G", "E": "G", "D": "D", "K": "R", "F": "F",
}  # fmt: skip


def make_call_site_instance(
    conn: psycopg.Connection[Any], status: str, task_status: str | None = None, overdue: bool = True
) -> tuple[int, int]:
    """A task instance in `status` (task in its natural status, 1 of 3 attempts used), the current attempt,
    with report_by_date an hour in the past (overdue) or in the future; the route's columns NULL."""
    ti, task = make_task_instance(conn, status, task_status or NATURAL_TASK_STATUS[status], 1, 3)
    conn.execute(
        "update jobmon.task_instance set report_by_date = now() + %s * interval '1 hour' where id = %s",
        (-1 if overdue else 1, ti),
    )
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (ti, task))
    return ti, task


def task_instance_row(conn: psycopg.Connection[Any], task_instance_id: int) -> dict[str, Any]:
    """Every column of a task instance, and the number of its error-log rows as 'error_log_rows'."""
    cur = conn.execute("select * from jobmon.task_instance where id = %s", (task_instance_id,))
    names = [d.name for d in cur.description or []]
    values = cur.fetchone()
    assert values is not None
    row = dict(zip(names, values, strict=True))
    count = conn.execute(
        "select count(*) from jobmon.task_instance_error_log where task_instance_id = %s", (task_instance_id,)
    ).fetchone()
    row["error_log_rows"] = count[0] if count else 0
    return row


def make_array(conn: psycopg.Connection[Any]) -> tuple[int, int, int]:
    """A workflow with a run, an array and task resources; return (array_id, workflow_run_id, task_resources_id)."""
    row = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('test') returning id),
             run as (insert into jobmon.workflow_run (workflow_id) select id from wf returning id),
             arr as (insert into jobmon.array (workflow_id, name) select id, 'test' from wf returning id),
             res as (insert into jobmon.task_resources (requested_resources)
                     values ('{"stdout": "/logs/out", "stderr": "/logs/err"}') returning id)
        select arr.id, run.id, res.id from arr, run, res
        """
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def make_array_tasks(
    conn: psycopg.Connection[Any], array_id: int, statuses: list[str], num_attempts: int = 0, max_attempts: int = 3
) -> list[int]:
    """One task of the array per status given, in that order (ascending ids); return their ids."""
    rows = conn.execute(
        """
        insert into jobmon.task (workflow_id, array_id, status, num_attempts, max_attempts, name, command)
        select a.workflow_id, a.id, s.status, %s, %s, 'task ' || s.n, 'echo ' || s.n
          from jobmon.array a, unnest(%s::text[]) with ordinality s(status, n)
         where a.id = %s
         order by s.n
        returning id
        """,
        (num_attempts, max_attempts, statuses, array_id),
    ).fetchall()
    return sorted(r[0] for r in rows)


def make_array_batch(
    conn: psycopg.Connection[Any],
    array_id: int,
    pairs: list[tuple[str, str]],
    batch_num: int = 1,
    num_attempts: int = 1,
    max_attempts: int = 3,
) -> list[tuple[int, int]]:
    """One task per (task-instance status, task status) pair, each with one instance of the array batch at
    steps 0..n-1 in that order; return [(task_instance_id, task_id)] in that order."""
    tasks = make_array_tasks(conn, array_id, [p[1] for p in pairs], num_attempts, max_attempts)
    result = []
    for step, ((ti_status, _), task) in enumerate(zip(pairs, tasks, strict=True)):
        row = conn.execute(
            """
            insert into jobmon.task_instance (workflow_run_id, array_id, task_id, task_resources_id,
                                              array_batch_num, array_step_id, status)
            select (select max(r.id) from jobmon.workflow_run r where r.workflow_id = a.workflow_id), a.id, %s,
                   (select max(r.id) from jobmon.task_resources r), %s, %s, %s
              from jobmon.array a where a.id = %s
            returning id
            """,
            (task, batch_num, step, ti_status, array_id),
        ).fetchone()
        assert row is not None
        conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (row[0], task))
        result.append((row[0], task))
    return result
