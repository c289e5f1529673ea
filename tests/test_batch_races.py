"""Deterministic races of the batch functions, interleaved step by step (see tests/test_races.py).

The first caller runs inside an open transaction and so holds its locks; the
second runs in its own thread and the test waits until pg_stat_activity shows
it waiting on a lock held by the first, checks nothing is visible yet, commits
the first and looks at what the second got. The worker's reports (log_running,
log_done) are the single-row moves of jobmon.transition_task_instance().
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    TaskInstanceStatus,
    instantiate_task_instances,
    launch_array_batch,
    log_heartbeats,
    queue_task_batch,
    transition_task_instance,
)
from tests.factories import make_array, make_array_batch, make_array_tasks
from tests.test_races import WAIT_SECONDS, Reporter, wait_until_blocked


@pytest.fixture
def reporters(db_dsn: str) -> Iterator[Callable[..., Reporter]]:
    """Reporters on this test's database, rolled back and closed afterwards."""
    made: list[Reporter] = []

    def make(name: str, *, autocommit: bool = True) -> Reporter:
        reporter = Reporter(db_dsn, name, autocommit=autocommit)
        made.append(reporter)
        return reporter

    yield make
    for reporter in made:
        if not reporter.conn.closed and not reporter.conn.autocommit:
            reporter.conn.rollback()
    for reporter in made:
        reporter.close()


def run(reporter: Reporter, call: Callable[[psycopg.Connection[Any]], Any]) -> Any:
    """Start `call` on the reporter's connection in its thread."""
    return reporter.start(lambda conn, _ti, _task: call(conn), 0, 0)


def instances_of(conn: psycopg.Connection[Any], tasks: list[int]) -> list[tuple[int, int, int, str]]:
    return conn.execute(
        "select task_id, array_batch_num, array_step_id, status from jobmon.task_instance"
        " where task_id = any(%s) order by task_id, id",
        (tasks,),
    ).fetchall()


def test_two_queue_calls_with_overlapping_tasks_queue_each_task_once(conn, reporters):
    array_id, run_id, res_id = make_array(conn)
    tasks = make_array_tasks(conn, array_id, ["G"] * 5)
    first, second = reporters("swarm-1", autocommit=False), reporters("swarm-2")

    won = queue_task_batch(first.conn, tasks[:3], array_id, res_id, run_id)
    assert [r.outcome for r in won] == ["applied"] * 3
    # the second call asks for an overlapping set, in descending order
    waiting = run(second, lambda c: queue_task_batch(c, reversed(tasks[1:]), array_id, res_id, run_id))
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    assert instances_of(conn, tasks) == []
    # the second call holds no lock yet (ascending order: it waits for tasks[1] first), so the first
    # transaction can still take the last task without a deadlock
    late = queue_task_batch(first.conn, [tasks[4]], array_id, res_id, run_id)
    assert [(r.outcome, r.array_batch_num) for r in late] == [("applied", 2)]
    first.conn.commit()
    lost = waiting.result(timeout=WAIT_SECONDS)

    assert [(r.task_id, r.outcome, r.array_batch_num) for r in lost] == [
        (tasks[1], "skipped", None),
        (tasks[2], "skipped", None),
        (tasks[3], "applied", 3),
        (tasks[4], "skipped", None),
    ]
    assert conn.execute("select next_batch_num from jobmon.array where id = %s", (array_id,)).fetchone() == (4,)
    # one instance per task, steps unique per batch
    assert instances_of(conn, tasks) == [
        (tasks[0], 1, 0, "Q"),
        (tasks[1], 1, 1, "Q"),
        (tasks[2], 1, 2, "Q"),
        (tasks[3], 3, 0, "Q"),
        (tasks[4], 2, 0, "Q"),
    ]
    attempts = dict(conn.execute("select id, num_attempts from jobmon.task where id = any(%s)", (tasks,)).fetchall())
    assert attempts == dict.fromkeys(tasks, 1)


def test_two_queue_calls_that_both_queue_get_distinct_batch_numbers(conn, reporters):
    array_id, run_id, res_id = make_array(conn)
    tasks = make_array_tasks(conn, array_id, ["G"] * 4)
    first, second = reporters("swarm-1", autocommit=False), reporters("swarm-2")

    queue_task_batch(first.conn, tasks[:2], array_id, res_id, run_id)
    waiting = run(second, lambda c: queue_task_batch(c, tasks[1:], array_id, res_id, run_id))
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    first.conn.commit()
    lost = waiting.result(timeout=WAIT_SECONDS)

    assert [(r.outcome, r.array_batch_num, r.array_step_id) for r in lost] == [
        ("skipped", None, None),
        ("applied", 2, 0),
        ("applied", 2, 1),
    ]
    rows = instances_of(conn, tasks)
    assert [r[0] for r in rows] == tasks  # one instance per task
    assert [(r[1], r[2]) for r in rows] == [(1, 0), (1, 1), (2, 0), (2, 1)]


def test_two_queue_calls_on_disjoint_tasks_of_one_array_serialise_on_the_counter(conn, reporters):
    array_id, run_id, res_id = make_array(conn)
    tasks = make_array_tasks(conn, array_id, ["G"] * 4)
    first, second = reporters("swarm-1", autocommit=False), reporters("swarm-2")

    queue_task_batch(first.conn, tasks[:2], array_id, res_id, run_id)
    waiting = run(second, lambda c: queue_task_batch(c, tasks[2:], array_id, res_id, run_id))
    assert wait_until_blocked(conn, second.pid) == {first.pid}  # on the array row
    first.conn.commit()
    assert {r.array_batch_num for r in waiting.result(timeout=WAIT_SECONDS)} == {2}


@pytest.mark.parametrize("launch_first", [True, False], ids=["launch_then_log_running", "log_running_then_launch"])
def test_launch_array_batch_vs_a_worker_log_running(conn, reporters, launch_first):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [("I", "I")] * 3)
    ti, task = made[1]
    first = reporters("distributor" if launch_first else "worker", autocommit=False)
    second = reporters("worker" if launch_first else "distributor")

    def launch(c: psycopg.Connection[Any]) -> Any:
        return launch_array_batch(c, array_id, 1, timedelta(minutes=5))

    def log_running(c: psycopg.Connection[Any]) -> Any:
        return transition_task_instance(c, ti, "R")

    (launch if launch_first else log_running)(first.conn)
    waiting = run(second, log_running if launch_first else launch)
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    first.conn.commit()
    got = waiting.result(timeout=WAIT_SECONDS)

    final = dict(
        conn.execute(
            "select ti.id, (ti.status, t.status) from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
            " where ti.id = any(%s)",
            ([i for i, _ in made],),
        ).fetchall()
    )
    if launch_first:  # O -> R is the worker's valid move
        assert (got.outcome, got.previous_status, got.status) == (
            "applied",
            TaskInstanceStatus.LAUNCHED,
            TaskInstanceStatus.RUNNING,
        )
    else:  # the worker beat the distributor (I -> R): launch leaves that instance alone and reports it
        by_id = {r.task_instance_id: r for r in got}
        assert (by_id[ti].outcome, by_id[ti].status, by_id[ti].task_status.value) == ("skipped", "R", "R")
        assert by_id[ti].submitted_date is None
        assert [by_id[i].outcome for i, _ in made if i != ti] == ["applied", "applied"]
    assert final[ti] == ("R", "R")
    assert [final[i] for i, _ in made if i != ti] == [("O", "O"), ("O", "O")]
    assert task == made[1][1]


@pytest.mark.parametrize("heartbeat_first", [True, False], ids=["heartbeat_then_log_done", "log_done_then_heartbeat"])
def test_log_heartbeats_vs_log_done(conn, reporters, heartbeat_first):
    array_id, _, _ = make_array(conn)
    (launched, _), (running, _) = make_array_batch(conn, array_id, [("O", "O"), ("R", "R")])
    conn.execute(
        "update jobmon.task_instance set report_by_date = '2000-01-01' where id = any(%s)", ([launched, running],)
    )
    first = reporters("distributor" if heartbeat_first else "worker", autocommit=False)
    second = reporters("worker" if heartbeat_first else "distributor")

    def heartbeat(c: psycopg.Connection[Any]) -> Any:
        return log_heartbeats(c, [launched, running], timedelta(seconds=90))

    def log_done(c: psycopg.Connection[Any]) -> Any:
        return transition_task_instance(c, running, "D")

    (heartbeat if heartbeat_first else log_done)(first.conn)
    waiting = run(second, log_done if heartbeat_first else heartbeat)
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    first.conn.commit()
    got = waiting.result(timeout=WAIT_SECONDS)

    if heartbeat_first:
        assert got.outcome == "applied" and got.status == TaskInstanceStatus.DONE
    else:  # the heartbeat saw the finished instance and left it alone
        assert [(r.task_instance_id, r.outcome, r.status.value) for r in got] == [
            (launched, "applied", "O"),
            (running, "skipped", "D"),
        ]
    rows = {
        r[0]: (r[1], r[2])
        for r in conn.execute(
            "select id, status, report_by_date < '2001-01-01' from jobmon.task_instance where id = any(%s)",
            ([launched, running],),
        )
    }
    # the launched instance's deadline was pushed; the finished one's never was
    assert rows == {launched: ("O", False), running: ("D", True)}


def test_instantiate_vs_a_second_instantiate_of_the_same_instances(conn, reporters):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [("Q", "Q")] * 3)
    ids = [ti for ti, _ in made]
    first, second = reporters("distributor-1", autocommit=False), reporters("distributor-2")
    assert [r.outcome for r in instantiate_task_instances(first.conn, ids[:2])] == ["applied"] * 2
    waiting = run(second, lambda c: instantiate_task_instances(c, reversed(ids)))
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    first.conn.commit()
    assert [r.outcome for r in waiting.result(timeout=WAIT_SECONDS)] == ["unchanged", "unchanged", "applied"]
