"""Time the set-based batch functions (part of `python -m benchmarks`; alone: python -m benchmarks.batches).

Two measurements, on the same server as the rest of the benchmark:

1. Launching an array batch of --batch-size instances (I -> O, tasks I -> O):
   * jobmon.launch_array_batch(), one call;
   * the same moves as --batch-size single-row jobmon.transition_task_instance()
     calls from the client, all in one transaction (the kindest setting for
     them: no commit per call) and, as the project's drivers call it, one
     autocommit transaction per call;
   * a bare set-based UPDATE of the same instance rows and task rows (one
     statement each, no validation, no locks taken first): the floor.
   Each round runs on a fresh batch after VACUUM ANALYZE and a CHECKPOINT;
   the median of --batch-rounds rounds is reported.
   The function runs with the history on and, on a batch of its own, off.
   Targets: the function >= 20x faster than the single-row calls, at most
   1.5x the bare UPDATE, and with the history at most 1.4x without it.

2. queue_task_batch() of --queue-size tasks and log_heartbeats() of
   --queue-size ids, --repeats times each, on a database holding a workflow
   of 10,000 task instances and then (with --big-instances N, for example
   1500000) of N task instances, built with one INSERT ... SELECT
   generate_series; queue_task_batch alternately with the history on and off.
   Targets: queue_task_batch under 10 ms and log_heartbeats under 5 ms, flat
   cost from the small to the big database, and queue_task_batch with the
   history at most 1.3x without it. The plans of the statements inside the
   functions are captured with auto_explain (ANALYZE, BUFFERS, nested
   statements) when the session may load it (a superuser), and written to
   batch_plans.txt.

Results go to batches.json in --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from jobmon_db.connection import resolve_dsn
from jobmon_db.history import set_history

from . import workload

INCREMENT = timedelta(seconds=279)


@dataclass
class BatchSizes:
    batch_size: int = 10_000
    batch_rounds: int = 3
    queue_size: int = 500
    repeats: int = 20
    small_instances: int = 10_000
    big_instances: int = 0  # 0: no big database
    history: bool = True  # record the transition history during the run (on after migrate)


@dataclass
class Target:
    description: str
    value: float
    threshold: float
    at_most: bool

    @property
    def passed(self) -> bool:
        return self.value <= self.threshold if self.at_most else self.value >= self.threshold


@dataclass
class BatchResults:
    sizes: BatchSizes
    launch_seconds: dict[str, list[float]] = field(default_factory=dict)
    call_ms: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # db size -> function -> ms
    plans: dict[str, str] = field(default_factory=dict)

    def launch_median(self, name: str) -> float:
        return statistics.median(self.launch_seconds[name])

    def targets(self) -> list[Target]:
        fn = self.launch_median("launch_array_batch")
        n = self.sizes.batch_size
        checks = [
            Target(
                f"launch_array_batch of {n} vs {n} single-row calls in one transaction: x faster",
                self.launch_median("single_row_one_transaction") / fn,
                20.0,
                False,
            ),
            Target(
                f"launch_array_batch of {n} vs a bare set-based UPDATE: x the floor's time",
                fn / self.launch_median("bare_update"),
                1.5,
                True,
            ),
        ]
        if self.sizes.history:
            checks.append(
                Target(
                    f"launch_array_batch of {n}, history on / off: x the time",
                    fn / self.launch_median("launch_array_batch_history_off"),
                    1.4,
                    True,
                )
            )
        for db, calls in self.call_ms.items():
            for name in ("queue_task_batch", "log_heartbeats"):
                limit = 10.0 if name == "queue_task_batch" else 5.0
                checks.append(
                    Target(f"{name} of {self.sizes.queue_size} on {db}: median ms", _p50(calls[name]), limit, True)
                )
            if self.sizes.history:
                ratio = _p50(calls["queue_task_batch"]) / _p50(calls["queue_task_batch_history_off"])
                checks.append(
                    Target(f"queue_task_batch of {self.sizes.queue_size} on {db}, history on / off", ratio, 1.3, True)
                )
        sizes = list(self.call_ms)
        if len(sizes) == 2:
            small, big = sizes
            for name in ("queue_task_batch", "log_heartbeats"):
                ratio = _p50(self.call_ms[big][name]) / _p50(self.call_ms[small][name])
                checks.append(Target(f"{name}: median on {big} / on {small} (flat: <= 1.5)", ratio, 1.5, True))
        return checks

    def text(self) -> str:
        history = "on" if self.sizes.history else "off"
        lines = [
            f"Array batch launch ({self.sizes.batch_size} instances, median of {self.sizes.batch_rounds},"
            f" transition history {history}):"
        ]
        lines.append("| implementation | seconds | instances/s |")
        lines.append("|---|---|---|")
        for name in self.launch_seconds:
            median = self.launch_median(name)
            lines.append(f"| {name} | {median:.4f} | {self.sizes.batch_size / median:,.0f} |")
        lines.append("")
        lines.append(f"Batch calls of {self.sizes.queue_size} ids ({self.sizes.repeats} calls each):")
        lines.append("| database | function | median ms | p95 ms |")
        lines.append("|---|---|---|---|")
        for db, calls in self.call_ms.items():
            for name, times in calls.items():
                lines.append(f"| {db} | {name} | {_p50(times):.2f} | {_p95(times):.2f} |")
        lines.append("")
        lines.append("Each call against its floor (the same writes as one plain statement):")
        for db, calls in self.call_ms.items():
            for name in ("queue_task_batch", "log_heartbeats"):
                if f"{name}_floor" in calls:
                    ratio = _p50(calls[name]) / _p50(calls[f"{name}_floor"])
                    lines.append(f"  {name} on {db}: {ratio:.2f}x the floor's median")
        lines.append("")
        lines.append("Batch targets:")
        for t in self.targets():
            sign = "<=" if t.at_most else ">="
            verdict = "PASS" if t.passed else "FAIL"
            lines.append(f"  {verdict}  {t.description}: {t.value:.2f} (target {sign} {t.threshold:g})")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "sizes": asdict(self.sizes),
            "launch_seconds": self.launch_seconds,
            "launch_median_seconds": {name: self.launch_median(name) for name in self.launch_seconds},
            "call_ms": self.call_ms,
            "call_median_ms": {db: {n: _p50(t) for n, t in calls.items()} for db, calls in self.call_ms.items()},
            "targets": [{**asdict(t), "passed": t.passed} for t in self.targets()],
        }


def _p50(values: list[float]) -> float:
    return statistics.median(values)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------


def _workflow(conn: psycopg.Connection[Any]) -> tuple[int, int, int, int]:
    """A workflow with a run, an array and task resources: (workflow_id, run_id, array_id, resources_id)."""
    row = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('batch benchmark') returning id),
             run as (insert into jobmon.workflow_run (workflow_id) select id from wf returning id),
             arr as (insert into jobmon.array (workflow_id, name) select id, 'bench' from wf returning id),
             res as (insert into jobmon.task_resources (requested_resources) values ('{}') returning id)
        select wf.id, run.id, arr.id, res.id from wf, run, arr, res
        """
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def make_instantiated_batch(conn: psycopg.Connection[Any], size: int) -> tuple[int, int, list[int]]:
    """An array batch of `size` instances in I, tasks in I: (array_id, batch_num, instance ids)."""
    workflow_id, run_id, array_id, res_id = _workflow(conn)
    rows = conn.execute(
        """
        with t as (
            insert into jobmon.task (workflow_id, array_id, status, num_attempts, max_attempts, task_resources_id)
            select %(wf)s, %(arr)s, 'I', 1, 3, %(res)s from generate_series(1, %(n)s)
            returning id
        )
        insert into jobmon.task_instance (workflow_run_id, array_id, task_id, task_resources_id,
                                          array_batch_num, array_step_id, status)
        select %(run)s, %(arr)s, t.id, %(res)s, 1, (row_number() over (order by t.id) - 1)::integer, 'I'
          from t
        returning id, task_id
        """,
        {"wf": workflow_id, "arr": array_id, "res": res_id, "run": run_id, "n": size},
    ).fetchall()
    conn.execute(
        "update jobmon.task t set current_attempt_from = r.id from unnest(%s::bigint[], %s::bigint[]) r(id, task_id)"
        " where t.id = r.task_id",
        ([r[0] for r in rows], [r[1] for r in rows]),
    )
    ids = [r[0] for r in rows]
    return array_id, 1, sorted(ids)


def build_background(conn: psycopg.Connection[Any], instances: int) -> None:
    """A finished workflow of `instances` tasks with one D instance each, in arrays of 500-instance batches."""
    workflow_id, run_id, array_id, res_id = _workflow(conn)
    conn.execute(
        """
        with t as (
            insert into jobmon.task (workflow_id, array_id, status, num_attempts, max_attempts, task_resources_id)
            select %(wf)s, %(arr)s, 'D', 1, 3, %(res)s from generate_series(1, %(n)s)
            returning id
        )
        insert into jobmon.task_instance (workflow_run_id, array_id, task_id, task_resources_id, array_batch_num,
                                          array_step_id, status, submitted_date, report_by_date)
        select %(run)s, %(arr)s, t.id, %(res)s, (n / 500)::integer + 1, (n %% 500)::integer, 'D', now(), now()
          from (select t.id, row_number() over (order by t.id) - 1 as n from t) t
        """,
        {"wf": workflow_id, "arr": array_id, "res": res_id, "run": run_id, "n": instances},
    )
    conn.execute("update jobmon.array set next_batch_num = %s where id = %s", ((instances - 1) // 500 + 2, array_id))


def instance_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("select count(*) from jobmon.task_instance").fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------------------
# Measurement 1: launching an array batch
# ---------------------------------------------------------------------------


def _timed(conn: psycopg.Connection[Any], work: Callable[[], Any]) -> float:
    """Seconds of `work` in one transaction, commit included."""
    started = time.perf_counter()
    with conn.transaction():
        work()
    return time.perf_counter() - started


def launch_round(dsn: str, size: int, results: BatchResults) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        batches = {
            name: make_instantiated_batch(conn, size)
            for name in (
                "launch_array_batch",
                "launch_array_batch_history_off",
                "single_row_one_transaction",
                "single_row_autocommit",
                "bare_update",
            )
        }
        workload.settle(conn)

        for name, history in (("launch_array_batch", results.sizes.history), ("launch_array_batch_history_off", False)):
            set_history(conn, history)
            array_id, batch_num, _ = batches[name]
            launch = (array_id, batch_num, INCREMENT)
            elapsed = _timed(
                conn,
                lambda launch=launch: conn.execute(  # type: ignore[misc]
                    "select count(*) from jobmon.launch_array_batch(%s, %s, %s) where outcome = 'applied'", launch
                ),
            )
            results.launch_seconds.setdefault(name, []).append(elapsed)
        set_history(conn, results.sizes.history)

        _, _, ids = batches["single_row_one_transaction"]

        def one_by_one() -> None:
            with conn.cursor() as cur:
                for ti in ids:
                    cur.execute("select outcome from jobmon.transition_task_instance(%s, 'O')", (ti,), prepare=True)

        results.launch_seconds.setdefault("single_row_one_transaction", []).append(_timed(conn, one_by_one))

        _, _, ids = batches["single_row_autocommit"]
        started = time.perf_counter()
        with conn.cursor() as cur:
            for ti in ids:
                cur.execute("select outcome from jobmon.transition_task_instance(%s, 'O')", (ti,), prepare=True)
        results.launch_seconds.setdefault("single_row_autocommit", []).append(time.perf_counter() - started)

        array_id, batch_num, _ = batches["bare_update"]

        def bare() -> None:
            conn.execute(
                "update jobmon.task_instance set status = 'O', status_date = now(), submitted_date = now(),"
                " report_by_date = now() + %s where array_id = %s and array_batch_num = %s",
                (INCREMENT, array_id, batch_num),
            )
            conn.execute(
                "update jobmon.task set status = 'O', status_date = now() where id in"
                " (select task_id from jobmon.task_instance where array_id = %s and array_batch_num = %s)",
                (array_id, batch_num),
            )

        results.launch_seconds.setdefault("bare_update", []).append(_timed(conn, bare))
        for name, (_, _, ids) in batches.items():
            launched = conn.execute(
                "select count(*) from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
                " where ti.id = any(%s) and ti.status = 'O' and t.status = 'O'",
                (ids,),
            ).fetchone()
            if launched is None or launched[0] != size:
                raise RuntimeError(f"{name} launched {launched} of {size} instances")


# ---------------------------------------------------------------------------
# Measurement 2: queue and heartbeat batches on a small and a big database
# ---------------------------------------------------------------------------


# The floors of the two calls: their writes as one plain statement, with no lock, guard, decision or report.
QUEUE_FLOOR_SQL = """
with counter as (
    update jobmon.array a set next_batch_num = a.next_batch_num + 1 where a.id = %(arr)s
    returning a.next_batch_num - 1 as batch_num
),
inserted as (
    insert into jobmon.task_instance
           (workflow_run_id, array_id, task_id, task_resources_id, array_batch_num, array_step_id, status)
    select %(run)s, %(arr)s, q.id, %(res)s, c.batch_num, (q.n - 1)::integer, 'Q'
      from unnest(%(ids)s::bigint[]) with ordinality q(id, n), counter c
    returning id, task_id
),
queued as (
    update jobmon.task t
       set status = 'Q', num_attempts = t.num_attempts + 1, status_date = now(), current_attempt_from = i.id
      from inserted i
     where t.id = i.task_id
    returning t.id
)
insert into jobmon.transition_history
       (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
select 'TaskInstance', i.id, i.task_id, i.id, null, 'Q', 'queue_task_batch' from inserted i where %(history)s
union all
select 'Task', q.id, q.id, null, 'G', 'Q', 'queue_task_batch' from queued q where %(history)s
"""
HEARTBEAT_FLOOR_SQL = (
    "update jobmon.task_instance set report_by_date = clock_timestamp() + %s where id = any(%s) and status = 'O'"
)


def _call_ms(conn: psycopg.Connection[Any], sql: str, params: Any) -> tuple[float, list[Any]]:
    """Milliseconds of one autocommit statement (prepared), and its rows."""
    started = time.perf_counter()
    cur = conn.execute(sql, params, prepare=True)
    rows = cur.fetchall() if cur.description else []
    return (time.perf_counter() - started) * 1000, rows


def call_round(conn: psycopg.Connection[Any], sizes: BatchSizes, label: str, results: BatchResults) -> None:
    """--repeats calls of queue_task_batch and log_heartbeats of --queue-size ids, each on its own rows, each call
    followed by its floor (the same writes as one plain statement) and, for queue_task_batch, the call with the
    history off."""
    n = sizes.queue_size
    workflow_id, run_id, array_id, res_id = _workflow(conn)
    task_sets = []
    for _ in range(3 * sizes.repeats):  # a third queued with the history on, a third with it off, a third by the floor
        rows = conn.execute(
            "insert into jobmon.task (workflow_id, array_id, status, task_resources_id)"
            " select %s, %s, 'G', %s from generate_series(1, %s) returning id",
            (workflow_id, array_id, res_id, n),
        ).fetchall()
        task_sets.append([r[0] for r in rows])
    launched = make_instantiated_batch(conn, n)
    conn.execute("update jobmon.task_instance set status = 'O' where id = any(%s)", (launched[2],))
    conn.execute(
        "update jobmon.task set status = 'O' where id in (select task_id from jobmon.task_instance where id = any(%s))",
        (launched[2],),
    )
    workload.settle(conn)
    names = ("queue_task_batch", "queue_task_batch_history_off", "queue_task_batch_floor")
    times: dict[str, list[float]] = {name: [] for name in (*names, "log_heartbeats", "log_heartbeats_floor")}
    for i, tasks in enumerate(task_sets):
        name = names[i % 3]
        set_history(conn, sizes.history and name != "queue_task_batch_history_off")
        if name == "queue_task_batch_floor":
            params = {"ids": tasks, "arr": array_id, "res": res_id, "run": run_id, "history": sizes.history}
            ms, _ = _call_ms(conn, QUEUE_FLOOR_SQL, params)
        else:
            ms, rows = _call_ms(
                conn, "select * from jobmon.queue_task_batch(%s, %s, %s, %s)", (tasks, array_id, res_id, run_id)
            )
            if [r[1] for r in rows] != ["applied"] * n:
                raise RuntimeError("queue_task_batch did not queue every task")
        times[name].append(ms)
    set_history(conn, sizes.history)
    for _ in range(sizes.repeats):
        ms, rows = _call_ms(conn, "select * from jobmon.log_heartbeats(%s, %s)", (launched[2], INCREMENT))
        if [r[1] for r in rows] != ["applied"] * n:
            raise RuntimeError("log_heartbeats did not push every instance")
        times["log_heartbeats"].append(ms)
        times["log_heartbeats_floor"].append(_call_ms(conn, HEARTBEAT_FLOOR_SQL, (INCREMENT, launched[2]))[0])
    results.call_ms[label] = times
    results.plans.update(capture_plans(conn, label, array_id, res_id, run_id, launched[2], workflow_id, n))


def capture_plans(
    conn: psycopg.Connection[Any],
    label: str,
    array_id: int,
    res_id: int,
    run_id: int,
    launched: list[int],
    workflow_id: int,
    n: int,
) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement inside one call of each function, through auto_explain."""
    notices: list[str] = []
    foreign_key_checks = [0]

    def collect(diag: psycopg.errors.Diagnostic) -> None:
        text = diag.message_primary or ""
        if "FOR KEY SHARE OF x" in text:  # a foreign-key check of one inserted row: counted, not shown
            foreign_key_checks[0] += 1
        elif "Query Text" in text:
            notices.append(text)

    try:
        conn.execute("load 'auto_explain'")
    except psycopg.Error as error:
        return {label: f"(no plans: auto_explain could not be loaded: {error})"}
    tasks = [
        r[0]
        for r in conn.execute(
            "insert into jobmon.task (workflow_id, array_id, status, task_resources_id)"
            " select %s, %s, 'G', %s from generate_series(1, %s) returning id",
            (workflow_id, array_id, res_id, n),
        )
    ]
    conn.add_notice_handler(collect)
    plans = {}
    try:
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_analyze = on",
            "auto_explain.log_buffers = on",
            "auto_explain.log_nested_statements = on",
            "client_min_messages = log",
        ):
            conn.execute(f"set {setting}")
        for name, query, params in (
            (
                "queue_task_batch",
                "select * from jobmon.queue_task_batch(%s, %s, %s, %s)",
                (tasks, array_id, res_id, run_id),
            ),
            ("log_heartbeats", "select * from jobmon.log_heartbeats(%s, %s)", (launched, INCREMENT)),
        ):
            notices.clear()
            foreign_key_checks[0] = 0
            conn.execute(query, params).fetchall()
            skipped = (
                f"\n\n({foreign_key_checks[0]} foreign-key checks of inserted rows, one pkey lookup each, not shown)"
            )
            plans[f"{label}: {name}"] = "\n\n".join(notices) + (skipped if foreign_key_checks[0] else "")
    finally:
        conn.execute("reset client_min_messages")
        conn.execute("set auto_explain.log_min_duration = -1")
        conn.remove_notice_handler(collect)
    return plans


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def run(dsn: str, sizes: BatchSizes, out: Path | None = None) -> BatchResults:
    """Both measurements on the (migrated) database of `dsn`; writes batches.json and batch_plans.txt into `out`."""
    results = BatchResults(sizes)
    with psycopg.connect(dsn, autocommit=True) as conn:
        set_history(conn, sizes.history)
        missing = sizes.small_instances - instance_count(conn)
        if missing > 0:
            build_background(conn, missing)
        call_round(conn, sizes, f"{instance_count(conn):,} instances", results)
    for _ in range(sizes.batch_rounds):
        launch_round(dsn, sizes.batch_size, results)
    if sizes.big_instances > 0:
        with psycopg.connect(dsn, autocommit=True) as conn:
            missing = sizes.big_instances - instance_count(conn)
            if missing > 0:
                build_background(conn, missing)
            call_round(conn, sizes, f"{instance_count(conn):,} instances", results)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "batches.json").write_text(json.dumps(results.to_json(), indent=2) + "\n", encoding="utf-8")
        (out / "batch_plans.txt").write_text(
            "\n\n".join(f"==== {name}\n{plan}" for name, plan in results.plans.items()) + "\n", encoding="utf-8"
        )
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the batch measurements (shared with python -m benchmarks)."""
    group = parser.add_argument_group("batch functions")
    group.add_argument("--batch-size", type=int, default=10_000, help="instances of the launched array batch")
    group.add_argument("--batch-rounds", type=int, default=3, help="rounds of the launch measurement (median)")
    group.add_argument("--queue-size", type=int, default=500, help="ids per queue_task_batch / log_heartbeats call")
    group.add_argument("--repeats", type=int, default=20, help="calls of each per database size")
    group.add_argument("--small-instances", type=int, default=10_000, help="task instances of the small database")
    group.add_argument(
        "--big-instances", type=int, default=0, help="task instances of the big database (e.g. 1500000; 0: skip it)"
    )
    group.add_argument(
        "--batch-history", choices=("on", "off"), default="on", help="record the transition history (default on)"
    )


def sizes_from(args: argparse.Namespace) -> BatchSizes:
    return BatchSizes(
        batch_size=args.batch_size,
        batch_rounds=args.batch_rounds,
        queue_size=args.queue_size,
        repeats=args.repeats,
        small_instances=args.small_instances,
        big_instances=args.big_instances,
        history=args.batch_history == "on",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batches", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="server to run on (default: $JOBMON_DB_DSN, then libpq's defaults)")
    parser.add_argument("--database", default="jobmon_bench_batches", help="database to create (dropped first)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"), help="directory for the results")
    add_arguments(parser)
    args = parser.parse_args(argv)
    dsn = workload.recreate_database(resolve_dsn(args.dsn), args.database)
    results = run(dsn, sizes_from(args), args.out)
    print(results.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
