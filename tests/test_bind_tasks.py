"""jobmon.bind_tasks(): registering and rebinding a batch of tasks, one row per key with its real outcome."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from jobmon_db import BoundTask, InvalidArgument, TaskBinding, WorkflowNotFound, bind_tasks, queue_task_batch
from tests.test_races import WAIT_SECONDS, conn, reporters, wait_until_blocked

__all__ = ["conn", "reporters"]  # fixtures of the race harness


def _workflow(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    row = conn.execute(
        "with wf as (insert into jobmon.workflow (name) values ('bind') returning id)"
        " insert into jobmon.array (workflow_id, name) select id, 'bind' from wf returning workflow_id, id"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def _task(node: int, name: str = "t", max_attempts: int = 2, reset: bool = False, array: int | None = None) -> Any:
    return TaskBinding(
        node_id=node,
        task_args_hash=f"h{node}",
        name=name,
        command=f"echo {name}",
        max_attempts=max_attempts,
        array_id=array,
        reset_if_running=reset,
    )


def _set_status(conn: psycopg.Connection[Any], task_id: int, status: str, num_attempts: int = 1) -> None:
    conn.execute("update jobmon.task set status = %s, num_attempts = %s where id = %s", (status, num_attempts, task_id))


def _row(conn: psycopg.Connection[Any], task_id: int) -> tuple[Any, ...]:
    row = conn.execute(
        "select status, num_attempts, max_attempts, name, command from jobmon.task where id = %s", (task_id,)
    ).fetchone()
    assert row is not None
    return row


def test_new_tasks_are_created_in_g_and_duplicates_count_once(conn):
    wf, array = _workflow(conn)
    rows = bind_tasks(conn, wf, [_task(2, array=array), _task(1, array=array), _task(2, "second", array=array)])
    assert [(r.node_id, r.outcome, r.previous_status, str(r.status)) for r in rows] == [
        (1, "created", None, "G"),  # inserted in key order, returned in task id order
        (2, "created", None, "G"),
    ]
    assert [r.task_id for r in rows] == sorted(r.task_id for r in rows)
    assert _row(conn, rows[1].task_id) == ("G", 0, 2, "t", "echo t")  # the first occurrence of a key wins
    assert bind_tasks(conn, wf, []) == []


@pytest.mark.parametrize(
    ("status", "reset_if_running", "outcome", "after"),
    [
        ("G", False, "reset", "G"),
        ("Q", False, "reset", "G"),
        ("E", False, "reset", "G"),
        ("A", False, "reset", "G"),
        ("F", False, "reset", "G"),
        ("R", True, "reset", "G"),
        ("R", False, "unchanged", "R"),
        ("D", True, "unchanged", "D"),
    ],
)
def test_a_rebind_resets_an_unfinished_task_through_the_reset_move(conn, status, reset_if_running, outcome, after):
    wf, _ = _workflow(conn)
    (first,) = bind_tasks(conn, wf, [_task(1, max_attempts=1)])
    _set_status(conn, first.task_id, status)
    (again,) = bind_tasks(conn, wf, [_task(1, "renamed", max_attempts=5, reset=reset_if_running)])
    assert (again.task_id, again.outcome, str(again.previous_status), str(again.status)) == (
        first.task_id,
        outcome,
        status,
        after,
    )
    if outcome == "reset":
        assert _row(conn, first.task_id) == ("G", 0, 5, "renamed", "echo renamed")
        assert again.max_attempts == 5
        (function,) = conn.execute(
            "select function_name from jobmon.transition_history where model = 'Task' and object_id = %s"
            " and to_status = 'G' and from_status is distinct from 'G' order by id desc limit 1",
            (first.task_id,),
        ).fetchone() or (None,)
        assert function == ("bind_tasks" if status != "G" else None)
    else:
        assert _row(conn, first.task_id) == (status, 1, 1, "t", "echo t")


def test_a_status_without_a_reset_move_is_refused_and_the_rest_of_the_batch_goes_on(conn):
    wf, _ = _workflow(conn)
    a, b = bind_tasks(conn, wf, [_task(1), _task(2)])
    _set_status(conn, a.task_id, "A")
    conn.execute("delete from jobmon.task_transition where from_status = 'A' and to_status = 'G' and kind = 'resume'")
    try:
        rows = bind_tasks(conn, wf, [_task(1), _task(2), _task(3)])
    finally:
        conn.execute(
            "insert into jobmon.task_transition (from_status, to_status, kind, reason)"
            " values ('A', 'G', 'resume', 'a resume resets a task whose resources were being adjusted')"
        )
    assert [(r.task_id == a.task_id, r.outcome, str(r.status)) for r in rows[:1]] == [(True, "refused", "A")]
    assert [r.outcome for r in rows[1:]] == ["reset", "created"]


def test_a_reset_task_s_old_instances_become_stale_attempts(conn):
    wf, array = _workflow(conn)
    (bound,) = bind_tasks(conn, wf, [_task(1, array=array)])
    (queued,) = queue_task_batch(conn, [bound.task_id], array, task_resources_id=None, workflow_run_id=None)
    (again,) = bind_tasks(conn, wf, [_task(1, array=array)])
    assert again.outcome == "reset"
    (fresh,) = conn.execute("select current_attempt_from from jobmon.task where id = %s", (bound.task_id,)).fetchone()
    assert fresh > queued.task_instance_id


def test_the_application_role_binds_tasks_it_may_not_write(conn):
    wf, _ = _workflow(conn)
    (app,) = conn.execute("select role_name from jobmon.deployment_role where actor = 'app'").fetchone()
    with psycopg.connect(conn.info.dsn) as session:
        session.execute(f'set role "{app}"')
        (created,) = bind_tasks(session, wf, [_task(1)])
        session.commit()
        session.execute(f'set role "{app}"')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            session.execute("update jobmon.task set status = 'G' where id = %s", (created.task_id,))
        session.rollback()
        session.execute(f'set role "{app}"')
        _set_status(conn, created.task_id, "F")
        (again,) = bind_tasks(session, wf, [_task(1)])
        session.commit()
    assert (again.outcome, str(again.status)) == ("reset", "G")


def test_bad_calls(conn):
    wf, _ = _workflow(conn)
    with pytest.raises(WorkflowNotFound):
        bind_tasks(conn, wf + 1000, [_task(1)])
    with pytest.raises(InvalidArgument, match="max_attempts must not be negative"):
        bind_tasks(conn, wf, [_task(1, max_attempts=-1)])
    with pytest.raises(InvalidArgument, match="NULL"):
        bind_tasks(conn, wf, [TaskBinding(node_id=1, task_args_hash=None, name="x", command=None, max_attempts=1)])  # type: ignore[arg-type]
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="differ in length"):
        conn.execute(
            "select * from jobmon.bind_tasks(%s, '{1,2}', '{a}', '{null}', '{null}', '{n}', '{c}', '{1}',"
            " '{null}', '{null}', '{f}')",
            (wf,),
        )


def _bind_in(reporter: Any, wf: int, tasks: list[Any]) -> Any:
    return reporter.start(lambda c, _a, _b: bind_tasks(c, wf, tasks), 0, 0)


def test_two_binds_of_the_same_new_keys_in_opposite_orders_never_deadlock(conn, reporters):
    wf, _ = _workflow(conn)
    first = reporters("bind-1", autocommit=False)
    second = reporters("bind-2", autocommit=False)
    mine = bind_tasks(first.conn, wf, [_task(1), _task(2)])  # inserted, not committed
    theirs = _bind_in(second, wf, [_task(2), _task(1)])
    wait_until_blocked(conn, second.pid)  # waits for the first insert of key 1 (keys go in in order)
    first.conn.commit()
    rows: list[BoundTask] = theirs.result(timeout=WAIT_SECONDS)
    second.conn.commit()
    assert [r.outcome for r in mine] == ["created", "created"]
    assert [(r.task_id, r.outcome) for r in rows] == [(m.task_id, "reset") for m in mine]


def test_a_rebind_waits_for_a_move_in_flight_and_decides_on_its_result(conn, reporters):
    wf, _ = _workflow(conn)
    (bound,) = bind_tasks(conn, wf, [_task(1)])
    _set_status(conn, bound.task_id, "R")
    mover = reporters("cascade", autocommit=False)
    binder = reporters("bind")
    mover.conn.execute("select id from jobmon.task where id = %s for no key update", (bound.task_id,))
    mover.conn.execute("update jobmon.task set status = 'D' where id = %s", (bound.task_id,))
    rebind = _bind_in(binder, wf, [_task(1, reset=True)])
    wait_until_blocked(conn, binder.pid)
    mover.conn.commit()
    (row,) = rebind.result(timeout=WAIT_SECONDS)
    assert (row.outcome, str(row.status)) == ("unchanged", "D")  # decided under the lock, on what the move left
