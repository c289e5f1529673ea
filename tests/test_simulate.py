"""`jobmon-db simulate`: a small run with every fault passes its invariants; a broken invariant is caught.

Timings are compressed further than the command's defaults (--heartbeat 0.1)
so that the module stays well under 30 s.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import log_running, set_history
from jobmon_db.cli import main
from jobmon_db.simulate import FaultRates, Plan
from tests.factories import make_task_instance

FAULTS = [
    "--app-error-rate",
    "0.15",
    "--resource-error-rate",
    "0.1",
    "--silent-death-rate",
    "0.15",
    "--lost-id-rate",
    "0.1",
    "--late-report-rate",
    "0.15",
    "--duplicate-rate",
    "0.2",
]
HISTORY_COLUMNS = "(model, object_id, task_id, task_instance_id, from_status, to_status)"
FAST = ["--heartbeat", "0.1", "--timeout", "120"]


def _simulate(dsn: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["--dsn", dsn, "simulate", "--json", *FAST, *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_a_small_run_with_every_fault_passes_every_invariant(db_dsn, capsys):
    code, summary = _simulate(db_dsn, capsys, "--tasks", "60", "--workers", "6", "--seed", "3", *FAULTS)
    failed = [c for c in summary["invariants"] if not c["ok"]]
    assert code == 0, (failed, summary["problems"])
    assert summary["ok"] and not summary["problems"]
    assert len(summary["invariants"]) == 6
    assert summary["tasks"]["done"] + summary["tasks"]["failed"] == 60
    assert summary["tasks"]["other"] == 0
    # Every kind of fault happened, and the resume too.
    for fault in (
        "app_error",
        "resource_error",
        "silent_before_start",
        "silent_while_running",
        "lost_id",
        "late_report",
        "duplicate",
        "cold_resume",
    ):
        assert summary["faults"].get(fault, 0) > 0, fault
    moves = summary["instance_moves"]
    # Silent deaths were caught by triage and reconciled; lost ids, resource errors and the resume show.
    assert moves.get("O->X", 0) > 0 and moves.get("X->E", 0) > 0
    assert moves.get("R->T", 0) > 0 and moves.get("T->U", 0) + moves.get("T->Z", 0) > 0
    assert moves.get("I->W", 0) > 0 and moves.get("R->Z", 0) > 0 and moves.get("O->K", 0) + moves.get("R->K", 0) > 0
    assert summary["task_moves"].get("A->Q", 0) > 0  # retried with adjusted resources
    assert summary["reports"]["unchanged"] > 0  # duplicated reports changed nothing
    calls = summary["calls"]
    for function in (
        "queue_task_batch",
        "instantiate_task_instances",
        "launch_array_batch",
        "log_running",
        "log_heartbeat",
        "log_heartbeats",
        "triage_overdue",
        "task_status_changes",
        "terminate_workflow_run",
        "reset_tasks_for_resume",
        "kill_task_instances",
    ):
        assert calls[function]["calls"] > 0, function
        assert calls[function]["p99_ms"] >= calls[function]["p50_ms"] > 0
    assert summary["calls_per_second"] > 0
    # Its rows are gone.
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("select count(*) from jobmon.task").fetchone() == (0,)
        assert conn.execute("select count(*) from jobmon.transition_history").fetchone() == (0,)
        assert conn.execute("select count(*) from jobmon.workflow").fetchone() == (0,)


def test_the_same_seed_gives_the_same_plan():
    rates = FaultRates(app_error=0.2, resource_error=0.1, silent_death=0.1, lost_id=0.1, late_report=0.2, duplicate=0.2)
    first, again, other = Plan(42, rates), Plan(42, rates), Plan(43, rates)
    keys = [(index, epoch, attempt) for index in range(200) for epoch in (0, 1) for attempt in (1, 2, 3)]
    assert [first.fate(*k) for k in keys] == [again.fate(*k) for k in keys]
    assert [first.fate(*k) for k in keys] != [other.fate(*k) for k in keys]
    assert first.summary(200, 3) == again.summary(200, 3)
    # The rates are honoured (roughly) and every outcome is planned.
    counts = first.summary(2000)
    assert 300 <= counts["app_error"] <= 500
    assert {"done", "app_error", "resource_error", "silent_before_start", "silent_while_running", "lost_id"} <= set(
        counts
    )


def test_a_broken_invariant_is_caught(db_dsn, capsys):
    code, summary = _simulate(db_dsn, capsys, "--tasks", "12", "--workers", "3", "--no-resume", "--keep")
    assert code == 0, summary["invariants"]
    workflow_id = summary["workflow_id"]
    assert main(["--dsn", db_dsn, "simulate", "--check", str(workflow_id)]) == 0
    assert "FAIL" not in capsys.readouterr().out
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        ti, task = conn.execute(
            """select ti.id, ti.task_id from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id
                where t.workflow_id = %s and ti.status = 'D' order by ti.id limit 1""",
            (workflow_id,),
        ).fetchone()
        # A move the tables forbid (D -> Q), written behind the functions' back.
        conn.execute(
            f"""insert into jobmon.transition_history {HISTORY_COLUMNS}
               values ('TaskInstance', %s, %s, %s, 'D', 'Q')""",
            (ti, task, ti),
        )
    assert main(["--dsn", db_dsn, "simulate", "--check", str(workflow_id)]) == 1
    out = capsys.readouterr().out
    assert "FAIL every applied move is allowed by the tables: TaskInstance D -> Q (1x)" in out
    assert "ok   no task ever had two live task instances at once" in out
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        # Two task instances of one task created, the first never finished: two live at once.
        conn.execute(
            f"""insert into jobmon.transition_history {HISTORY_COLUMNS}
               values ('TaskInstance', -1, %s, -1, null, 'Q'), ('TaskInstance', -2, %s, -2, null, 'Q')""",
            (task, task),
        )
    assert main(["--dsn", db_dsn, "simulate", "--check", str(workflow_id), "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["invariants"]}
    overlap = checks["no task ever had two live task instances at once"]
    assert not overlap["ok"] and f"task {task}: instance -2 created while -1 still live" in overlap["detail"]
    # --remove takes the kept rows away.
    assert main(["--dsn", db_dsn, "simulate", "--remove", str(workflow_id)]) == 0
    assert f"removed workflow {workflow_id}" in capsys.readouterr().out
    with psycopg.connect(db_dsn) as conn:
        assert conn.execute("select count(*) from jobmon.task").fetchone() == (0,)
        assert conn.execute("select count(*) from jobmon.task_resources").fetchone() == (0,)


@pytest.mark.parametrize(
    "args",
    [
        ["--array-size", "501"],
        ["--app-error-rate", "1.5"],
        ["--app-error-rate", "0.6", "--lost-id-rate", "0.6"],
        ["--tasks", "0"],
        ["--workers", "many"],
        ["--check", "1", "--remove", "1"],
        ["--through-jobmon-server", "127.0.0.1:8070"],
    ],
)
def test_usage_errors_exit_2(args, capsys):
    try:
        code = main(["--dsn", "host=/nonexistent", "simulate", *args])
    except SystemExit as exit:
        code = exit.code
    assert code == 2
    assert "error" in capsys.readouterr().err


def test_without_the_history_it_refuses(conn, db_dsn, capsys):
    set_history(conn, False)
    assert main(["--dsn", db_dsn, "simulate", "--tasks", "5"]) == 1
    assert "history --enable" in capsys.readouterr().err
    assert conn.execute("select count(*) from jobmon.workflow").fetchone() == (0,)


def test_without_the_schema_it_says_to_migrate(empty_dsn, capsys):
    assert main(["--dsn", empty_dsn, "simulate", "--tasks", "5"]) == 1
    assert "jobmon-db migrate" in capsys.readouterr().err


# Found by the simulation (duplicated reports): a log_running retried after the first call finished the
# instance (K -> F, X -> E) must answer 'unchanged', not raise JM001 "from F to R".
@pytest.mark.parametrize(("status", "task_status", "after"), [("K", "O", "F"), ("X", "O", "E")])
def test_a_retried_log_running_after_it_finished_the_instance_changes_nothing(conn, status, task_status, after):
    ti, _ = make_task_instance(conn, status=status, task_status=task_status, num_attempts=1, max_attempts=2)
    first = log_running(conn, ti, "node1", 1, timedelta(seconds=30))
    assert first.status.value == after and not first.may_run
    again = log_running(conn, ti, "node1", 1, timedelta(seconds=30))
    assert again.outcome == "unchanged" and again.status.value == after and not again.may_run


# --- An interrupted run: a short message, its rows removed when possible, else how to remove them ----------

SIMULATION = "select id from jobmon.workflow where name like 'jobmon-db simulate%%'"
ITS_BACKENDS = (
    "select pg_terminate_backend(pid) from pg_stat_activity"
    " where datname = current_database() and application_name like 'jobmon-db simulate%%'"
)


def _start_simulation(dsn: str, conn: psycopg.Connection[Any]) -> tuple[subprocess.Popen[str], int]:
    """A long simulation in a subprocess, once its workflow has task instances; and its workflow id."""
    command = [sys.executable, "-m", "jobmon_db", "--dsn", dsn, "simulate", "--tasks", "2000", "--workers", "4"]
    process = subprocess.Popen([*command, *FAST], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        row = conn.execute(SIMULATION + " and exists (select from jobmon.task_instance)").fetchone()
        if row is not None:
            return process, int(row[0])
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the simulation did not start: {process.communicate()}")


def _short(stderr: str) -> str:
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    return stderr


def test_ctrl_c_stops_the_run_removes_its_rows_and_exits_130(conn, db_dsn):
    process, workflow_id = _start_simulation(db_dsn, conn)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    assert _short(err) == f"jobmon-db simulate: interrupted; removed workflow {workflow_id} and its rows\n"
    assert conn.execute(SIMULATION).fetchall() == []


def test_a_lost_connection_ends_with_a_short_message_and_removes_the_rows_over_a_new_one(conn, db_dsn):
    process, workflow_id = _start_simulation(db_dsn, conn)
    while process.poll() is None:  # every connection of the run, the main one included, as a restart would
        conn.execute(ITS_BACKENDS + " and application_name <> 'jobmon-db simulate: cleanup'")
        time.sleep(0.05)
    _, err = process.communicate()
    assert process.returncode == 1
    assert _short(err).startswith("jobmon-db simulate: lost its connection to the database (terminating connection")
    assert err.endswith(f"; removed workflow {workflow_id} and its rows\n")
    assert conn.execute(SIMULATION).fetchall() == []


def test_when_the_rows_cannot_be_removed_the_message_names_the_workflow_and_the_remove_command(conn, db_dsn):
    process, workflow_id = _start_simulation(db_dsn, conn)
    while process.poll() is None:  # the cleanup's connections too: the server stays out of reach
        conn.execute(ITS_BACKENDS)
        time.sleep(0.02)
    _, err = process.communicate()
    assert process.returncode == 1
    assert _short(err).endswith(
        f"; workflow {workflow_id} and its rows are left in the database:"
        f" remove them with `jobmon-db simulate --remove {workflow_id}`\n"
    )
    assert conn.execute(SIMULATION).fetchall() == [(workflow_id,)]
    assert main(["--dsn", db_dsn, "simulate", "--remove", str(workflow_id)]) == 0
    assert conn.execute(SIMULATION).fetchall() == []


def test_check_of_a_failed_workflow_accepts_downstream_tasks_that_never_ran(conn, db_dsn, capsys):
    """A workflow whose first task failed (F, no attempts left) stops: its downstream tasks stay G, never run."""
    from jobmon_db import instantiate_task_instances, launch_array_batch, log_error, queue_task_batch
    from tests.factories import make_array, make_array_tasks

    set_history(conn, True)
    array_id, run_id, resources_id = make_array(conn)
    first, *downstream = make_array_tasks(conn, array_id, ["G", "G", "G"], max_attempts=1)
    (queued,) = queue_task_batch(conn, [first], array_id, resources_id, run_id)
    assert queued.task_instance_id is not None
    instantiate_task_instances(conn, [queued.task_instance_id])
    launch_array_batch(conn, array_id, 1, timedelta(minutes=5))
    log_running(conn, queued.task_instance_id, "node", 1, timedelta(minutes=5))
    log_error(conn, queued.task_instance_id, "E", "exit status 1")
    (workflow_id,) = conn.execute("select workflow_id from jobmon.array where id = %s", (array_id,)).fetchone()
    assert conn.execute("select status from jobmon.task where id = %s", (first,)).fetchone() == ("F",)

    assert main(["--dsn", db_dsn, "simulate", "--check", str(workflow_id)]) == 0
    out = capsys.readouterr().out
    assert "ok   every task ended D or F: 3 tasks: F 1, G 2 (2 G never ran: the workflow failed before them)" in out

    # The same G tasks in a workflow that did not fail are unfinished.
    conn.execute("update jobmon.task set status = 'D' where id = %s", (first,))
    assert main(["--dsn", db_dsn, "simulate", "--check", str(workflow_id)]) == 1
    assert "FAIL every task ended D or F: 3 tasks: D 1, G 2" in capsys.readouterr().out
    # And a task in G that had an instance (queued, then reset) is not one that never ran.
    conn.execute("update jobmon.task set status = 'F' where id = %s", (first,))
    conn.execute(
        "insert into jobmon.task_instance (workflow_run_id, array_id, task_id, task_resources_id, status)"
        " values (%s, %s, %s, %s, 'F')",
        (run_id, array_id, downstream[0], resources_id),
    )
    assert main(["--dsn", db_dsn, "simulate", "--check", str(workflow_id)]) == 1
    assert "(1 G never ran" in capsys.readouterr().out
