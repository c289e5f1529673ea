"""Randomised concurrency: the bounded run of benchmarks/stress.py, and proof that its checks can fail."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.stress import Answer, Group, Rejection, Report, check_history, run_stress


def test_concurrent_random_requests_leave_no_deadlock_no_lost_update_and_the_cascade_history(db_dsn: str) -> None:
    report = run_stress(db_dsn, seconds=3.0, max_requests=6000, threads=4, slots=4, seed=20)
    print(report.summary())  # shown with -s, and on failure
    counts = report.counts()
    assert report.problems == []
    assert counts["deadlocks"] == 0 and counts["unexpected_errors"] == 0
    # Not vacuous: every kind of answer came up, on tasks other requests were busy with.
    for kind in ("applied", "untimely", "rejected_JM001", "rejected_JM002", "rejected_bad_input"):
        assert counts[kind] > 0, kind
    assert counts["overlapping_requests"] > 0
    assert counts["requests"] <= 6000


# ---------------------------------------------------------------------------
# The history check on a small hand-made history: passes as is, fails on each corruption
# ---------------------------------------------------------------------------

GROUP = Group(task_id=1, max_attempts=2, instances=(10,))
ANSWERS = [
    Answer(1, 10, 1, "I", "applied", "Q", "I", "Q", "I", 1),
    Answer(2, 10, 1, "O", "applied", "I", "O", "I", "O", 1),
    Answer(3, 10, 1, "R", "applied", "O", "R", "O", "R", 1),
    Answer(4, 10, 1, "O", "untimely", "R", "R", "R", "R", 1),
]
REJECTIONS = [Rejection(10, 1, "D", "JM001", "TaskInstance", 10, "I", "D")]
ROWS: dict[str, dict[int, Any]] = {"task_instance": {10: "R"}, "task": {1: ("R", 1)}}


def history() -> tuple[Report, dict[str, dict[int, Any]]]:
    report = Report(groups=[GROUP], answers=list(ANSWERS), rejections=list(REJECTIONS))
    return report, {table: dict(rows) for table, rows in ROWS.items()}


def lost_update(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    report.answers[2] = dataclasses.replace(report.answers[2], previous_status="I", task_previous_status="I")


def wrong_answer(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    report.answers[3] = dataclasses.replace(report.answers[3], outcome="applied", status="O", task_status="O")


def task_instance_row_differs(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    rows["task_instance"][10] = "O"


def task_row_differs(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    rows["task"][1] = ("R", 2)


def deadlock_raised(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    report.deadlocks = 1


def rejection_from_a_status_never_held(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    report.rejections[0] = dataclasses.replace(report.rejections[0], from_status="T", to_status="O")


def answers_out_of_order(report: Report, rows: dict[str, dict[int, Any]]) -> None:
    report.answers[1] = dataclasses.replace(report.answers[1], order=1)


def test_history_check_passes_a_consistent_history() -> None:
    assert check_history(*history()) == []


@pytest.mark.parametrize(
    ("corrupt", "problem"),
    [
        (lost_update, "lost update at task 1, TaskInstance 10, request R"),
        (wrong_answer, "wrong answer at task 1, TaskInstance 10, request O"),
        (task_instance_row_differs, "TaskInstance 10 is O, its history gives R"),
        (task_row_differs, "task 1 is ('R', 2), its history gives ('R', 1)"),
        (deadlock_raised, "1 deadlock(s) raised"),
        (rejection_from_a_status_never_held, "rejection does not match the history"),
        (answers_out_of_order, "two answers got the same order number"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_history_check_reports_each_kind_of_corruption(
    corrupt: Callable[[Report, dict[str, dict[int, Any]]], None], problem: str
) -> None:
    report, rows = history()
    corrupt(report, rows)
    problems = check_history(report, rows)
    assert any(p.startswith(problem) for p in problems), problems


def test_batch_and_single_row_calls_mixed_leave_no_deadlock_no_lost_update_and_one_live_instance(db_dsn: str) -> None:
    from benchmarks.stress import run_batch_stress

    report = run_batch_stress(db_dsn, seconds=4.0, threads=8, tasks=16, seed=9, max_calls=1500)
    print(report.summary())
    assert report.problems == []
    assert report.deadlocks == 0 and report.unexpected == []
    # Not vacuous: every function ran and moved rows, tasks were queued again after failing
    for action in ("queue", "instantiate", "launch", "heartbeats", "distributor_ids", "single"):
        assert report.calls[action] > 0, action
    for kind in ("queue applied", "instantiate applied", "launch applied", "heartbeats applied", "single applied"):
        assert report.outcomes[kind] > 0, kind
    assert max(report.queued.values()) > 1


def test_batch_checks_report_a_lost_queue_and_two_live_instances(conn) -> None:
    from benchmarks.stress import BatchReport, check_batch_rows

    row = conn.execute(
        "with wf as (insert into jobmon.workflow (name) values ('x') returning id)"
        " insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)"
        " select id, 'Q', 2, 3 from wf returning id"
    ).fetchone()
    task = row[0]
    conn.execute("insert into jobmon.task_instance (task_id, status) values (%s, 'Q'), (%s, 'Q')", (task, task))
    newest = conn.execute("select max(id) from jobmon.task_instance where task_id = %s", (task,)).fetchone()[0]
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (newest, task))
    report = BatchReport()
    report.queued[task] = 1  # the queue calls answered once: one of the two instances is a lost update
    problems = check_batch_rows(conn, [task], report)
    assert any(p.startswith(f"lost update: task {task}") for p in problems), problems
    assert f"task {task} has 2 live task instances" in problems


def test_batch_stress_checks_the_history_as_simulate_does(conn) -> None:
    """check_batch_history is simulate's history check: an instance written behind the functions is reported."""
    from benchmarks.stress import _batch_setup, check_batch_history
    from jobmon_db import queue_task_batch

    workflow_id, run_id, array_id, res_id, tasks = _batch_setup(conn, 2)
    queued = queue_task_batch(conn, tasks, array_id, res_id, run_id)
    assert [r.outcome for r in queued] == ["applied", "applied"]
    assert check_batch_history(conn, workflow_id) == []
    conn.execute("insert into jobmon.task_instance (task_id, status) values (%s, 'Q')", (tasks[0],))
    problems = check_batch_history(conn, workflow_id)
    assert any(p.startswith("the history recorded every task instance") for p in problems), problems
