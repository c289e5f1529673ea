"""`jobmon-db simulate --through-jobmon-server`: the simulation on the full stack, through upstream's HTTP routes.

Each test starts a `jobmon-db jobmon-server` (a subprocess, on a free port)
on its own database; the simulation's invariants are checked on the
database afterwards, as in the direct mode. Skipped when upstream Jobmon 3.6
is not installed (see docs/jobmon-server.md).
"""

from __future__ import annotations

import json

import psycopg
import pytest

pytest.importorskip("jobmon.server.web.api", reason="upstream Jobmon 3.6 is not installed (see docs/jobmon-server.md)")
pytest.importorskip("httpx", reason="httpx comes with upstream Jobmon")

from jobmon_db.cli import main  # noqa: E402
from jobmon_db.simulate.server import started_server  # noqa: E402
from tests.test_simulate import FAULTS  # noqa: E402

HEARTBEAT = "0.3"  # every actor's call is a request to one uvicorn process on a shared machine
RUN = ["--heartbeat", HEARTBEAT, "--timeout", "90", "--workers", "4"]


def _simulate(dsn: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["--dsn", dsn, "simulate", "--json", *RUN, *args])
    return code, json.loads(capsys.readouterr().out)


def _no_rows_left(dsn: str) -> None:
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select count(*) from jobmon.task").fetchone() == (0,)
        assert conn.execute("select count(*) from jobmon.workflow").fetchone() == (0,)


def test_a_small_run_with_every_fault_through_a_started_server_passes_every_invariant(db_dsn, capsys):
    code, summary = _simulate(db_dsn, capsys, "--tasks", "40", "--seed", "3", *FAULTS, "--through-jobmon-server")
    failed = [c for c in summary["invariants"] if not c["ok"]]
    assert code == 0, (failed, summary["problems"], summary["errors"])
    assert summary["ok"] and len(summary["invariants"]) == 6
    assert summary["options"]["server"].startswith("http://127.0.0.1:")
    assert summary["tasks"]["done"] + summary["tasks"]["failed"] == 40 and summary["tasks"]["other"] == 0
    for fault in ("app_error", "resource_error", "silent_before_start", "silent_while_running", "lost_id"):
        assert summary["faults"].get(fault, 0) > 0, fault
    assert summary["faults"]["duplicate"] > 0 and summary["faults"]["cold_resume"] == 1
    moves = summary["instance_moves"]
    # The server's triage (its grace from upstream's heartbeat settings) caught the silent deaths.
    assert moves.get("O->X", 0) > 0 and moves.get("X->E", 0) > 0
    assert moves.get("R->T", 0) > 0 and moves.get("T->U", 0) + moves.get("T->Z", 0) > 0
    assert moves.get("I->W", 0) > 0 and moves.get("R->Z", 0) > 0
    assert moves.get("K->F", 0) > 0  # the resume through set_resume_state and the kills through the array route
    assert summary["task_moves"].get("A->Q", 0) > 0
    calls = summary["calls"]
    # The distributor polled with upstream's sync_status route; every kind of call was made.
    for name in (
        "sync_status",
        "queue_task_batch",
        "instantiate_task_instances",
        "launch_array_batch",
        "log_array_distributor_ids",
        "array_task_instance",
        "log_running",
        "log_done",
        "log_error",
        "log_heartbeats",
        "triage_overdue",
        "task_status_changes",
        "terminate_workflow_run",
        "reset_tasks_for_resume",
    ):
        assert calls[name]["calls"] > 0, name
    # Over HTTP a single job finds its task instance by the id it was given: no direct lookup was made.
    assert "worker_node_task_instance" not in calls
    _no_rows_left(db_dsn)


def test_a_run_through_a_server_given_by_url(db_dsn, capsys):
    with started_server(db_dsn, float(HEARTBEAT)) as url:
        code, summary = _simulate(db_dsn, capsys, "--tasks", "12", "--no-resume", "--through-jobmon-server", url)
    assert code == 0, (summary["invariants"], summary["problems"], summary["errors"])
    assert summary["options"]["server"] == url
    assert summary["tasks"]["done"] + summary["tasks"]["failed"] == 12
    assert summary["calls"]["sync_status"]["calls"] > 0
    _no_rows_left(db_dsn)


def test_a_url_where_no_server_answers_is_refused_before_anything_is_made(db_dsn, capsys):
    code = main(["--dsn", db_dsn, "simulate", *RUN, "--through-jobmon-server", "http://127.0.0.1:9/"])
    assert code == 1
    assert "simulate: no Jobmon server answers at http://127.0.0.1:9/" in capsys.readouterr().err
    _no_rows_left(db_dsn)
