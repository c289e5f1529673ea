"""Deterministic races of the sweep, the kill, the resume and stale attempts (harness of tests/test_races.py).

One session holds its locks in an open transaction; the other either runs
past them without waiting (the triage sweep: SKIP LOCKED) or is seen waiting
on a lock in pg_stat_activity before the first commits.

The worker node's calls are the call-site functions of branch `callsites`
(jobmon.log_heartbeat, log_running, log_done); the queue of a task in
_requeued() is a stand-in (a direct update and insert, as queue_task_batch
writes it); the resume test in test_failure_and_resume.py uses the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    InvalidStateTransition,
    RetryableError,
    log_done,
    log_heartbeat,
    log_running,
    reset_tasks_for_resume,
    terminate_workflow_run,
    transition_task_instance,
    triage_overdue,
)
from tests.factories import make_run_instance, make_workflow_run
from tests.test_races import WAIT_SECONDS, Reporter, conn, reporters, wait_until_blocked

__all__ = ["conn", "reporters"]  # fixtures of the race harness


def heartbeat(session: psycopg.Connection[Any], ti: int, minutes: int = 10) -> None:
    """The worker node's heartbeat (locks the task, then the instance; pushes the deadline; T back to R)."""
    assert log_heartbeat(session, ti, timedelta(minutes=minutes)).outcome == "applied"


def running(session: psycopg.Connection[Any], ti: int) -> Any:
    return log_running(session, ti, "node-1", 42, timedelta(minutes=10))


def status_of(conn: psycopg.Connection[Any], ti: int) -> tuple[str, str]:
    row = conn.execute(
        "select ti.status, t.status from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
        " where ti.id = %s",
        (ti,),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def in_thread(reporter: Reporter, call: Callable[[psycopg.Connection[Any]], Any]) -> Any:
    return reporter.start(lambda c, _a, _b: call(c), 0, 0)


# --- triage vs a heartbeat -----------------------------------------------------------------------------


def test_triage_skips_an_instance_whose_heartbeat_is_in_flight_and_the_heartbeat_wins(conn, reporters):
    _, run_id = make_workflow_run(conn)
    beating, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    silent, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    worker = reporters("worker", autocommit=False)
    sweep = reporters("swarm")

    heartbeat(worker.conn, beating)  # holds the task lock, new deadline not committed yet
    moved = in_thread(sweep, lambda c: triage_overdue(c, run_id, timedelta(0))).result(timeout=WAIT_SECONDS)

    assert [m.task_instance_id for m in moved] == [silent]  # did not wait, did not triage the one held
    worker.conn.commit()
    assert triage_overdue(conn, run_id, timedelta(0)) == []  # the heartbeat moved the deadline: it won
    assert status_of(conn, beating) == ("R", "R") and status_of(conn, silent) == ("T", "R")


def test_triage_skips_an_instance_a_writer_holds_without_its_task(conn, reporters):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    writer = reporters("writer", autocommit=False)
    writer.conn.execute(
        "update jobmon.task_instance set report_by_date = now() + interval '1 hour' where id = %s", (ti,)
    )

    assert triage_overdue(conn, run_id, timedelta(0)) == []
    writer.conn.commit()
    assert triage_overdue(conn, run_id, timedelta(0)) == []
    assert status_of(conn, ti) == ("R", "R")


def test_triage_on_a_snapshot_older_than_a_committed_heartbeat_never_triages_it(conn, reporters):
    # The sweep read the deadline before the heartbeat committed (here: a repeatable-read snapshot taken
    # first); the lock on the instance finds the newer row and the sweep gives up with a retryable error.
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    sweep = reporters("swarm", autocommit=False)
    sweep.conn.execute("set transaction isolation level repeatable read")
    sweep.conn.execute("select count(*) from jobmon.task_instance")  # the snapshot: ti is overdue
    worker = reporters("worker", autocommit=False)
    heartbeat(worker.conn, ti)
    worker.conn.commit()

    with pytest.raises(RetryableError) as raised:
        triage_overdue(sweep.conn, run_id, timedelta(0))
    assert raised.value.sqlstate == "40001" and raised.value.retryable
    sweep.conn.rollback()
    assert status_of(conn, ti) == ("R", "R")


def test_a_heartbeat_waits_for_the_sweep_that_holds_its_task_and_then_finds_t(conn, reporters):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    sweep = reporters("swarm", autocommit=False)
    worker = reporters("worker", autocommit=False)

    assert [m.status.value for m in triage_overdue(sweep.conn, run_id, timedelta(0))] == ["T"]
    waiting = in_thread(worker, lambda c: heartbeat(c, ti))
    assert wait_until_blocked(conn, worker.pid) == {sweep.pid}
    sweep.conn.commit()
    waiting.result(timeout=WAIT_SECONDS)  # the heartbeat of a T instance brings it back to R
    worker.conn.commit()
    assert status_of(conn, ti) == ("R", "R")
    assert triage_overdue(conn, run_id, timedelta(0)) == []


# --- triage vs log_done --------------------------------------------------------------------------------


def test_triage_skips_an_instance_whose_done_report_is_in_flight(conn, reporters):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    worker = reporters("worker", autocommit=False)

    assert log_done(worker.conn, ti).outcome == "applied"
    assert triage_overdue(conn, run_id, timedelta(0)) == []  # no wait, no triage
    worker.conn.commit()
    assert triage_overdue(conn, run_id, timedelta(0)) == []
    assert status_of(conn, ti) == ("D", "D")


def test_a_done_report_waits_for_the_sweep_and_is_judged_on_t(conn, reporters):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    sweep = reporters("swarm", autocommit=False)
    worker = reporters("worker")

    triage_overdue(sweep.conn, run_id, timedelta(0))
    waiting = in_thread(worker, lambda c: log_done(c, ti))
    assert wait_until_blocked(conn, worker.pid) == {sweep.pid}
    sweep.conn.commit()
    # T -> D is no move: log_done is refused; the worker's next heartbeat brings it back to R first.
    with pytest.raises(InvalidStateTransition) as raised:
        waiting.result(timeout=WAIT_SECONDS)
    assert (raised.value.from_status, raised.value.to_status) == ("T", "D")
    heartbeat(conn, ti)
    assert log_done(conn, ti).outcome == "applied"
    assert status_of(conn, ti) == ("D", "D")


# --- terminate vs log_running and log_done --------------------------------------------------------------


@pytest.mark.parametrize(("hot", "end"), [(False, ("K", "R")), (True, ("R", "R"))], ids=["cold", "hot"])
def test_terminate_waits_for_log_running_and_decides_on_r(conn, reporters, hot, end):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "O", "O")
    worker = reporters("worker", autocommit=False)
    swarm = reporters("swarm")

    assert running(worker.conn, ti).outcome == "applied"
    waiting = in_thread(swarm, lambda c: terminate_workflow_run(c, run_id, hot=hot))
    assert wait_until_blocked(conn, swarm.pid) == {worker.pid}
    worker.conn.commit()
    results = waiting.result(timeout=WAIT_SECONDS)
    assert status_of(conn, ti) == end
    assert [r.previous_status.value for r in results] == ([] if hot else ["R"])


def test_log_running_waits_for_terminate_and_finds_k(conn, reporters):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "O", "O")
    swarm = reporters("swarm", autocommit=False)
    worker = reporters("worker")

    terminate_workflow_run(swarm.conn, run_id)
    waiting = in_thread(worker, lambda c: running(c, ti))
    assert wait_until_blocked(conn, worker.pid) == {swarm.pid}
    swarm.conn.commit()
    result = waiting.result(timeout=WAIT_SECONDS)
    # Told to die before it started: log_running takes K -> F and the worker does not run.
    assert (result.previous_status.value, result.status.value, result.may_run) == ("K", "F", False)
    assert status_of(conn, ti) == ("F", "F")  # still the task's current attempt: O -> E -> F


def test_terminate_waits_for_log_done_and_leaves_d(conn, reporters):
    _, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R")
    worker = reporters("worker", autocommit=False)
    swarm = reporters("swarm")

    assert log_done(worker.conn, ti).outcome == "applied"
    waiting = in_thread(swarm, lambda c: terminate_workflow_run(c, run_id))
    assert wait_until_blocked(conn, swarm.pid) == {worker.pid}
    worker.conn.commit()
    assert waiting.result(timeout=WAIT_SECONDS) == []
    assert status_of(conn, ti) == ("D", "D")


def test_log_done_waits_for_terminate_and_finishes_gracefully_from_k(conn, reporters):
    workflow_id, run_id = make_workflow_run(conn)
    ti, _ = make_run_instance(conn, run_id, "R", "R")
    swarm = reporters("swarm", autocommit=False)
    worker = reporters("worker")

    terminate_workflow_run(swarm.conn, run_id)
    waiting = in_thread(worker, lambda c: log_done(c, ti))
    assert wait_until_blocked(conn, worker.pid) == {swarm.pid}
    swarm.conn.commit()
    done = waiting.result(timeout=WAIT_SECONDS)
    assert (done.previous_status.value, done.status.value, done.task_status.value, done.stale) == ("K", "D", "D", False)
    assert reset_tasks_for_resume(conn, workflow_id, True) == []  # the task finished: nothing to reset


# --- late reports of an old attempt while the new one runs ---------------------------------------------


def _requeued(conn: psycopg.Connection[Any], old_status: str) -> tuple[int, int, int]:
    """An old instance in old_status whose task was reset by a resume and queued again; the new one runs."""
    workflow_id, run_id = make_workflow_run(conn)
    old, task = make_run_instance(conn, run_id, old_status, "R")
    reset_tasks_for_resume(conn, workflow_id, True)
    conn.execute("update jobmon.task set status = 'Q', num_attempts = 1 where id = %s", (task,))  # queue stand-in
    new = conn.execute(
        "insert into jobmon.task_instance (workflow_run_id, task_id) values (%s, %s) returning id", (run_id, task)
    ).fetchone()[0]
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (new, task))
    for status in ("I", "O", "R"):
        transition_task_instance(conn, new, status)
    return old, new, task


@pytest.mark.parametrize(
    ("old_status", "late", "outcome", "old_end"),
    [("K", "F", "applied", "F"), ("K", "D", "applied", "D"), ("R", "E", "applied", "E"), ("K", "E", "untimely", "K")],
    ids=["K->F", "K->D", "R->E", "K->E"],
)
@pytest.mark.parametrize("new_report", ["D", "E"])
def test_a_late_report_of_an_old_attempt_never_moves_the_task_of_the_new_one(
    conn, reporters, old_status, late, outcome, old_end, new_report
):
    old, new, task = _requeued(conn, old_status)
    new_worker = reporters("new-worker", autocommit=False)
    old_worker = reporters("old-worker")

    fresh = transition_task_instance(new_worker.conn, new, new_report)  # holds the task
    waiting = in_thread(old_worker, lambda c: transition_task_instance(c, old, late))
    assert wait_until_blocked(conn, old_worker.pid) == {new_worker.pid}
    new_worker.conn.commit()
    result = waiting.result(timeout=WAIT_SECONDS)

    assert (result.outcome, result.stale, result.status.value) == (outcome, True, old_end)
    assert result.task_status == fresh.task_status  # the task is where the new attempt left it
    assert status_of(conn, old) == (old_end, fresh.task_status.value)
    assert status_of(conn, new)[0] == new_report


def test_the_new_attempt_finishes_after_the_old_one_failed_late(conn):
    old, new, task = _requeued(conn, "K")
    assert transition_task_instance(conn, old, "F").stale
    assert status_of(conn, new) == ("R", "R")
    assert transition_task_instance(conn, new, "D").applied
    assert status_of(conn, new) == ("D", "D")


# --- reset vs a cascade in flight ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report", "task_end", "reset_rows"),
    [("D", "D", []), ("E", "G", [("applied", "G")])],
    ids=["done-wins", "error-then-reset"],
)
def test_reset_waits_for_a_cascade_and_decides_on_its_result(conn, reporters, report, task_end, reset_rows):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R", num_attempts=1, max_attempts=3)
    worker = reporters("worker", autocommit=False)
    swarm = reporters("swarm")

    assert transition_task_instance(worker.conn, ti, report).applied
    waiting = in_thread(swarm, lambda c: reset_tasks_for_resume(c, workflow_id, True))
    assert wait_until_blocked(conn, swarm.pid) == {worker.pid}
    worker.conn.commit()
    results = waiting.result(timeout=WAIT_SECONDS)

    assert [(r.outcome, r.previous_status.value) for r in results] == reset_rows
    row = conn.execute("select status, num_attempts from jobmon.task where id = %s", (task,)).fetchone()
    assert row == (task_end, 0 if reset_rows else 1)


def test_a_cascade_waits_for_the_reset_and_then_moves_its_instance_alone(conn, reporters):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R")
    swarm = reporters("swarm", autocommit=False)
    worker = reporters("worker")

    reset_tasks_for_resume(swarm.conn, workflow_id, True)
    waiting = in_thread(worker, lambda c: transition_task_instance(c, ti, "D"))
    assert wait_until_blocked(conn, worker.pid) == {swarm.pid}
    swarm.conn.commit()
    done = waiting.result(timeout=WAIT_SECONDS)
    assert (done.outcome, done.stale, done.task_status.value) == ("applied", True, "G")
    assert status_of(conn, ti) == ("D", "G")
