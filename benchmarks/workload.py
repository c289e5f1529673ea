"""The work every implementation does, and the database it is done in.

Every task starts queued (Q, one attempt counted, two allowed) with one task
instance in Q. Half the tasks live the happy path, the other half fail once
and are retried:

    happy:  Q -> I -> O -> R -> D                          (4 transitions)
    error:  Q -> I -> O -> R -> E   (task E, then G: an attempt is left)
            requeue: the task goes back to Q, untimed
            Q -> I -> O -> R -> D   (a second task instance)  (4 + 4)

The requeue is not a task-instance transition (Jobmon's scheduler does it),
so it runs between the two timed phases, as the same UPDATE for every
implementation. Requests go breadth-first (every task instance one step,
then the next step), as a distributor and many workers would send them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from jobmon_db.migrate import migrate

HAPPY = "IORD"
FAILING = "IORE"
RETRY = "IORD"

Step = tuple[int, str]  # (task_instance_id, new_status)


@dataclass(frozen=True)
class BenchTask:
    task_id: int
    first_instance: int
    retry_instance: int | None  # set for the tasks that take the error path


def recreate_database(dsn: str, name: str) -> str:
    """Drop and re-create database `name` on the server of `dsn`, migrate it, return its DSN."""
    admin_dsn = make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    bench_dsn = make_conninfo(dsn, dbname=name)
    migrate(bench_dsn)
    return bench_dsn


def drop_database(dsn: str, name: str) -> None:
    with psycopg.connect(make_conninfo(dsn, dbname="postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def create_tasks(conn: psycopg.Connection[Any], count: int) -> list[BenchTask]:
    """`count` queued tasks with their task instances; every second one also gets its retry instance."""
    task_ids = [
        row[0]
        for row in conn.execute(
            """
            with wf as (insert into jobmon.workflow (name) values ('benchmark') returning id)
            insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)
            select wf.id, 'Q', 1, 2 from wf, generate_series(1, %s)
            returning id
            """,
            (count,),
        )
    ]
    task_ids.sort()
    failing = task_ids[1::2]
    first = _insert_instances(conn, task_ids)
    retry = _insert_instances(conn, failing)
    return [BenchTask(t, first[t], retry.get(t)) for t in task_ids]


def _insert_instances(conn: psycopg.Connection[Any], task_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        "insert into jobmon.task_instance (task_id) select unnest(%s::bigint[]) returning task_id, id",
        (task_ids,),
    )
    return dict(rows.fetchall())


def phases(tasks: list[BenchTask], shuffle_seed: int | None = None) -> list[list[Step]]:
    """The requests of one client: phase 1 (first instances), phase 2 (retries after the requeue).

    With a seed, each step visits the task instances in a shuffled order, so
    clients sharing the same tasks collide at random places.
    """
    first = [(t.first_instance, FAILING if t.retry_instance else HAPPY) for t in tasks]
    retry = [(t.retry_instance, RETRY) for t in tasks if t.retry_instance is not None]
    rng = random.Random(shuffle_seed)
    return [_breadth_first(first, rng, shuffle_seed is not None), _breadth_first(retry, rng, shuffle_seed is not None)]


def _breadth_first(lives: list[tuple[int, str]], rng: random.Random, shuffle: bool) -> list[Step]:
    steps: list[Step] = []
    for position in range(4):
        order = list(lives)
        if shuffle:
            rng.shuffle(order)
        steps.extend((instance, life[position]) for instance, life in order)
    return steps


def requeue(conn: psycopg.Connection[Any], tasks: list[BenchTask]) -> None:
    """Put the failed tasks back in the queue (G -> Q, one more attempt), as Jobmon's scheduler does."""
    failing = [t.task_id for t in tasks if t.retry_instance is not None]
    conn.execute(
        "update jobmon.task set status = 'Q', num_attempts = num_attempts + 1, status_date = now()"
        " where id = any(%s::bigint[])",
        (failing,),
    )


def settle(conn: psycopg.Connection[Any]) -> None:
    """Start every run from the same state: fresh statistics, no dead rows, WAL checkpointed."""
    conn.execute("vacuum (analyze) jobmon.task, jobmon.task_instance")
    try:
        conn.execute("checkpoint")
    except psycopg.errors.InsufficientPrivilege:
        pass  # not a superuser: the runs then share checkpoints as they fall


def next_multixact_id(conn: psycopg.Connection[Any]) -> int | None:
    """The server's next MultiXact id, read after a checkpoint (None when not allowed to checkpoint).

    Row locks shared by several transactions (for example the key-share locks
    a foreign key takes on a referenced row) each create a MultiXact; the
    difference over a run counts them.
    """
    try:
        conn.execute("checkpoint")
    except psycopg.errors.InsufficientPrivilege:
        return None
    row = conn.execute("select next_multixact_id::text::bigint from pg_control_checkpoint()").fetchone()
    return None if row is None else int(row[0])


def final_statuses(conn: psycopg.Connection[Any], tasks: list[BenchTask]) -> dict[str, dict[str, int]]:
    """How many task instances and tasks ended in each status (a sanity check of the run)."""
    instances = [t.first_instance for t in tasks] + [t.retry_instance for t in tasks if t.retry_instance]
    return {
        "task_instance": _count_by_status(conn, "task_instance", instances),
        "task": _count_by_status(conn, "task", [t.task_id for t in tasks]),
    }


def _count_by_status(conn: psycopg.Connection[Any], table: str, ids: list[int]) -> dict[str, int]:
    query = sql.SQL(
        "select status, count(*) from jobmon.{} where id = any(%s::bigint[]) group by status order by status"
    )
    return dict(conn.execute(query.format(sql.Identifier(table)), (ids,)).fetchall())
