"""One workflow through upstream Jobmon's server, its routes against jobmon-db's (python -m benchmarks.jobmon_server).

For each variant, in every round: a fresh database on the server of --dsn
(created, `jobmon-db migrate`d, upstream's tables prepared), upstream's
server on it (`jobmon_db.jobmon_server.create_app`; jobmon-db's routes as in
production, by a login role that has only the application role; upstream's
routes as the database's owner, since they write statuses directly), and the
same workflow run by upstream's client: --tasks independent tasks and a chain
of three, each the command `true`, on the --cluster cluster, with heartbeats
of one second. Measured per variant: the time until the workflow finished;
the HTTP requests at the state-machine routes (those jobmon-db replaces:
`jobmon_db.jobmon_server.routes.ROUTES`), their rate over the run and their
time in the server, counted by a middleware in the server's process; the SQL
statements that process sent (counted at psycopg's cursor) and the commits
and rows written by the database (pg_stat_database), per task. Rounds
alternate which variant goes first; the report gives medians.

Needs upstream Jobmon 3.6 installed (docs/jobmon-server.md) and a role that
may create databases and roles. Prints the variants side by side (and a
line per state-machine route) and writes jobmon_server.json into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from jobmon_db.connection import resolve_dsn
from jobmon_db.simulate.server import server_settings, started_server

from .jobmon_server_processes import CHAIN, COUNTS_PATH
from .workload import drop_database, recreate_database

VARIANTS = ("upstream", "ours")
LABELS = {"upstream": "upstream's routes", "ours": "jobmon-db's routes"}
HEARTBEAT = 1.0  # seconds: the shortest heartbeat and poll intervals upstream's client takes (its tests' settings)
CLIENT_SETTINGS = {
    "JOBMON__HTTP__ROUTE_PREFIX": "/api/v3",
    "JOBMON__DISTRIBUTOR__POLL_INTERVAL": f"{HEARTBEAT:g}",
    "JOBMON__HEARTBEAT__WORKFLOW_RUN_INTERVAL": f"{HEARTBEAT:g}",
    # A server error fails the run in seconds instead of being retried for five minutes.
    "JOBMON__HTTP__RETRIES_ATTEMPTS": "3",
    "JOBMON__HTTP__RETRIES_TIMEOUT": "20",
}
WORKFLOW_TIMEOUT = 600  # seconds until upstream's client gives the workflow up
QUIET_TIMEOUT = 30.0  # seconds to wait for the database's backends to exit and its counters to settle


@dataclass(frozen=True)
class DatabaseCounters:
    """pg_stat_database's counters of one database (every backend's, flushed when it exits)."""

    commits: int
    rollbacks: int
    rows_written: int  # inserted + updated + deleted, jobmon-db's functions' rows included

    def minus(self, before: DatabaseCounters) -> DatabaseCounters:
        return DatabaseCounters(
            self.commits - before.commits,
            self.rollbacks - before.rollbacks,
            self.rows_written - before.rows_written,
        )


@dataclass(frozen=True)
class VariantRun:
    """One variant in one round."""

    variant: str
    round: int
    seconds: float  # workflow.run(), from binding until the workflow finished
    workflow_status: str
    tasks: int
    task_statuses: dict[str, int]
    task_instances: int  # more than tasks: some were retried
    routes: dict[str, dict[str, float]]  # "METHOD path": requests, seconds, statements (every route)
    statements_outside_requests: int
    database: DatabaseCounters
    history_rows: int  # jobmon.transition_history rows of the workflow's tasks
    moves_not_ours: int  # of them, the ones no jobmon-db function wrote


def state_machine_routes() -> set[str]:
    """The routes jobmon-db replaces, as the server's middleware names them ("METHOD path under /api/v3")."""
    from jobmon_db.jobmon_server.routes import ROUTES

    return {f"{method} {path}" for method, path in ROUTES}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jobmon_server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="server to run on (default: $JOBMON_DB_DSN, then libpq's defaults)")
    parser.add_argument(
        "--database", default="jobmon_bench_server", help="prefix of the databases to create (_upstream, _ours)"
    )
    parser.add_argument("--tasks", type=int, default=40, help="independent tasks of the workflow (plus a chain of 3)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each variant, alternating the order (medians)")
    parser.add_argument(
        "--cluster", default="multiprocess", choices=("multiprocess", "sequential"), help="upstream's cluster"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="directory for jobmon_server.json")
    parser.add_argument("--keep", action="store_true", help="keep the last round's databases (default: drop them)")
    args = parser.parse_args(argv)
    if min(args.tasks, args.rounds) < 1:
        parser.error("--tasks and --rounds must be at least 1")
    return args


def round_order(round_number: int) -> tuple[str, ...]:
    """Ours first on odd rounds (1, 3, ...), upstream's first on even ones."""
    return ("ours", "upstream") if round_number % 2 else ("upstream", "ours")


def prepare_database(server_dsn: str, name: str) -> str:
    """A fresh database: created, migrated, upstream's tables prepared (as the documented commands do it)."""
    dsn = recreate_database(server_dsn, name)
    prepared = subprocess.run(
        [sys.executable, "-m", "jobmon_db", "--dsn", dsn, "jobmon-server", "--prepare-only"],
        env={**os.environ, "JOBMON__AUTH__ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if prepared.returncode != 0:
        raise RuntimeError(f"`jobmon-db jobmon-server --prepare-only` failed: {prepared.stderr[-2000:]}")
    return dsn


@contextmanager
def server_login_role(server_dsn: str) -> Iterator[str]:
    """A login role with only the application role (the production server's); yields its name."""
    role = f"jobmon_bench_server_{os.getpid()}"
    with psycopg.connect(make_conninfo(server_dsn, dbname="postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    try:
        yield role
    finally:
        with psycopg.connect(make_conninfo(server_dsn, dbname="postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def grant_app_role(dsn: str, role: str) -> None:
    """Make `role` a member of the database's application role (recorded by `jobmon-db migrate`)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = conn.execute("select role_name from jobmon.deployment_role where actor = 'app'").fetchone()
        if found is None:
            raise RuntimeError("the database records no application role (jobmon.deployment_role)")
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(found[0]), sql.Identifier(role)))


def as_role(dsn: str, role: str) -> str:
    """`dsn` logging in as `role` (no password: the role has none)."""
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if k != "password"}
    return make_conninfo("", **{**params, "user": role})


def database_counters(server_dsn: str, name: str) -> DatabaseCounters:
    """The counters of database `name` once no backend is connected to it and they no longer change.

    Read from the maintenance database, so that reading adds nothing. A
    backend adds its counts when it exits, just after it leaves
    pg_stat_activity: the reads repeat until two agree.
    """
    deadline = time.monotonic() + QUIET_TIMEOUT
    with psycopg.connect(make_conninfo(server_dsn, dbname="postgres"), autocommit=True) as admin:
        while _connected(admin, name) and time.monotonic() < deadline:
            time.sleep(0.2)
        last = _read_counters(admin, name)
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = _read_counters(admin, name)
            if now == last:
                break
            last = now
    return last


def _connected(admin: psycopg.Connection[Any], name: str) -> bool:
    row = admin.execute("select count(*) from pg_stat_activity where datname = %s", (name,)).fetchone()
    return bool(row and row[0])


def _read_counters(admin: psycopg.Connection[Any], name: str) -> DatabaseCounters:
    row = admin.execute(
        "select xact_commit, xact_rollback, tup_inserted + tup_updated + tup_deleted"
        " from pg_stat_database where datname = %s",
        (name,),
    ).fetchone()
    if row is None:
        raise RuntimeError(f"pg_stat_database has no row for database {name}")
    return DatabaseCounters(*row)


def run_workflow(url: str, tasks: int, cluster: str) -> dict[str, Any]:
    """The workflow, by upstream's client in a process of its own, against the server at `url`."""
    bin_dir = str(Path(sys.executable).parent)  # the distributor starts worker_node_entry_point from the PATH
    env = {
        **os.environ,
        **server_settings(HEARTBEAT),
        **CLIENT_SETTINGS,
        "JOBMON__HTTP__SERVICE_URL": url,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "result.json"
        command = [sys.executable, "-m", "benchmarks.jobmon_server_processes", "workflow"]
        command += ["--tasks", str(tasks), "--cluster", cluster, "--result", str(result)]
        command += ["--timeout", str(WORKFLOW_TIMEOUT)]
        finished = subprocess.run(
            command, env=env, cwd=scratch, capture_output=True, text=True, timeout=WORKFLOW_TIMEOUT + 60
        )
        if not result.exists():
            raise RuntimeError(f"the workflow's process failed ({finished.returncode}): {finished.stderr[-3000:]}")
        answer: dict[str, Any] = json.loads(result.read_text())
    return answer


def workflow_rows(dsn: str, workflow_id: int) -> tuple[dict[str, int], int, int, int]:
    """The workflow's tasks by status, their task instances, their history rows, and those no function wrote."""
    with psycopg.connect(dsn) as conn:
        statuses: dict[str, int] = dict(
            conn.execute(
                "select status, count(*) from jobmon.task where workflow_id = %s group by status", (workflow_id,)
            ).fetchall()
        )
        instances = conn.execute(
            "select count(*) from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
            " where t.workflow_id = %s",
            (workflow_id,),
        ).fetchone()
        row = conn.execute(
            "select count(*), count(*) filter (where h.function_name is null) from jobmon.transition_history h"
            " join jobmon.task t on t.id = h.task_id where t.workflow_id = %s",
            (workflow_id,),
        ).fetchone()
    assert row is not None and instances is not None
    return statuses, instances[0], row[0], row[1]


@dataclass(frozen=True)
class Plan:
    """What every run shares."""

    server_dsn: str
    database: str  # prefix of the variants' databases
    tasks: int
    cluster: str
    server_role: str  # the login role jobmon-db's routes are served by


def run_variant(plan: Plan, variant: str, round_number: int) -> VariantRun:
    name = f"{plan.database}_{variant}"
    dsn = prepare_database(plan.server_dsn, name)
    serve_dsn = dsn
    if variant == "ours":
        grant_app_role(dsn, plan.server_role)
        serve_dsn = as_role(dsn, plan.server_role)
    before = database_counters(plan.server_dsn, name)
    command = [sys.executable, "-m", "benchmarks.jobmon_server_processes", "serve", "--dsn", serve_dsn]
    with started_server(serve_dsn, HEARTBEAT, command=[*command, "--routes", variant]) as url:
        outcome = run_workflow(url, plan.tasks, plan.cluster)
        counts = httpx.get(f"{url}{COUNTS_PATH}", timeout=30).raise_for_status().json()
    database_delta = database_counters(plan.server_dsn, name).minus(before)
    statuses, instances, history_rows, not_ours = workflow_rows(dsn, outcome["workflow_id"])
    return VariantRun(
        variant=variant,
        round=round_number,
        seconds=outcome["seconds"],
        workflow_status=outcome["status"],
        tasks=outcome["tasks"],
        task_statuses=statuses,
        task_instances=instances,
        routes=counts["routes"],
        statements_outside_requests=counts["statements_outside_requests"],
        database=database_delta,
        history_rows=history_rows,
        moves_not_ours=not_ours,
    )


# What the table shows: a label, and how to read it from one run (the table gives the median over the rounds).
Metric = tuple[str, Callable[[VariantRun, set[str]], float], str]


def _at(run: VariantRun, routes: set[str], field: str) -> float:
    return sum(counts[field] for route, counts in run.routes.items() if route in routes)


def _everywhere(run: VariantRun, field: str) -> float:
    return sum(counts[field] for counts in run.routes.values())


TIME = "time to finish the workflow, s"
SERVER_TIME = "  server time per request, ms"
METRICS: list[Metric] = [
    (TIME, lambda r, sm: r.seconds, "{:.2f}"),
    ("task instances per task (above 1: retries)", lambda r, sm: r.task_instances / r.tasks, "{:.2f}"),
    ("requests at the state-machine routes", lambda r, sm: _at(r, sm, "requests"), "{:,.0f}"),
    ("  per second of the run", lambda r, sm: _at(r, sm, "requests") / r.seconds, "{:.1f}"),
    (
        SERVER_TIME,
        lambda r, sm: 1000 * _at(r, sm, "seconds") / max(_at(r, sm, "requests"), 1),
        "{:.2f}",
    ),
    ("requests at every route", lambda r, sm: _everywhere(r, "requests"), "{:,.0f}"),
    ("statements per task (every route)", lambda r, sm: _everywhere(r, "statements") / r.tasks, "{:.1f}"),
    ("  at the state-machine routes", lambda r, sm: _at(r, sm, "statements") / r.tasks, "{:.1f}"),
    ("commits per task", lambda r, sm: r.database.commits / r.tasks, "{:.1f}"),
    ("rollbacks per task", lambda r, sm: r.database.rollbacks / r.tasks, "{:.1f}"),
    ("rows written per task", lambda r, sm: r.database.rows_written / r.tasks, "{:.1f}"),
    ("  of them transition history rows", lambda r, sm: r.history_rows / r.tasks, "{:.1f}"),
]


def medians(runs: list[VariantRun], routes: set[str]) -> dict[str, dict[str, float]]:
    """Per variant, each metric's median over the rounds."""
    return {
        variant: {
            label: statistics.median(read(run, routes) for run in runs if run.variant == variant)
            for label, read, _ in METRICS
        }
        for variant in VARIANTS
    }


def _ratio(upstream: float, ours: float) -> str:
    return f"{upstream / ours:.2f}x" if ours else "-"


def table(runs: list[VariantRun], routes: set[str]) -> str:
    """Both variants side by side (medians) with upstream / ours, then a line per state-machine route."""
    values = medians(runs, routes)
    lines = [
        f"| measured (median of {len({r.round for r in runs})} rounds) | {LABELS['upstream']} | {LABELS['ours']}"
        " | upstream / ours |",
        "|---|---:|---:|---:|",
    ]
    for label, _, form in METRICS:
        upstream, ours = values["upstream"][label], values["ours"][label]
        lines.append(f"| {label} | {form.format(upstream)} | {form.format(ours)} | {_ratio(upstream, ours)} |")
    lines += ["", route_table(runs, routes)]
    return "\n".join(lines)


def route_table(runs: list[VariantRun], routes: set[str]) -> str:
    """Requests and server time per state-machine route that was called (medians over the rounds)."""
    lines = [
        "| state-machine route | requests, upstream | requests, ours | ms per request, upstream"
        " | ms per request, ours | statements per request, upstream | statements per request, ours |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    called = sorted({route for run in runs for route in run.routes if route in routes})
    for route in called:
        cells = [
            _route_cell(runs, variant, route, field)
            for field in ("requests", "ms", "statements")
            for variant in VARIANTS
        ]
        lines.append(f"| {route} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _route_cell(runs: list[VariantRun], variant: str, route: str, field: str) -> str:
    counts = [run.routes.get(route) for run in runs if run.variant == variant]
    requests = [c["requests"] if c else 0 for c in counts]
    if field == "requests":
        return f"{statistics.median(requests):,.0f}"
    called = [c for c in counts if c and c["requests"]]
    if not called:
        return "-"
    if field == "ms":
        return f"{statistics.median(1000 * c['seconds'] / c['requests'] for c in called):.2f}"
    return f"{statistics.median(c['statements'] / c['requests'] for c in called):.1f}"


def verdict(runs: list[VariantRun], routes: set[str]) -> str:
    """The issue's question in words: is ours slower, and by how much is it faster."""
    values = medians(runs, routes)
    upstream, ours = values["upstream"][TIME], values["ours"][TIME]
    server = values["upstream"][SERVER_TIME], values["ours"][SERVER_TIME]
    speed = upstream / ours
    return (
        f"Time to finish the workflow: ours is {_faster(speed)}"
        f" (upstream's routes {upstream:.2f} s, ours {ours:.2f} s).\n"
        f"Server time per state-machine request: ours is {_faster(server[0] / server[1]) if all(server) else '-'}"
        f" ({server[0]:.2f} ms, {server[1]:.2f} ms).\n"
        f"  {'PASS' if speed >= 1 else 'FAIL'}  ours not slower to finish the workflow: {speed:.2f}x"
    )


def _faster(speed_up: float) -> str:
    return f"{speed_up:.2f}x faster" if speed_up >= 1 else f"{1 / speed_up:.2f}x slower"


def checks(runs: list[VariantRun]) -> list[str]:
    """What must hold in every run: every task done, and every move of ours credited to a jobmon-db function."""
    problems = []
    for run in runs:
        where = f"{run.variant}, round {run.round}"
        if run.workflow_status != "D" or run.task_statuses != {"D": run.tasks}:
            problems.append(f"{where}: workflow {run.workflow_status}, tasks {run.task_statuses}")
        if run.variant == "ours" and (run.moves_not_ours or not run.history_rows):
            problems.append(f"{where}: {run.moves_not_ours} of {run.history_rows} history rows not by a function")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_dsn = resolve_dsn(args.dsn)
    routes = state_machine_routes()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_before = list(os.getloadavg())
    runs: list[VariantRun] = []
    with server_login_role(server_dsn) as role:
        plan = Plan(server_dsn, args.database, args.tasks, args.cluster, role)
        try:
            for round_number in range(1, args.rounds + 1):
                for variant in round_order(round_number):
                    print(f"round {round_number}: {LABELS[variant]} ...", file=sys.stderr, flush=True)
                    runs.append(run_variant(plan, variant, round_number))
        finally:
            if not args.keep:
                for variant in VARIANTS:
                    drop_database(server_dsn, f"{args.database}_{variant}")
    args.out.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started,
        "load_average": {"before": load_before, "after": list(os.getloadavg())},
        "config": {"tasks": args.tasks, "chain": CHAIN, "rounds": args.rounds, "cluster": args.cluster},
        "medians": medians(runs, routes),
        "state_machine_routes": sorted(routes),
        "runs": [asdict(run) for run in runs],
    }
    (args.out / "jobmon_server.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(table(runs, routes))
    print()
    print(verdict(runs, routes))
    problems = checks(runs)
    for problem in problems:
        print(f"  FAIL  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
