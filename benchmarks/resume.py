"""Benchmark of the sweep and the change feed (part of python -m benchmarks; alone: python -m benchmarks.resume).

* triage_overdue on one workflow run of --resume-instances task instances
  (mostly finished, 1,000 running in time, 100 overdue), with the plans of its
  statements (auto_explain, nested statements) written to resume_plans.txt;
* task_status_changes of that workflow after 1,000 status changes;
* the cost of one transition_task_instance() with and without what migration
  0005 adds to every status change (the status_xid trigger and two indexes).

The default size is quick; the issue's size is --resume-instances 1500000.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from jobmon_db.connection import resolve_dsn

from . import workload

OVERDUE = 100
RUNNING = 1000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--resume-instances", type=int, default=20_000, help="task instances of the triage run (e.g. 1500000)"
    )
    parser.add_argument("--resume-rounds", type=int, default=20, help="timed calls of triage and the change feed")


@dataclass
class ResumeResults:
    instances: int
    triage_ms: list[float] = field(default_factory=list)
    triage_moved: int = 0
    triage_uses_index: bool = False
    feed_ms: list[float] = field(default_factory=list)
    feed_rows: int = 0
    transition_us: dict[str, float] = field(default_factory=dict)

    def text(self) -> str:
        t, f = statistics.median(self.triage_ms), statistics.median(self.feed_ms)
        lines = [
            f"triage_overdue, run of {self.instances:,} instances, {OVERDUE} overdue:"
            f" median {t:.2f} ms (min {min(self.triage_ms):.2f}), moved {self.triage_moved},"
            f" by ix_task_instance_live_by_run, no Seq Scan of task(_instance): {self.triage_uses_index}"
            f"  [target < 10 ms: {'met' if t < 10 else 'MISSED'}]",
            f"task_status_changes after {RUNNING:,} changes: median {f:.2f} ms (min {min(self.feed_ms):.2f}),"
            f" {self.feed_rows} rows  [target < 10 ms: {'met' if f < 10 else 'MISSED'}]",
        ]
        if self.transition_us:
            with_, without = self.transition_us["with 0005"], self.transition_us["without 0005"]
            lines.append(
                f"transition_task_instance, one move (Q->I->O->R->D, autocommit): {with_:.1f} us with the"
                f" status_xid trigger and the two indexes of 0005, {without:.1f} us without"
                f" ({(with_ - without) / without * 100:+.1f} %)"
            )
        return "\n".join(lines)


def _fill(conn: psycopg.Connection[Any], instances: int) -> tuple[int, int]:
    """One workflow and run: every task has one instance; most D, RUNNING live in R, OVERDUE overdue in R."""
    wf, run = conn.execute(
        "with wf as (insert into jobmon.workflow (name) values ('resume bench') returning id)"
        " insert into jobmon.workflow_run (workflow_id) select id from wf returning workflow_id, id"
    ).fetchone()
    conn.execute(
        """
        insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)
        select %(wf)s, case when g <= %(live)s then 'R' else 'D' end, 1, 3 from generate_series(1, %(n)s) g
        """,
        {"wf": wf, "n": instances, "live": RUNNING + OVERDUE},
    )
    conn.execute(
        """
        insert into jobmon.task_instance (workflow_run_id, task_id, status, report_by_date, submitted_date,
                                          status_date, nodename)
        select %(run)s, t.id, t.status,
               case when t.status = 'D' then now() - interval '1 day'
                    when row_number() over (order by t.id) <= %(overdue)s then now() - interval '1 minute'
                    else now() + interval '1 hour' end,
               now() - interval '1 day', now() - interval '1 hour', 'node'
          from jobmon.task t where t.workflow_id = %(wf)s
        """,
        {"run": run, "wf": wf, "overdue": OVERDUE},
    )
    conn.execute("update jobmon.task t set current_attempt_from = ti.id from jobmon.task_instance ti"
                 " where ti.task_id = t.id and t.workflow_id = %s", (wf,))  # fmt: skip
    conn.execute("vacuum analyze jobmon.task")
    conn.execute("vacuum analyze jobmon.task_instance")
    return wf, run


def _plans(conn: psycopg.Connection[Any], run: int) -> tuple[str, int]:
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    conn.execute("load 'auto_explain'")
    for setting, value in (("log_min_duration", "0"), ("log_nested_statements", "on"), ("log_analyze", "on"),
                           ("log_buffers", "on"), ("log_level", "notice")):  # fmt: skip
        conn.execute(f"set auto_explain.{setting} = {value}")
    conn.execute("begin")
    moved = len(conn.execute("select * from jobmon.triage_overdue(%s, '10 minutes')", (run,)).fetchall())
    conn.execute("rollback")
    conn.execute("set auto_explain.log_min_duration = -1")
    return "\n\n".join(notices), moved


def _time(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> tuple[float, int]:
    conn.execute("begin")
    start = time.perf_counter()
    rows = conn.execute(sql, params).fetchall()
    elapsed = (time.perf_counter() - start) * 1000
    conn.execute("rollback")
    return elapsed, len(rows)


def _transition_cost(conn: psycopg.Connection[Any], count: int) -> float:
    """Microseconds per transition_task_instance() over `count` instances moved Q->I->O->R->D, one call each."""
    wf = conn.execute("insert into jobmon.workflow (name) values ('cost') returning id").fetchone()[0]
    ids = [r[0] for r in conn.execute(
        "with t as (insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)"
        " select %s, 'Q', 1, 3 from generate_series(1, %s) returning id)"
        " insert into jobmon.task_instance (task_id) select id from t returning id", (wf, count))]  # fmt: skip
    start = time.perf_counter()
    for status in ("I", "O", "R", "D"):
        for ti in ids:
            conn.execute("select jobmon.transition_task_instance(%s, %s)", (ti, status))
    return (time.perf_counter() - start) / (count * 4) * 1e6


def run(
    dsn: str, instances: int, rounds: int, out: Path, transition_count: int = 500, database: str = "jobmon_bench_resume"
) -> ResumeResults:
    """Runs on two databases of its own (`database` and `database`_cost, dropped and re-created) of dsn's server."""
    bench = workload.recreate_database(dsn, database)
    results = ResumeResults(instances)
    with psycopg.connect(bench, autocommit=True) as conn:
        wf, run_id = _fill(conn, instances)
        plans, results.triage_moved = _plans(conn, run_id)
        results.triage_uses_index = "ix_task_instance_live_by_run" in plans and not any(
            f"Seq Scan on {table} " in plans for table in ("task", "task_instance")
        )
        out.mkdir(parents=True, exist_ok=True)
        (out / "resume_plans.txt").write_text(plans + "\n", encoding="utf-8")
        for _ in range(rounds):
            ms, _n = _time(conn, "select * from jobmon.triage_overdue(%s, '10 minutes')", (run_id,))
            results.triage_ms.append(ms)

        # The change feed: a cursor past everything, 1,000 status changes, then the sync.
        conn.execute("select pg_current_xact_id()")  # nothing pending of ours
        cursor = int(conn.execute(  # a cursor as the feed gives it: this cluster's tag above the transaction id
            "select jobmon._feed_cluster_tag() + pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        ).fetchone()[0])  # fmt: skip
        running = [r[0] for r in conn.execute(
            "select id from jobmon.task_instance where workflow_run_id = %s and status = 'R'"
            " and report_by_date > now() order by id limit %s", (run_id, RUNNING))]  # fmt: skip
        last = 0
        for ti in running:
            conn.execute("begin")
            last = int(conn.execute("select pg_current_xact_id()::text").fetchone()[0])
            conn.execute("select jobmon.transition_task_instance(%s, 'D')", (ti,))
            conn.execute("commit")
        deadline = time.monotonic() + 30
        while int(conn.execute("select pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()[0]) <= last:
            if time.monotonic() > deadline:
                raise RuntimeError("another transaction on the server held the change feed back for 30 s")
            time.sleep(0.05)
        for _ in range(rounds):
            ms, results.feed_rows = _time(conn, "select * from jobmon.task_status_changes(%s, %s)", (wf, cursor))
            results.feed_ms.append(ms)
        feed_plan = conn.execute(
            "explain (analyze, buffers) select t.id, t.status from jobmon.task t where t.workflow_id = %s"
            " and t.status_xid >= (%s::bigint & (2^44 - 1)::bigint)::text::xid8"
            " and t.status_xid < pg_snapshot_xmin(pg_current_snapshot())",
            (wf, cursor),
        ).fetchall()
        with (out / "resume_plans.txt").open("a", encoding="utf-8") as f:
            f.write("\nThe change feed's query:\n" + "\n".join(r[0] for r in feed_plan) + "\n")

    workload.drop_database(dsn, database)

    # What 0005 adds to every status change, on a small database of its own (rebuilding the indexes of a
    # large one between rounds would load the server during the next round).
    small = workload.recreate_database(dsn, f"{database}_cost")
    with psycopg.connect(small, autocommit=True) as conn:
        _transition_cost(conn, 100)  # warm up
        timings: dict[str, list[float]] = {"with 0005": [], "without 0005": []}
        for _ in range(3):  # alternate, so load on the shared machine hits both alike
            timings["with 0005"].append(_transition_cost(conn, transition_count))
            conn.execute("alter table jobmon.task disable trigger track_status_xid")
            conn.execute("drop index jobmon.ix_task_workflow_id_status_xid")
            conn.execute("drop index jobmon.ix_task_instance_live_by_run")
            timings["without 0005"].append(_transition_cost(conn, transition_count))
            conn.execute("alter table jobmon.task enable trigger track_status_xid")
            conn.execute("create index ix_task_workflow_id_status_xid on jobmon.task (workflow_id, status_xid)")
            conn.execute(
                "create index ix_task_instance_live_by_run on jobmon.task_instance"
                " (workflow_run_id, status, report_by_date) where status in ('Q', 'I', 'O', 'R', 'T', 'X', 'K')"
            )
            conn.execute("checkpoint")
        results.transition_us = {k: statistics.median(v) for k, v in timings.items()}
    workload.drop_database(dsn, f"{database}_cost")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.resume", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="server to run on (default: $JOBMON_DB_DSN, then libpq's defaults)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="directory for resume_plans.txt")
    add_arguments(parser)
    args = parser.parse_args(argv)
    results = run(resolve_dsn(args.dsn), args.resume_instances, args.resume_rounds, args.out)
    print(results.text())
    print(f"Wrote {args.out / 'resume_plans.txt'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
