"""Triage, kills, terminating a run, resetting its tasks, and a resume end to end.

Expected outcomes are written from the rules (docs/state-machine.md, section
Resume, and the reference model's transitions), not read from the functions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    kill_task_instances,
    queue_task_batch,
    reset_tasks_for_resume,
    terminate_workflow_run,
    transition_task_instance,
    triage_overdue,
)
from tests.factories import make_run_instance, make_workflow_run

# A current attempt in each task-instance status, with the task status its cascade left
# (max_attempts 3, num_attempts 1): T, X and K move no task, W/E/U go E -> G, Z goes E -> A.
CONSISTENT_TASK_STATUS = {
    "Q": "Q", "I": "I", "O": "O", "W": "G", "R": "R", "T": "R", "X": "O",
    "Z": "A", "U": "G", "E": "G", "D": "D", "K": "R", "F": "F",
}  # fmt: skip

# terminate_workflow_run: instance status -> (status after, task status after), for a current attempt.
# None: left alone (no row, no error-log row).
TERMINATE_COLD = {
    "Q": ("K", "Q"),  # Q -> K; K -> F is refused while the task is Q (Q -> E is no task move)
    "I": ("F", "F"),  # I -> K -> F; the cascade of F: task I -> E -> F
    "O": ("K", "O"),  # O -> K: the distributor kills the job
    "R": ("K", "R"),  # R -> K: the worker kills itself
    "T": ("F", "F"),  # T -> F (T has no move to K); task R -> E -> F
    "X": ("E", "G"),  # X -> E, its only move; task O -> E -> G (attempts left)
    "W": None, "Z": None, "U": None, "E": None, "D": None, "F": None,
    "K": None,  # told to die by an earlier run and on the cluster (launched): the distributor kills it
}  # fmt: skip
TERMINATE_HOT = {**TERMINATE_COLD, "R": None, "T": None}


def _fill_run(conn: psycopg.Connection[Any]) -> tuple[int, int, dict[str, tuple[int, int]]]:
    workflow_id, run_id = make_workflow_run(conn)
    made = {
        status: make_run_instance(conn, run_id, status, task_status, report_by_date="-1 hour")
        for status, task_status in CONSISTENT_TASK_STATUS.items()
    }
    return workflow_id, run_id, made


def _row(conn: psycopg.Connection[Any], ti: int) -> tuple[str, str]:
    found = conn.execute(
        "select ti.status, t.status from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
        " where ti.id = %s",
        (ti,),
    ).fetchone()
    assert found is not None
    return found[0], found[1]


def _error_logs(conn: psycopg.Connection[Any], ti: int) -> list[str]:
    return [r[0] for r in conn.execute("select description from jobmon.task_instance_error_log"
                                       " where task_instance_id = %s order by id", (ti,))]  # fmt: skip


# --- triage --------------------------------------------------------------------------------------------


def test_triage_moves_overdue_running_to_t_and_long_launched_to_x_and_leaves_tasks_alone(conn):
    _, run_id = make_workflow_run(conn)
    overdue_r, task_r = make_run_instance(conn, run_id, "R", "R", report_by_date="-1 minute")
    fresh_r, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="+1 minute")
    overdue_o, task_o = make_run_instance(conn, run_id, "O", "O", report_by_date="-1 minute")
    young_o, _ = make_run_instance(conn, run_id, "O", "O", report_by_date="-1 minute")
    no_deadline, _ = make_run_instance(conn, run_id, "R", "R", report_by_date=None)
    done, _ = make_run_instance(conn, run_id, "D", "D", report_by_date="-1 hour")
    conn.execute("update jobmon.task_instance set status_date = now() - interval '1 hour' where id = %s", (overdue_o,))
    _, other_run = make_workflow_run(conn)
    elsewhere, _ = make_run_instance(conn, other_run, "R", "R", report_by_date="-1 minute")
    tasks_before = conn.execute("select id, status, num_attempts, status_date from jobmon.task order by id").fetchall()

    moved = triage_overdue(conn, run_id, timedelta(minutes=10))

    assert [(m.task_instance_id, m.previous_status.value, m.status.value) for m in moved] == [
        (overdue_r, "R", "T"),
        (overdue_o, "O", "X"),
    ]
    assert {m.task_id for m in moved} == {task_r, task_o}
    assert _row(conn, fresh_r)[0] == "R" and _row(conn, young_o)[0] == "O" and _row(conn, no_deadline)[0] == "R"
    assert _row(conn, done)[0] == "D" and _row(conn, elsewhere)[0] == "R"
    tasks_after = conn.execute("select id, status, num_attempts, status_date from jobmon.task order by id").fetchall()
    assert tasks_after == tasks_before  # T and X move no task
    assert triage_overdue(conn, run_id, timedelta(minutes=10)) == []  # nothing left to do


def test_triage_moves_a_stale_attempt_alone(conn):
    _, run_id = make_workflow_run(conn)
    old, task = make_run_instance(conn, run_id, "R", "G", report_by_date="-1 minute")
    conn.execute("update jobmon.task set current_attempt_from = %s + 1 where id = %s", (old, task))
    assert [m.status.value for m in triage_overdue(conn, run_id, timedelta(0))] == ["T"]
    assert _row(conn, old) == ("T", "G")


def test_triage_uses_the_partial_index_of_live_instances(conn):
    _, run_id = make_workflow_run(conn)
    conn.execute("set enable_seqscan = off")  # at test size the planner may prefer a scan; the index must serve
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            "explain select ti.id from jobmon.task_instance ti where ti.workflow_run_id = %s"
            " and ti.status in ('R', 'O') and ti.report_by_date < now()",
            (run_id,),
        )
    )
    assert "ix_task_instance_live_by_run" in plan


# --- kill ----------------------------------------------------------------------------------------------


def test_kill_moves_k_to_f_with_an_error_log_row_and_answers_every_id(conn):
    _, run_id = make_workflow_run(conn)
    killed, task = make_run_instance(conn, run_id, "K", "R")
    already, _ = make_run_instance(conn, run_id, "F", "F")
    running, _ = make_run_instance(conn, run_id, "O", "O")
    stale, stale_task = make_run_instance(conn, run_id, "K", "G")
    conn.execute("update jobmon.task set current_attempt_from = %s + 1 where id = %s", (stale, stale_task))

    results = kill_task_instances(conn, [running, killed, already, stale, -5, killed])

    by_id = {r.task_instance_id: r for r in results}
    assert [r.task_instance_id for r in results] == sorted(by_id)
    assert by_id[killed].outcome == "applied" and by_id[killed].task_status.value == "F"  # R -> E -> F
    assert by_id[already].outcome == "unchanged"
    assert by_id[running].outcome == "skipped" and _row(conn, running) == ("O", "O")
    assert by_id[stale].outcome == "applied" and by_id[stale].stale and _row(conn, stale) == ("F", "G")
    assert by_id[-5].outcome == "not_found"
    assert len(_error_logs(conn, killed)) == 1 and len(_error_logs(conn, stale)) == 1
    assert _error_logs(conn, already) == [] and _error_logs(conn, running) == []
    assert kill_task_instances(conn, [killed])[0].outcome == "unchanged"  # a repeated report writes nothing
    assert len(_error_logs(conn, killed)) == 1
    assert kill_task_instances(conn, []) == []
    assert task


def test_kill_takes_any_iterable_of_ids_like_the_other_batch_wrappers(conn):
    _, run_id = make_workflow_run(conn)
    first, _ = make_run_instance(conn, run_id, "K", "R")
    second, _ = make_run_instance(conn, run_id, "K", "R")
    assert [r.outcome for r in kill_task_instances(conn, (i for i in [second, first]))] == ["applied"] * 2
    assert [r.task_instance_id for r in kill_task_instances(conn, {first, second})] == [first, second]


# --- terminate -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("hot", [False, True], ids=["cold", "hot"])
def test_terminate_moves_every_live_instance_by_the_rules_with_one_error_log_row_each(conn, hot):
    _, run_id, made = _fill_run(conn)
    expected = TERMINATE_HOT if hot else TERMINATE_COLD

    results = {r.task_instance_id: r for r in terminate_workflow_run(conn, run_id, hot=hot)}

    for status, (ti, _) in made.items():
        want = expected[status]
        if want is None:
            assert ti not in results, status
            assert _row(conn, ti) == (status, CONSISTENT_TASK_STATUS[status]), status
            assert _error_logs(conn, ti) == [], status
            continue
        assert _row(conn, ti) == want, status
        assert results[ti].outcome == "applied" and results[ti].previous_status.value == status
        assert (results[ti].status.value, results[ti].task_status.value) == want
        (log,) = _error_logs(conn, ti)
        assert f"Workflow run {run_id} was terminated for a {'hot' if hot else 'cold'} resume: {status} -> " in log
        assert log == results[ti].description


def test_terminate_again_after_the_reset_finishes_what_the_cascade_refused(conn):
    workflow_id, run_id, made = _fill_run(conn)
    queued, _ = made["Q"]
    terminate_workflow_run(conn, run_id)
    assert _row(conn, queued) == ("K", "Q")
    reset_tasks_for_resume(conn, workflow_id, True)

    again = terminate_workflow_run(conn, run_id)

    assert [(r.task_instance_id, r.previous_status.value, r.status.value, r.stale) for r in again] == [
        (queued, "K", "F", True)
    ]
    assert _row(conn, queued) == ("F", "G")
    assert terminate_workflow_run(conn, run_id) == []  # nothing live is left that it may move


def test_terminate_of_a_run_with_nothing_live_returns_nothing(conn):
    _, run_id = make_workflow_run(conn)
    make_run_instance(conn, run_id, "D", "D")
    assert terminate_workflow_run(conn, run_id) == []


# --- reset ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reset_running", [True, False], ids=["cold", "hot"])
def test_reset_moves_every_task_but_d_to_g_with_no_attempts_and_makes_old_instances_stale(conn, reset_running):
    workflow_id, run_id = make_workflow_run(conn)
    tasks = {}
    for status in ("G", "Q", "I", "O", "R", "D", "E", "A", "F"):
        ti, task = make_run_instance(conn, run_id, "Q", status, num_attempts=2)
        tasks[status] = (ti, task)

    results = {r.task_id: r for r in reset_tasks_for_resume(conn, workflow_id, reset_running)}

    kept = {"D"} if reset_running else {"D", "R"}
    for status, (ti, task) in tasks.items():
        row = conn.execute(
            "select status, num_attempts, current_attempt_from > %s from jobmon.task where id = %s", (ti, task)
        ).fetchone()
        if status in kept:
            assert task not in results and row == (status, 2, False), status
        else:
            assert row == ("G", 0, True), status
            assert (results[task].outcome, results[task].previous_status.value, results[task].status.value) == (
                "applied",
                status,
                "G",
            )
            assert results[task].previous_num_attempts == 2


def test_reset_only_follows_the_resume_rows(conn):
    workflow_id, run_id = make_workflow_run(conn)
    _, failed = make_run_instance(conn, run_id, "F", "F")
    _, errored = make_run_instance(conn, run_id, "E", "E")
    conn.execute("delete from jobmon.task_transition where kind = 'resume' and from_status = 'F'")

    results = {r.task_id: r.outcome for r in reset_tasks_for_resume(conn, workflow_id, True)}

    assert results == {failed: "refused", errored: "applied"}
    assert conn.execute("select status from jobmon.task where id = %s", (failed,)).fetchone() == ("F",)


def test_late_reports_of_reset_attempts_move_them_alone(conn):
    workflow_id, run_id = make_workflow_run(conn)
    k_f, _ = make_run_instance(conn, run_id, "K", "R")
    k_d, _ = make_run_instance(conn, run_id, "K", "R")
    r_e, _ = make_run_instance(conn, run_id, "R", "R")
    k_e, _ = make_run_instance(conn, run_id, "K", "R")
    reset_tasks_for_resume(conn, workflow_id, True)

    for ti, status, outcome, final in (
        (k_f, "F", "applied", "F"),
        (k_d, "D", "applied", "D"),
        (r_e, "E", "applied", "E"),
        (k_e, "E", "untimely", "K"),
    ):
        result = transition_task_instance(conn, ti, status)
        assert (result.outcome, result.stale, result.status.value, result.task_status.value) == (
            outcome,
            True,
            final,
            "G",
        )
        assert _row(conn, ti) == (final, "G")


# --- a resume end to end -------------------------------------------------------------------------------


def _queue_again(conn: psycopg.Connection[Any], run_id: int, task_ids: list[int]) -> dict[int, int]:
    """Queue the reset tasks for the new run with jobmon.queue_task_batch(): task G -> Q, a new Q instance each."""
    array_id = conn.execute(
        "insert into jobmon.array (workflow_id) select workflow_id from jobmon.workflow_run where id = %s returning id",
        (run_id,),
    ).fetchone()[0]
    conn.execute("update jobmon.task set array_id = %s where id = any(%s)", (array_id, task_ids))  # registration
    queued = queue_task_batch(conn, task_ids, array_id, None, run_id)
    assert [q.outcome for q in queued] == ["applied"] * len(task_ids)
    return {q.task_id: q.task_instance_id for q in queued if q.task_instance_id is not None}


# How each old instance can still reach a final status through the functions, as its reporter would.
FINISH = {"K": ["F"], "R": ["D"], "T": ["R", "D"], "Q": ["I", "O", "R", "D"], "I": ["O", "R", "D"], "O": ["R", "D"]}
FINAL = {"D", "E", "F", "U", "W", "Z"}


@pytest.mark.parametrize("hot", [False, True], ids=["cold", "hot"])
def test_a_resume_end_to_end_leaves_no_instance_stuck_and_every_task_finishes(conn, hot):
    workflow_id, old_run, made = _fill_run(conn)
    # The K instance was told to die by an earlier resume, whose reset left its task in G (a stale attempt).
    conn.execute("update jobmon.task set status = 'G', current_attempt_from = %s + 1 where id = %s", made["K"])
    new_run = conn.execute(
        "insert into jobmon.workflow_run (workflow_id) values (%s) returning id", (workflow_id,)
    ).fetchone()[0]

    terminate_workflow_run(conn, old_run, hot=hot)
    reset = reset_tasks_for_resume(conn, workflow_id, not hot)
    terminate_workflow_run(conn, old_run, hot=hot)  # finishes what the cascade refused before the reset
    assert all(r.outcome == "applied" for r in reset)
    to_queue = [r[0] for r in conn.execute("select id from jobmon.task where workflow_id = %s and status = 'G'"
                                           " order by id", (workflow_id,))]  # fmt: skip
    new = _queue_again(conn, new_run, to_queue)

    # The new attempts run to the end (task Q -> I -> O -> R -> D).
    for ti in new.values():
        for status in ("I", "O", "R", "D"):
            assert transition_task_instance(conn, ti, status).applied
    # Every old instance can still finish: the distributor kills K ones, workers report the others.
    for status, (ti, _) in made.items():
        current = _row(conn, ti)[0]
        if current == "K":
            (killed,) = kill_task_instances(conn, [ti])
            assert killed.outcome == "applied", status
        else:
            for step in FINISH.get(current, []):
                assert transition_task_instance(conn, ti, step).outcome == "applied", (status, current, step)
        assert _row(conn, ti)[0] in FINAL, status

    tasks = conn.execute("select id, status, num_attempts from jobmon.task where workflow_id = %s", (workflow_id,))
    for task, status, num_attempts in tasks:
        assert status == "D", task
        if task in new:
            assert num_attempts == 1, task  # reset to 0, then the new attempt
    # In a hot resume the running task was not reset and finished with its running attempt.
    assert (made["R"][1] in new) is not hot
