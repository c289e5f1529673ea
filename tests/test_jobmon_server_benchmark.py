"""`python -m benchmarks.jobmon_server` runs both variants end to end on a tiny workflow (no timing is asserted).

Skipped when upstream Jobmon 3.6 is not installed (`pip install` its wheels,
then `pip install -e '.[jobmon]'`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import make_conninfo

pytest.importorskip("jobmon.server.web.api", reason="upstream Jobmon 3.6 is not installed (see docs/jobmon-server.md)")
pytest.importorskip("jobmon.client.tool", reason="upstream Jobmon 3.6's client is not installed")

from benchmarks.jobmon_server import VARIANTS, state_machine_routes  # noqa: E402
from benchmarks.jobmon_server_processes import CHAIN, for_postgresql  # noqa: E402
from benchmarks.workload import drop_database  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
TASKS = 3


@pytest.fixture(scope="module")
def results(postgresql_server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One round of 3 tasks (and the chain) per variant, in databases of their own that are dropped afterwards."""
    server_dsn = make_conninfo(
        host=postgresql_server.host,
        port=postgresql_server.port,
        user=postgresql_server.user,
        password=postgresql_server.password,
        dbname="postgres",
    )
    out = tmp_path_factory.mktemp("bench_server")
    database = f"jobmon_bench_server_test_{os.getpid()}"
    command = [sys.executable, "-m", "benchmarks.jobmon_server", "--dsn", server_dsn, "--database", database]
    command += ["--tasks", str(TASKS), "--rounds", "1", "--cluster", "sequential", "--out", str(out)]
    try:
        finished = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    finally:
        for variant in VARIANTS:
            drop_database(server_dsn, f"{database}_{variant}")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    document: dict[str, Any] = json.loads((out / "jobmon_server.json").read_text())
    return {"printed": finished.stdout, **document}


def _runs(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["variant"]: run for run in results["runs"]}


def test_both_variants_finish_every_task_done(results: dict[str, Any]) -> None:
    runs = _runs(results)
    assert set(runs) == {"upstream", "ours"}
    for run in runs.values():
        assert run["workflow_status"] == "D"
        assert run["tasks"] == TASKS + CHAIN
        assert run["task_statuses"] == {"D": TASKS + CHAIN}
        assert run["task_instances"] >= run["tasks"]
        assert run["seconds"] > 0


def test_every_count_is_positive_in_both_variants(results: dict[str, Any]) -> None:
    routes = set(results["state_machine_routes"])
    for run in _runs(results).values():
        at_state_machine = [c for route, c in run["routes"].items() if route in routes]
        assert sum(c["requests"] for c in at_state_machine) > 0, run["variant"]
        assert sum(c["statements"] for c in at_state_machine) > 0, run["variant"]
        assert run["database"]["commits"] > 0 and run["database"]["rows_written"] > 0, run["variant"]
    for label, values in results["medians"]["ours"].items():
        if label != "rollbacks per task":
            assert values > 0, label


def test_the_requests_are_named_as_the_routes_jobmon_db_replaces(results: dict[str, Any]) -> None:
    # Both variants answer the same routes by the same names, or the columns would compare different things.
    assert set(results["state_machine_routes"]) == state_machine_routes()
    for run in _runs(results).values():
        called = set(run["routes"]) & state_machine_routes()
        assert {"POST /task_instance/{task_instance_id}/log_done", "POST /array/{array_id}/queue_task_batch"} <= called


def test_every_move_of_ours_is_made_by_a_jobmon_db_function(results: dict[str, Any]) -> None:
    ours, upstream = _runs(results)["ours"], _runs(results)["upstream"]
    assert ours["history_rows"] > 0 and ours["moves_not_ours"] == 0
    assert upstream["history_rows"] == 0  # upstream writes statuses directly: jobmon-db records nothing of it


def test_prints_both_variants_side_by_side_and_says_which_is_faster(results: dict[str, Any]) -> None:
    printed = results["printed"]
    assert "| measured (median of 1 rounds) | upstream's routes | jobmon-db's routes | upstream / ours |" in printed
    assert "| state-machine route |" in printed
    assert "Time to finish the workflow: ours is " in printed and ("x faster" in printed or "x slower" in printed)


def test_upstream_s_statements_are_rewritten_only_where_postgresql_refuses_them() -> None:
    batch = (
        "SELECT coalesce(max(task_instance.array_batch_num) + %(max_1)s::INTEGER, %(coalesce_2)s::INTEGER)"
        " AS coalesce_1 \nFROM task_instance \nWHERE task_instance.array_id = %(array_id_1)s::INTEGER FOR UPDATE NOWAIT"
    )
    assert for_postgresql(batch) == (
        "SELECT coalesce(max(array_batch_num) + %(max_1)s::INTEGER, %(coalesce_2)s::INTEGER) AS coalesce_1"
        " FROM (SELECT task_instance.array_batch_num FROM task_instance"
        " WHERE task_instance.array_id = %(array_id_1)s::INTEGER FOR UPDATE NOWAIT) AS locked"
    )
    ids = "WHERE task_instance.id IN (%(id_1_1)s::VARCHAR, %(id_1_2)s::VARCHAR) AND task_instance.name = %(n)s::VARCHAR"
    assert for_postgresql(ids) == (
        "WHERE task_instance.id IN (%(id_1_1)s::BIGINT, %(id_1_2)s::BIGINT) AND task_instance.name = %(n)s::VARCHAR"
    )
    since = "WHERE task.workflow_id = %(w)s::INTEGER AND task.status_date >= %(status_date_1)s::VARCHAR"
    assert for_postgresql(since).endswith("task.status_date >= %(status_date_1)s::TIMESTAMP WITH TIME ZONE")
    other = "SELECT task.id FROM task WHERE task.name = %(name_1)s::VARCHAR FOR UPDATE"
    assert for_postgresql(other) == other
