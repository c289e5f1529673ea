"""`python -m benchmarks` runs end to end on a tiny size and writes sane results (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from benchmarks.drivers import PlpgsqlFloor, create_plpgsql_floor
from benchmarks.workload import create_tasks, drop_database, recreate_database

# SQLAlchemy and tqdm are in the test extra; matplotlib (the chart) only in 'bench', which CI installs too.
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None

REPO = Path(__file__).resolve().parent.parent
IMPLEMENTATIONS = {
    "fn",
    "fn_prepared",
    "fn_no_history",
    "app",
    "app_lean",
    "history_floor",
    "cascade_floor",
    "locked_floor",
    "plpgsql_floor",
    "floor",
}
SCENARIOS = {"1 client", "2 clients", "2 clients, shared set"}


def _server_dsn(server: Any) -> str:
    """The test server's maintenance database, from which the benchmark creates and drops its own."""
    return make_conninfo(
        host=server.host, port=server.port, user=server.user, password=server.password, dbname="postgres"
    )


@pytest.fixture(scope="module")
def results(postgresql_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One tiny run of the benchmark, in a database of its own that is dropped afterwards."""
    server_dsn = _server_dsn(postgresql_server)
    out = tmp_path_factory.mktemp("bench")
    database = f"jobmon_bench_test_{os.getpid()}"
    command = [sys.executable, "-m", "benchmarks", "--dsn", server_dsn, "--database", database]
    command += ["--tasks", "4", "--hot-tasks", "4", "--clients", "2", "--rounds", "1", "--out", str(out)]
    command += ["--batch-size", "40", "--batch-rounds", "1", "--queue-size", "10", "--repeats", "2"]
    command += ["--small-instances", "200"]
    command += ["--resume-instances", "2000", "--resume-rounds", "3"]
    try:
        finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        drop_database(server_dsn, database)
    assert finished.returncode == 0, finished.stderr
    if HAS_MATPLOTLIB:
        assert (out / "results.png").stat().st_size > 0
    else:
        assert "no chart: install matplotlib" in finished.stderr and not (out / "results.png").exists()
    batches = json.loads((out / "batches.json").read_text())
    plans = (out / "batch_plans.txt").read_text()
    return {
        "printed": finished.stdout,
        "batches": batches,
        "plans": plans,
        **json.loads((out / "results.json").read_text()),
    }


def test_every_implementation_runs_in_every_scenario(results):
    assert {(s["scenario"], s["implementation"]) for s in results["summary"]} == {
        (scenario, implementation) for scenario in SCENARIOS for implementation in IMPLEMENTATIONS
    }


def test_numbers_are_sane(results):
    for summary in results["summary"]:
        assert summary["throughput"] > 0
        assert 0 < summary["p50_ms"] <= summary["p99_ms"]
        answered = sum(summary["answers"].values()) + sum(summary["errors"].values())
        assert answered == summary["transitions"] > 0


def test_own_task_instances_end_as_the_workload_says(results):
    # 4 tasks a client: 2 happy (D), 2 failing once (E) then retried (D).
    for summary in results["summary"]:
        if summary["scenario"] != "2 clients, shared set":
            clients = 1 if summary["scenario"] == "1 client" else 2
            assert summary["final_statuses"]["task_instance"] == {"D": 4 * clients, "E": 2 * clients}
        if summary["implementation"] != "floor":
            assert set(summary["final_statuses"]["task"]) == {"D"}


def test_the_state_machine_answers_the_shared_set_without_errors(results):
    for summary in results["summary"]:
        if summary["implementation"] in ("fn", "fn_no_history", "fn_prepared", "app_lean"):
            assert summary["errors"] == {}
        if summary["scenario"] == "2 clients, shared set" and "floor" not in summary["implementation"]:
            assert summary["answers"]["applied"] == 4 * 4 + 2 * 4  # every life applied exactly once


def test_the_function_creates_no_multixact(results):
    # The tests run as a superuser, so the benchmark can checkpoint and count them.
    for summary in results["summary"]:
        if summary["implementation"] in ("fn", "fn_prepared"):
            assert summary["multixacts"] == 0, summary["scenario"]


def test_prints_the_table_targets_and_ratios_last(results):
    printed = results["printed"]
    assert "| scenario | implementation | transitions/s |" in printed
    assert "Targets:" in printed and ("PASS" in printed or "FAIL" in printed)
    assert printed.index("Targets:") < printed.index("Ratios")
    assert {t["description"].split()[0].rstrip(",") for t in results["targets"]} == {"fn", "fn_prepared"}


def test_the_floors_in_the_lock_order_are_compared_with_the_cascade_floor(results):
    for scenario, variants in results["ratios"].items():
        assert variants["locked_floor"]["locked_floor/cascade_floor cost"] > 0, scenario
        assert variants["plpgsql_floor"]["plpgsql_floor/cascade_floor cost"] > 0, scenario
        assert variants["fn_prepared"]["fn/plpgsql_floor cost"] > 0, scenario
        assert variants["history_floor"]["history_floor/cascade_floor cost"] > 0, scenario
        assert variants["fn"]["fn/history_floor cost"] > 0 and variants["fn"]["fn/app_lean speed-up"] > 0, scenario
    ratios_printed = results["printed"][results["printed"].index("Ratios") :]
    assert "locked_floor/cascade_floor" in ratios_printed and "fn_prepared/plpgsql_floor" in ratios_printed
    assert "fn/history_floor" in ratios_printed and "history_floor/cascade_floor" in ratios_printed


def test_the_plpgsql_floor_runs_as_the_owner_with_a_pinned_search_path(postgresql_server: Any):
    """It must pay what the function pays for being called: the owner's rights and a pinned search_path."""
    server_dsn = _server_dsn(postgresql_server)
    database = f"jobmon_floor_test_{os.getpid()}"
    try:
        dsn = recreate_database(server_dsn, database)
        create_plpgsql_floor(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            definer, config, owner, schema_owner = conn.execute(
                "select p.prosecdef, p.proconfig, p.proowner::regrole::text,"
                " (select n.nspowner::regrole::text from pg_namespace n where n.nspname = 'jobmon')"
                " from pg_proc p where p.oid = 'public.plpgsql_floor(bigint, text, text)'::regprocedure"
            ).fetchone()
            (task,) = create_tasks(conn, 1)
            moved = PlpgsqlFloor(dsn)
            try:
                answer = moved.transition(task.first_instance, "I")
            finally:
                moved.close()
            statuses = conn.execute(
                "select ti.status, t.status from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
                " where ti.id = %s",
                (task.first_instance,),
            ).fetchone()
    finally:
        drop_database(server_dsn, database)
    assert definer and config == ["search_path=pg_catalog, pg_temp"] and owner == schema_owner
    assert answer == "applied" and statuses == ("I", "I")


def test_prints_each_call_site_function_next_to_the_transition_it_makes(results):
    printed = results["printed"]
    assert "Call-site functions vs transition_task_instance" in printed
    for name in ("log_running", "log_heartbeat", "log_done", "log_error", "log_unknown_error",
                 "log_distributor_id", "log_no_distributor_id"):  # fmt: skip
        assert f"| {name} " in printed
    assert "History (fn_prepared/fn_no_history" in printed and set(results["history_cost"]) == SCENARIOS


def test_the_batch_functions_are_timed_in_the_same_run(results):
    batches = results["batches"]
    assert set(batches["launch_median_seconds"]) == {
        "launch_array_batch",
        "launch_array_batch_history_off",
        "single_row_one_transaction",
        "single_row_autocommit",
        "bare_update",
    }
    assert all(seconds > 0 for seconds in batches["launch_median_seconds"].values())
    (database,) = batches["call_ms"]  # no big database at test size
    assert set(batches["call_ms"][database]) == {
        "queue_task_batch",
        "queue_task_batch_history_off",
        "queue_task_batch_floor",
        "log_heartbeats",
        "log_heartbeats_floor",
    }
    assert all(len(times) == 2 for times in batches["call_ms"][database].values())
    assert any("history on / off" in t["description"] for t in batches["targets"])
    descriptions = [t["description"] for t in batches["targets"]]
    assert any("single-row calls" in d for d in descriptions) and any(
        "bare set-based UPDATE" in d for d in descriptions
    )
    printed = results["printed"]
    assert printed.index("Ratios") < printed.index("Array batch launch") < printed.index("Batch targets:")
    assert "queue_task_batch on " in printed and "x the floor's median" in printed
    assert "queue_task_batch" in results["plans"] or "no plans" in results["plans"]


def test_prints_the_triage_sweep_and_the_change_feed_with_their_targets(results):
    printed = results["printed"]
    assert "triage_overdue, run of 2,000 instances, 100 overdue" in printed
    assert "task_status_changes after 1,000 changes" in printed and ", 1000 rows" in printed
    assert "transition_task_instance, one move" in printed


def test_the_batch_floors_write_what_the_functions_write(conn):
    """The floors of queue_task_batch and log_heartbeats leave the rows the functions leave (ids and dates aside)."""
    from benchmarks.batches import HEARTBEAT_FLOOR_SQL, INCREMENT, QUEUE_FLOOR_SQL, _workflow

    workflow_id, run_id, array_id, res_id = _workflow(conn)

    def new_tasks() -> list[int]:
        rows = conn.execute(
            "insert into jobmon.task (workflow_id, array_id, status, task_resources_id)"
            " select %s, %s, 'G', %s from generate_series(1, 3) returning id",
            (workflow_id, array_id, res_id),
        ).fetchall()
        return [r[0] for r in rows]

    def written(tasks: list[int]) -> list[tuple[Any, ...]]:
        return conn.execute(
            """
            select t.status, t.num_attempts, ti.status, ti.array_step_id, ti.workflow_run_id, ti.task_resources_id,
                   (select array_agg((h.model, h.from_status, h.to_status, h.function_name)::text order by h.id)
                      from jobmon.transition_history h where h.task_id = t.id)
              from jobmon.task t join jobmon.task_instance ti on ti.id = t.current_attempt_from
             where t.id = any(%s) order by t.id
            """,
            (tasks,),
        ).fetchall()

    by_function, by_floor = new_tasks(), new_tasks()
    conn.execute("select jobmon.queue_task_batch(%s, %s, %s, %s)", (by_function, array_id, res_id, run_id))
    conn.execute(QUEUE_FLOOR_SQL, {"ids": by_floor, "arr": array_id, "res": res_id, "run": run_id, "history": True})
    assert written(by_function) == written(by_floor) and len(written(by_floor)) == 3

    instances = [r[0] for r in conn.execute("select id from jobmon.task_instance where task_id = any(%s)", (by_floor,))]
    conn.execute("update jobmon.task_instance set status = 'O' where id = any(%s)", (instances,))
    before = conn.execute("select clock_timestamp()").fetchone()[0]
    conn.execute(HEARTBEAT_FLOOR_SQL, (INCREMENT, instances))
    deadlines = [
        r[0] for r in conn.execute("select report_by_date from jobmon.task_instance where id = any(%s)", (instances,))
    ]
    assert len(deadlines) == 3 and all(d >= before + INCREMENT for d in deadlines)
