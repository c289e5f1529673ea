"""Time jobmon.transition_task_instance() against app-side code and a bare UPDATE (python -m benchmarks).

Creates (drops and re-creates) its own database on the server of --dsn, so it
never touches user data. Prints a table, the targets and the ratios, and
writes results.json and results.png into --out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from tqdm import tqdm

from jobmon_db.connection import resolve_dsn

from . import batches, call_sites, drivers, report, resume, runner, workload

SERVER_SETTINGS = (
    "fsync",
    "synchronous_commit",
    "wal_sync_method",
    "full_page_writes",
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "jit",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="server to run on (default: $JOBMON_DB_DSN, then libpq's defaults)")
    parser.add_argument("--database", default="jobmon_bench", help="database to create for the run (dropped first)")
    parser.add_argument("--tasks", type=int, default=200, help="tasks per client (half of them fail once and retry)")
    parser.add_argument("--hot-tasks", type=int, default=50, help="tasks in the set all clients share")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the multi-client runs")
    parser.add_argument("--rounds", type=int, default=3, help="times each run is repeated (median throughput)")
    parser.add_argument("--call-site-calls", type=int, default=200, help="calls of each call-site pair (1 client)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="directory for results.json/png")
    resume.add_arguments(parser)
    batches.add_arguments(parser)
    args = parser.parse_args(argv)
    if min(args.tasks, args.hot_tasks, args.clients, args.rounds) < 1:
        parser.error("--tasks, --hot-tasks, --clients and --rounds must be at least 1")
    return args


def machine(dsn: str) -> dict[str, Any]:
    """Where the numbers come from: the host, the server and its durability settings, the load."""
    with psycopg.connect(dsn) as conn:
        version = conn.execute("show server_version").fetchone()
        settings = dict(
            conn.execute("select name, current_setting(name) from unnest(%s::text[]) name", (list(SERVER_SETTINGS),))
        )
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(_memory_bytes() / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": version[0] if version else None,
        "settings": settings,
        "load_average": list(os.getloadavg()),
    }


def _memory_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = runner.Sizes(tasks=args.tasks, hot_tasks=args.hot_tasks, rounds=args.rounds)
    dsn = workload.recreate_database(resolve_dsn(args.dsn), args.database)
    drivers.create_plpgsql_floor(dsn)
    meta: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(dsn),
        "config": {"database": args.database, "clients": args.clients, **sizes.__dict__},
    }
    total = (
        sizes.rounds
        * len(runner.IMPLEMENTATIONS)
        * sum(runner.requests_per_run(s, sizes) for s in runner.scenarios(args.clients))
    )
    with tqdm(total=total, unit="transition", file=sys.stderr) as progress:
        results = runner.run_all(dsn, args.clients, sizes, progress)
    meta["load_average_after"] = list(os.getloadavg())

    summaries = report.summarize(results)
    args.out.mkdir(parents=True, exist_ok=True)
    report.write_json(args.out / "results.json", summaries, results, meta)
    # The chart needs matplotlib (the 'bench' extra); the numbers do not, so the test extra can run this.
    charted = importlib.util.find_spec("matplotlib") is not None
    if charted:
        report.write_chart(args.out / "results.png", summaries, _chart_title(meta))
    print(report.table(summaries))
    print()
    print(report.targets_text(report.targets(summaries)))
    print()
    print(report.ratios_text(summaries))
    # The triage sweep and the change feed (own database; writes resume_plans.txt).
    print()
    resumed = resume.run(
        resolve_dsn(args.dsn), args.resume_instances, args.resume_rounds, args.out, database=f"{args.database}_resume"
    )
    print(resumed.text())
    print()
    pairs = call_sites.run(dsn, max(args.call_site_calls, 1))
    (args.out / "call_sites.json").write_text(json.dumps(call_sites.as_json(pairs), indent=2))
    print(call_sites.text(pairs))
    # The set-based batch functions, on the same server (writes batches.json and batch_plans.txt).
    batch_results = batches.run(dsn, batches.sizes_from(args), args.out)
    print()
    print(batch_results.text())
    if charted:
        print(f"Wrote {args.out / 'results.json'} and {args.out / 'results.png'}", file=sys.stderr)
    else:
        no_chart = "no chart: install matplotlib (pip install -e '.[bench]')"
        print(f"Wrote {args.out / 'results.json'}; {no_chart}", file=sys.stderr)
    return 0


def _chart_title(meta: dict[str, Any]) -> str:
    m = meta["machine"]
    server = (m["postgresql"] or "").split(" ")[0]
    return (
        f"jobmon.transition_task_instance() vs app-side ORM vs bare UPDATE: PostgreSQL {server}, {m['cpus']} cores,"
        f" fsync={m['settings'].get('fsync')}, synchronous_commit={m['settings'].get('synchronous_commit')}"
    )


if __name__ == "__main__":
    sys.exit(main())
