"""The set-based batch functions: every function over ids in every status, against tables from the specification.

Expected outcomes are written from the issue and docs/state-machine.md:
queue moves tasks in G or A to Q (one attempt, one new instance each);
instantiate moves Q instances of Q tasks to I (tasks -> I); launch moves I
instances of I tasks to O (tasks -> O) with both dates; distributor ids go on
O and R instances only; heartbeats push the deadline of O instances only.
Everything else is reported with its status and left alone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    InvalidArgument,
    TaskInstanceNotFound,
    TaskInstanceStatus,
    TaskStatus,
    UnknownStatus,
    array_task_instance,
    array_task_instance_async,
    instantiate_task_instances,
    instantiate_task_instances_async,
    launch_array_batch,
    launch_array_batch_async,
    log_array_distributor_ids,
    log_array_distributor_ids_async,
    log_heartbeats,
    log_heartbeats_async,
    queue_task_batch,
    queue_task_batch_async,
    worker_node_task_instance,
)
from tests.factories import make_array, make_array_batch, make_array_tasks

TASK_STATUSES = list("GQIORDEAF")
TI_STATUSES = list("QIOWRTXZUEDKF")
ALL_PAIRS = [(ti, task) for ti in TI_STATUSES for task in TASK_STATUSES]


def rows_of(conn: psycopg.Connection[Any], table: str, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    return {r[0]: tuple(r[1:]) for r in conn.execute(f"select * from jobmon.{table} where id = any(%s)", (ids,))}


def task_rows(conn: psycopg.Connection[Any], ids: list[int]) -> dict[int, tuple[str, int, int]]:
    rows = conn.execute(
        "select id, status, num_attempts, current_attempt_from from jobmon.task where id = any(%s)", (ids,)
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


# ---------------------------------------------------------------------------
# queue_task_batch
# ---------------------------------------------------------------------------

QUEUE_EXPECTED = {  # task status -> (outcome, status after, attempts added)
    "G": ("applied", "Q", 1),
    "A": ("applied", "Q", 1),
    **{s: ("skipped", s, 0) for s in "QIORDEF"},
}


def test_queue_task_batch_queues_g_and_a_tasks_and_reports_every_other_status(conn):
    array_id, run_id, res_id = make_array(conn)
    tasks = make_array_tasks(conn, array_id, TASK_STATUSES, num_attempts=1)
    status_of = dict(zip(tasks, TASK_STATUSES, strict=True))
    before = task_rows(conn, tasks)

    rows = queue_task_batch(conn, reversed(tasks), array_id, res_id, run_id)

    assert [r.task_id for r in rows] == tasks  # one row per id, ascending
    queued = [t for t in tasks if QUEUE_EXPECTED[status_of[t]][0] == "applied"]
    after = task_rows(conn, tasks)
    for row in rows:
        outcome, status, added = QUEUE_EXPECTED[status_of[row.task_id]]
        assert (row.outcome, row.task_status, row.num_attempts) == (outcome, TaskStatus(status), 1 + added)
        assert after[row.task_id][:2] == (status, 1 + added)
        if outcome == "applied":
            assert row.array_batch_num == 1
            assert after[row.task_id][2] == row.task_instance_id  # current_attempt_from: the new instance
        else:
            assert (row.task_instance_id, row.array_batch_num, row.array_step_id) == (None, None, None)
            assert after[row.task_id] == before[row.task_id]
    # steps 0..n-1 in task-id order, exactly one new instance per queued task, in Q, with the call's fields
    assert [r.array_step_id for r in rows if r.applied] == list(range(len(queued)))
    instances = conn.execute(
        "select task_id, status, workflow_run_id, array_id, task_resources_id, array_batch_num, array_step_id"
        " from jobmon.task_instance where task_id = any(%s) order by task_id",
        (tasks,),
    ).fetchall()
    assert instances == [(t, "Q", run_id, array_id, res_id, 1, n) for n, t in enumerate(queued)]


def test_queue_task_batch_numbers_batches_from_the_array_counter_and_skips_it_when_nothing_is_queued(conn):
    array_id, run_id, res_id = make_array(conn)
    first = make_array_tasks(conn, array_id, ["G", "G"])
    second = make_array_tasks(conn, array_id, ["A", "G", "G"])
    assert {r.array_batch_num for r in queue_task_batch(conn, first, array_id, res_id, run_id)} == {1}
    # nothing queueable (already Q, unknown, empty): no batch number taken
    assert {r.outcome for r in queue_task_batch(conn, first + [-5], array_id, res_id, run_id)} == {
        "skipped",
        "not_found",
    }
    assert queue_task_batch(conn, [], array_id, res_id, run_id) == []
    rows = queue_task_batch(conn, second, array_id, res_id, run_id)
    assert [(r.array_batch_num, r.array_step_id) for r in rows] == [(2, 0), (2, 1), (2, 2)]
    assert conn.execute("select next_batch_num from jobmon.array where id = %s", (array_id,)).fetchone() == (3,)
    # the counter, not max()+1: a batch number taken by a deleted batch is not handed out again
    conn.execute("delete from jobmon.task_instance where array_id = %s and array_batch_num = 2", (array_id,))
    conn.execute("update jobmon.task set status = 'G' where id = any(%s)", (second,))
    assert {r.array_batch_num for r in queue_task_batch(conn, second, array_id, res_id, run_id)} == {3}


def test_queue_task_batch_counts_duplicates_once_ignores_nulls_and_reports_unknown_and_foreign_tasks(conn):
    array_id, run_id, res_id = make_array(conn)
    other_array, _, _ = make_array(conn)
    (task,) = make_array_tasks(conn, array_id, ["G"])
    (foreign,) = make_array_tasks(conn, other_array, ["G"])
    rows = queue_task_batch(conn, [task, None, task, 9_000_000_000, foreign, task], array_id, res_id, run_id)
    assert [(r.task_id, r.outcome) for r in rows] == [
        (task, "applied"),
        (foreign, "wrong_array"),
        (9_000_000_000, "not_found"),
    ]
    assert rows[0].num_attempts == 1 and rows[0].array_step_id == 0
    assert (rows[2].task_status, rows[2].num_attempts) == (None, None)
    assert conn.execute("select count(*) from jobmon.task_instance where task_id = %s", (task,)).fetchone() == (1,)
    assert task_rows(conn, [foreign])[foreign] == ("G", 0, 0)


def test_queue_task_batch_reads_the_move_to_q_from_the_rule_table(conn):
    array_id, run_id, res_id = make_array(conn)
    g_task, a_task = make_array_tasks(conn, array_id, ["G", "A"])
    conn.execute("delete from jobmon.task_transition where from_status = 'G' and to_status = 'Q'")
    try:
        rows = queue_task_batch(conn, [g_task, a_task], array_id, res_id, run_id)
        assert [(r.outcome, r.task_status, r.array_step_id) for r in rows] == [
            ("invalid", TaskStatus.REGISTERING, None),
            ("applied", TaskStatus.QUEUED, 0),
        ]
    finally:
        conn.execute(
            "insert into jobmon.task_transition (from_status, to_status, kind, reason)"
            " values ('G', 'Q', 'cascade', 'a registered task is queued')"
        )


def test_array_steps_are_unique(conn):
    array_id, _, _ = make_array(conn)
    ((ti, task),) = make_array_batch(conn, array_id, [("Q", "Q")])
    with pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute(
            "insert into jobmon.task_instance (task_id, array_id, array_batch_num, array_step_id)"
            " values (%s, %s, 1, 0)",
            (task, array_id),
        )
    # instances outside arrays (NULLs) are not constrained
    conn.execute("insert into jobmon.task_instance (task_id) values (%s), (%s)", (task, task))


def test_queue_task_batch_refuses_null_arguments_and_an_unknown_array(conn):
    array_id, run_id, res_id = make_array(conn)
    with pytest.raises(InvalidArgument, match="task_ids must not be NULL"):
        queue_task_batch(conn, None, array_id, res_id, run_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="array_id must not be NULL"):
        queue_task_batch(conn, [1], None, res_id, run_id)  # type: ignore[arg-type]
    with pytest.raises(UnknownStatus, match="Array id: -1 not found"):
        queue_task_batch(conn, [1], -1, res_id, run_id)


# ---------------------------------------------------------------------------
# instantiate_task_instances
# ---------------------------------------------------------------------------


def instantiate_expected(ti_status: str, task_status: str) -> tuple[str, str, str]:
    """(outcome, instance status after, task status after), from the issue: only Q instances of Q tasks move."""
    if ti_status == "I":
        return "unchanged", "I", task_status
    if ti_status == "Q" and task_status == "Q":
        return "applied", "I", "I"
    return "skipped", ti_status, task_status


def test_instantiate_task_instances_over_every_status_pair(conn):
    array_id, run_id, res_id = make_array(conn)
    made = make_array_batch(conn, array_id, ALL_PAIRS)
    ids = [ti for ti, _ in made]
    rows = instantiate_task_instances(conn, [*ids, None, ids[0], -7])
    assert [r.task_instance_id for r in rows] == [-7, *ids]
    missing, rows = rows[0], rows[1:]
    assert missing.outcome == "not_found" and missing.task_id is None and missing.status is None
    after = task_rows(conn, [t for _, t in made])
    instance_after = rows_of(conn, "task_instance", ids)
    for row, (ti, task), (ti_status, task_status) in zip(rows, made, ALL_PAIRS, strict=True):
        outcome, ti_after, task_after = instantiate_expected(ti_status, task_status)
        assert (row.outcome, row.status) == (outcome, TaskInstanceStatus(ti_after)), (ti_status, task_status)
        assert instance_after[ti][19] == ti_after  # status column
        assert after[task][0] == task_after
        # the distributor wire form of the row
        assert (row.task_id, row.workflow_run_id, row.task_resources_id, row.array_id, row.array_batch_num) == (
            task,
            run_id,
            res_id,
            array_id,
            1,
        )
    assert sum(r.applied for r in rows) == 1


def test_instantiate_task_instances_never_brings_a_failed_instance_back(conn):
    array_id, _, _ = make_array(conn)
    ((ti, task),) = make_array_batch(conn, array_id, [("F", "Q")])
    (row,) = instantiate_task_instances(conn, [ti])
    assert (row.outcome, row.status) == ("skipped", TaskInstanceStatus.ERROR_FATAL)
    assert task_rows(conn, [task])[task][0] == "Q"


def test_instantiate_task_instances_of_empty_and_null_input(conn):
    assert instantiate_task_instances(conn, []) == []
    assert instantiate_task_instances(conn, [None]) == []
    with pytest.raises(InvalidArgument, match="task_instance_ids must not be NULL"):
        instantiate_task_instances(conn, None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# launch_array_batch
# ---------------------------------------------------------------------------


def launch_expected(ti_status: str, task_status: str) -> tuple[str, str, str]:
    if ti_status == "O":
        return "unchanged", "O", task_status
    if ti_status == "I" and task_status == "I":
        return "applied", "O", "O"
    return "skipped", ti_status, task_status


def test_launch_array_batch_over_every_status_pair(conn):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, ALL_PAIRS)
    other_batch = make_array_batch(conn, array_id, [("I", "I")], batch_num=2)
    increment = timedelta(seconds=279)
    rows = launch_array_batch(conn, array_id, 1, increment)
    assert [r.task_instance_id for r in rows] == [ti for ti, _ in made]
    after = task_rows(conn, [t for _, t in made])
    for step, (row, (_ti, task), pair) in enumerate(zip(rows, made, ALL_PAIRS, strict=True)):
        outcome, ti_after, task_after = launch_expected(*pair)
        assert (row.outcome, row.status, row.task_status) == (
            outcome,
            TaskInstanceStatus(ti_after),
            TaskStatus(task_after),
        ), pair
        assert (row.previous_status.value, row.task_previous_status.value) == pair
        assert (row.task_id, row.array_step_id, row.stale) == (task, step, False)
        assert after[task][0] == task_after
        if outcome == "applied":
            # The deadline counts from the write (clock_timestamp()), submitted_date from the transaction start.
            assert row.submitted_date is not None and row.report_by_date >= row.submitted_date + increment
        else:
            assert row.submitted_date is None and row.report_by_date is None
    # the other batch is not touched; a batch with no instances gives no rows
    assert rows_of(conn, "task_instance", [other_batch[0][0]])[other_batch[0][0]][19] == "I"
    assert launch_array_batch(conn, array_id, 99, increment) == []


def test_launch_array_batch_again_reports_unchanged_and_writes_nothing(conn):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [("I", "I"), ("I", "I")])
    first = launch_array_batch(conn, array_id, 1, timedelta(minutes=5))
    before = rows_of(conn, "task_instance", [ti for ti, _ in made])
    again = launch_array_batch(conn, array_id, 1, timedelta(minutes=5))
    assert [r.outcome for r in first] == ["applied", "applied"]
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]
    assert rows_of(conn, "task_instance", [ti for ti, _ in made]) == before


def test_launch_array_batch_never_launches_a_stale_attempt_it_tells_it_to_die(conn):
    array_id, _, _ = make_array(conn)
    ((ti, task),) = make_array_batch(conn, array_id, [("I", "I")])
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (ti + 1, task))
    (row,) = launch_array_batch(conn, array_id, 1, timedelta(minutes=5))
    assert (row.outcome, row.status, row.stale, row.task_status) == (
        "stale",
        TaskInstanceStatus.KILL_SELF,
        True,
        TaskStatus.INSTANTIATING,
    )
    assert row.submitted_date is not None  # its job is on the cluster: the distributor kills it


def test_launch_array_batch_refuses_null_and_non_positive_increments(conn):
    with pytest.raises(InvalidArgument, match="array_batch_num must not be NULL"):
        launch_array_batch(conn, 1, None, timedelta(seconds=1))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="next_report_increment must be positive"):
        launch_array_batch(conn, 1, 1, timedelta(0))
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("select * from jobmon.launch_array_batch(1, 1, '-1 second')")
    assert raised.value.sqlstate == "22023"


# ---------------------------------------------------------------------------
# log_array_distributor_ids
# ---------------------------------------------------------------------------


def test_log_array_distributor_ids_writes_launched_and_running_instances_only(conn):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [(s, "O") for s in TI_STATUSES])
    rows = log_array_distributor_ids(conn, array_id, 1, {step: f"job.{step}" for step in range(len(made))})
    assert [r.array_step_id for r in rows] == list(range(len(made)))
    stored = dict(
        conn.execute(
            "select id, distributor_id from jobmon.task_instance where id = any(%s)", ([ti for ti, _ in made],)
        ).fetchall()
    )
    for row, (ti, _), status in zip(rows, made, TI_STATUSES, strict=True):
        expected = "applied" if status in "OR" else "skipped"
        assert (row.task_instance_id, row.outcome, row.status) == (ti, expected, TaskInstanceStatus(status))
        assert stored[ti] == row.distributor_id == (f"job.{row.array_step_id}" if expected == "applied" else None)


def test_log_array_distributor_ids_repeats_duplicates_conflicts_bad_ids_and_unknown_steps(conn):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [("O", "O")] * 5)
    log_array_distributor_ids(conn, array_id, 1, [(0, "a")])
    pairs = [(0, "a"), (1, "b"), (1, "b"), (2, "c"), (2, "d"), (3, None), (4, "x" * 21), (None, "z"), (9, "q")]
    rows = log_array_distributor_ids(conn, array_id, 1, pairs)
    assert [(r.array_step_id, r.outcome, r.distributor_id) for r in rows] == [
        (0, "unchanged", "a"),
        (1, "applied", "b"),
        (2, "conflict", None),
        (3, "invalid", None),
        (4, "invalid", None),
        (9, "not_found", None),
    ]
    assert rows[-1].task_instance_id is None and rows[-1].status is None
    assert [r.task_instance_id for r in rows[:-1]] == [ti for ti, _ in made]


def test_log_array_distributor_ids_refuses_arrays_of_different_lengths(conn):
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("select * from jobmon.log_array_distributor_ids(1, 1, '{0,1}', '{a}')")
    assert raised.value.sqlstate == "22023"
    assert raised.value.diag.message_primary == (
        "array_step_ids has 2 elements but distributor_ids has 1: they must pair up one to one"
    )
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("select * from jobmon.log_array_distributor_ids(1, 1, null, '{a}')")
    assert (raised.value.sqlstate, raised.value.diag.message_primary) == ("22004", "array_step_ids must not be NULL")


# ---------------------------------------------------------------------------
# log_heartbeats
# ---------------------------------------------------------------------------


def test_log_heartbeats_pushes_launched_instances_only(conn):
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [(s, "O") for s in TI_STATUSES])
    ids = [ti for ti, _ in made]
    conn.execute("update jobmon.task_instance set report_by_date = '2000-01-01' where id = any(%s)", (ids,))
    start = conn.execute("select clock_timestamp()").fetchone()[0]
    rows = log_heartbeats(conn, [*reversed(ids), ids[0], None, -3], timedelta(seconds=90))
    end = conn.execute("select clock_timestamp()").fetchone()[0]
    assert [r.task_instance_id for r in rows] == [-3, *ids]
    assert (rows[0].outcome, rows[0].status, rows[0].report_by_date) == ("not_found", None, None)
    for row, status in zip(rows[1:], TI_STATUSES, strict=True):
        assert row.status == TaskInstanceStatus(status)
        if status == "O":
            assert row.outcome == "applied"
            assert start + timedelta(seconds=90) <= row.report_by_date <= end + timedelta(seconds=90)
        else:
            assert row.outcome == "skipped" and row.report_by_date.year == 2000
    stored = dict(conn.execute("select id, report_by_date from jobmon.task_instance where id = any(%s)", (ids,)))
    assert {ti: stored[ti] for ti in ids} == {r.task_instance_id: r.report_by_date for r in rows[1:]}
    assert log_heartbeats(conn, [], timedelta(seconds=1)) == []


# ---------------------------------------------------------------------------
# array_task_instance
# ---------------------------------------------------------------------------


def test_array_task_instance_finds_the_instance_of_a_step(conn):
    array_id, run_id, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [("O", "O"), ("O", "O")])
    found = array_task_instance(conn, array_id, 1, 1)
    ti, task = made[1]
    assert (found.task_instance_id, found.task_id, found.status, found.workflow_run_id) == (
        ti,
        task,
        TaskInstanceStatus.LAUNCHED,
        run_id,
    )
    assert (found.name, found.command, found.stdout, found.stderr) == ("task 2", "echo 2", "/logs/out", "/logs/err")
    # the worker node's own lookup, wire form included: one result class for one SQL type
    assert found == worker_node_task_instance(conn, ti)
    assert found.to_wire() == worker_node_task_instance(conn, ti).to_wire()
    with pytest.raises(TaskInstanceNotFound, match=f"TaskInstance of array {array_id}, batch 1, step 2 not found"):
        array_task_instance(conn, array_id, 1, 2)


# ---------------------------------------------------------------------------
# The Python wrappers: any iterable of ids, typed rows, async twins, refused types
# ---------------------------------------------------------------------------


def test_wrappers_take_any_iterable_of_ids(conn):
    array_id, run_id, res_id = make_array(conn)
    tasks = make_array_tasks(conn, array_id, ["G"] * 4)
    rows = queue_task_batch(conn, (t for t in tasks[:2]), array_id, res_id, run_id)
    rows += queue_task_batch(conn, set(tasks[2:]), array_id, res_id, run_id)
    assert [r.outcome for r in rows] == ["applied"] * 4
    ids = [r.task_instance_id for r in rows]
    assert all(isinstance(i, int) for i in ids)
    assert [r.outcome for r in instantiate_task_instances(conn, range(min(ids), max(ids) + 1))] == ["applied"] * 4


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: queue_task_batch(c, "123", 1, 1, 1), "task_ids must be an iterable of ints, not str"),
        (lambda c: queue_task_batch(c, [1, "2"], 1, 1, 1), "task_ids element must be an int, not str: '2'"),
        (lambda c: queue_task_batch(c, [True], 1, 1, 1), "task_ids element must be an int, not bool: True"),
        (lambda c: queue_task_batch(c, [2**63], 1, 1, 1), f"task_ids element is out of range for bigint: {2**63}"),
        (lambda c: queue_task_batch(c, [1], 1.0, 1, 1), "array_id must be an int, not float: 1.0"),
        (lambda c: instantiate_task_instances(c, 5), "task_instance_ids must be an iterable of ints, not int"),
        (
            lambda c: launch_array_batch(c, 1, 2**31, timedelta(1)),
            f"array_batch_num is out of range for integer: {2**31}",
        ),
        (lambda c: launch_array_batch(c, 1, 1, 30), "next_report_increment must be a datetime.timedelta, not int: 30"),
        (lambda c: log_array_distributor_ids(c, 1, 1, [(0, 5)]), "distributor_ids element must be a str, not int: 5"),
        (lambda c: log_array_distributor_ids(c, 1, 1, [0, 1]), "expected (array_step_id, distributor_id) pairs, got 0"),
        (lambda c: log_array_distributor_ids(c, 1, 1, [(0, "a\x00")]), "distributor_ids element must not contain NUL"),
        (lambda c: array_task_instance(c, 1, 1, "0"), "array_step_id must be an int, not str: '0'"),
    ],
)
def test_wrappers_refuse_wrong_python_types_before_sending_anything(conn, call, message):
    with pytest.raises(InvalidArgument) as raised:
        call(conn)
    assert str(raised.value).startswith(message)
    assert raised.value.sqlstate is None and raised.value.__cause__ is None


def test_which_intervals_are_usable_is_the_databases_rule_not_the_wrappers(conn):
    with pytest.raises(InvalidArgument) as raised:
        log_heartbeats(conn, [1], timedelta(seconds=-1))
    assert (raised.value.sqlstate, raised.value.message) == (
        "22023",
        "next_report_increment must be positive, not -00:00:01",
    )


def test_async_twins_give_the_same_rows(db_dsn):
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as aconn:
            with psycopg.connect(db_dsn, autocommit=True) as conn:
                array_id, run_id, res_id = make_array(conn)
                tasks = make_array_tasks(conn, array_id, ["G", "A", "D"])
            queued = await queue_task_batch_async(aconn, tasks, array_id, res_id, run_id)
            assert [r.outcome for r in queued] == ["applied", "applied", "skipped"]
            ids = [r.task_instance_id for r in queued if r.applied]
            assert [r.outcome for r in await instantiate_task_instances_async(aconn, ids)] == ["applied"] * 2
            launched = await launch_array_batch_async(aconn, array_id, 1, timedelta(minutes=1))
            assert [r.outcome for r in launched] == ["applied"] * 2
            logged = await log_array_distributor_ids_async(aconn, array_id, 1, {0: "j.0", 1: "j.1"})
            assert [r.outcome for r in logged] == ["applied"] * 2
            beats = await log_heartbeats_async(aconn, ids, timedelta(minutes=1))
            assert [r.outcome for r in beats] == ["applied"] * 2
            found = await array_task_instance_async(aconn, array_id, 1, 1)
            assert found.task_instance_id == ids[1]
            with pytest.raises(TaskInstanceNotFound):
                await array_task_instance_async(aconn, array_id, 1, 5)

    asyncio.run(run())


def test_batch_functions_are_granted_to_their_actors(conn):
    granted = dict(
        conn.execute(
            """
            select p.proname, array_agg(r.actor order by r.actor)
              from pg_proc p
              join jobmon.deployment_role r on has_function_privilege(r.role_name, p.oid, 'EXECUTE')
             where p.pronamespace = 'jobmon'::regnamespace
               and p.proname in ('queue_task_batch', 'instantiate_task_instances', 'launch_array_batch',
                                 'log_array_distributor_ids', 'log_heartbeats', 'array_task_instance')
             group by p.proname
            """
        ).fetchall()
    )
    assert granted == {
        "queue_task_batch": ["app", "owner", "swarm"],
        "instantiate_task_instances": ["app", "distributor", "owner"],
        "launch_array_batch": ["app", "distributor", "owner"],
        "log_array_distributor_ids": ["app", "distributor", "owner"],
        "log_heartbeats": ["app", "distributor", "owner"],
        "array_task_instance": ["app", "owner", "readonly", "worker_node"],
    }
