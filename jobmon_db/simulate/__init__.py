"""`jobmon-db simulate`: a time-compressed Jobmon run against the database, with real concurrency.

A swarm, a distributor and many workers (threads, one connection each) drive
a workflow of array tasks through the public functions, with faults injected
at planned rates and one cold resume half way; afterwards the invariants are
checked on the database (see docs/simulate.md).

    from jobmon_db.simulate import SimulationOptions, simulate
    summary = simulate(dsn, SimulationOptions(tasks=200, workers=8))
    print(summary.text()); assert summary.ok
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

import psycopg

from ..history import history_enabled
from .actors import APPLICATION_NAME, Timing, World, distributor, swarm, worker
from .faults import FaultRates
from .plan import Fate, Plan
from .report import Check, Summary, call_table, check_invariants, report_counts

__all__ = [
    "Check",
    "Fate",
    "FaultRates",
    "Plan",
    "SimulationError",
    "SimulationOptions",
    "Summary",
    "check_invariants",
    "remove_workflow",
    "simulate",
]

MAX_ARRAY_SIZE = 500
WORKFLOW_NAME = "jobmon-db simulate"


class SimulationError(Exception):
    """The simulation cannot run here (no schema, no history, ...); nothing was left behind."""


@dataclass(frozen=True)
class SimulationOptions:
    tasks: int = 2000
    workers: int = 16
    seed: int = 1
    max_attempts: int = 3
    array_size: int = 100
    #: Tasks in flight (Q, I, O, R) at most, like Jobmon's max_concurrently_running; 0: 4 per worker.
    max_running: int = 0
    arrays: int = 4
    rates: FaultRates = field(default_factory=FaultRates)
    resume: bool = True
    heartbeat: float = 0.3
    timeout: float = 600.0
    keep: bool = False

    def problems(self) -> list[str]:
        found = self.rates.problems()
        for name, value, low in (
            ("tasks", self.tasks, 1),
            ("workers", self.workers, 1),
            ("max-attempts", self.max_attempts, 1),
            ("array-size", self.array_size, 1),
            ("arrays", self.arrays, 1),
        ):
            if value < low:
                found.append(f"--{name} must be at least {low}, not {value}")
        if self.array_size > MAX_ARRAY_SIZE:
            found.append(
                f"--array-size must be at most {MAX_ARRAY_SIZE} (one queue_task_batch call), not {self.array_size}"
            )
        if self.workers > 200:
            found.append(f"--workers must be at most 200 (one connection each), not {self.workers}")
        if not 0.01 <= self.heartbeat <= 60:
            found.append(f"--heartbeat must be between 0.01 and 60 seconds, not {self.heartbeat}")
        if self.timeout <= 0:
            found.append(f"--timeout must be positive, not {self.timeout}")
        return found


# ---------------------------------------------------------------------------
# The rows a simulation makes, and removing them
# ---------------------------------------------------------------------------


def _setup(
    conn: psycopg.Connection[Any], options: SimulationOptions
) -> tuple[int, int, list[int], dict[int, int], tuple[int, int]]:
    with conn.transaction():
        row = conn.execute(
            "insert into jobmon.workflow (name) values (%s) returning id",
            (f"{WORKFLOW_NAME} seed {options.seed}",),
        ).fetchone()
        assert row is not None
        workflow_id = int(row[0])
        row = conn.execute(
            "insert into jobmon.workflow_run (workflow_id) values (%s) returning id", (workflow_id,)
        ).fetchone()
        assert row is not None
        run_id = int(row[0])
        resources = tuple(
            int(r[0])
            for r in conn.execute(
                """insert into jobmon.task_resources (requested_resources)
                   select jsonb_build_object('simulated_by', %s::text, 'workflow_id', %s::bigint, 'kind', kind,
                                             'memory', memory, 'stdout', '/dev/null', 'stderr', '/dev/null')
                     from unnest(array['as registered', 'adjusted after a resource error'], array['1G', '2G'])
                          with ordinality u(kind, memory, n)
                   order by n
                   returning id""",
                (WORKFLOW_NAME, workflow_id),
            ).fetchall()
        )
        arrays = [
            int(r[0])
            for r in conn.execute(
                """insert into jobmon.array (workflow_id, name)
                   select %s, 'array ' || g from generate_series(0, %s - 1) g order by g returning id""",
                (workflow_id, min(options.arrays, options.tasks)),
            ).fetchall()
        ]
        rows = conn.execute(
            """insert into jobmon.task (workflow_id, array_id, name, command, task_resources_id, max_attempts)
               select %(wf)s, (%(arrays)s::bigint[])[g %% cardinality(%(arrays)s::bigint[]) + 1],
                      'task ' || g, 'simulated task ' || g, %(res)s, %(max)s
                 from generate_series(0, %(n)s - 1) g order by g
               returning id""",
            {"wf": workflow_id, "arrays": arrays, "res": resources[0], "max": options.max_attempts, "n": options.tasks},
        ).fetchall()
        task_ids = sorted(int(r[0]) for r in rows)
        array_of = {t: arrays[i % len(arrays)] for i, t in enumerate(task_ids)}
    return workflow_id, run_id, task_ids, array_of, (resources[0], resources[1])


def remove_workflow(conn: psycopg.Connection[Any], workflow_id: int) -> str:
    """Delete a simulation's rows in dependency order, in one transaction; says what happened."""
    row = conn.execute("select name from jobmon.workflow where id = %s", (workflow_id,)).fetchone()
    if row is None:
        return f"workflow {workflow_id}: no such workflow, nothing removed"
    if not str(row[0] or "").startswith(WORKFLOW_NAME):
        raise SimulationError(f"workflow {workflow_id} ({row[0]!r}) was not made by {WORKFLOW_NAME}: not removed")
    tasks = "select t.id from jobmon.task t where t.workflow_id = %(wf)s"
    statements = [
        f"delete from jobmon.transition_history where task_id in ({tasks})",
        "delete from jobmon.task_instance_error_log where task_instance_id in"
        f" (select ti.id from jobmon.task_instance ti where ti.task_id in ({tasks}))",
        f"delete from jobmon.task_instance where task_id in ({tasks})",
        "delete from jobmon.task where workflow_id = %(wf)s",
        "delete from jobmon.array where workflow_id = %(wf)s",
        "delete from jobmon.workflow_run where workflow_id = %(wf)s",
        "delete from jobmon.workflow where id = %(wf)s",
        "delete from jobmon.task_resources where requested_resources @> %(resources)s::jsonb",
    ]
    params = {"wf": workflow_id, "resources": json.dumps({"simulated_by": WORKFLOW_NAME, "workflow_id": workflow_id})}
    try:
        with conn.transaction():
            for statement in statements:
                conn.execute(statement, params)
    except psycopg.errors.InsufficientPrivilege as error:
        return (
            f"workflow {workflow_id} kept: this role may not delete its rows ({error.diag.message_primary});"
            f" remove them as the schema owner or a superuser with `jobmon-db simulate --remove {workflow_id}`"
        )
    return f"removed workflow {workflow_id} and its rows"


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def _require_schema(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("select to_regclass('jobmon.task') is not null").fetchone()
    if not row or not row[0]:
        raise SimulationError("the jobmon schema is not installed in this database: run `jobmon-db migrate` first")
    if not history_enabled(conn):
        raise SimulationError(
            "the transition history is off in this database (jobmon.transition_history is not written), and the"
            " invariants are checked on it: turn it on with `jobmon-db history --enable`, then simulate again"
        )


def _progress_line(world: World, started: float) -> str:
    counts = Counter(world.statuses.values())
    final = counts["D"] + counts["F"]
    total = len(world.task_ids)
    width = 24
    filled = int(width * final / total) if total else width
    by_status = " ".join(f"{s} {counts[s]}" for s in "GQIORDEAF" if counts[s])
    resume = "" if not world.resume else (" resumed" if world.resumed_at is not None else "")
    return (
        f"\r[{'#' * filled}{'.' * (width - filled)}] {final}/{total} tasks D/F | {by_status} |"
        f" {time.monotonic() - started:5.1f} s{resume}\x1b[K"
    )


def simulate(dsn: str, options: SimulationOptions, progress: TextIO | None = None) -> Summary:
    """Run one simulation and check its invariants; ``progress`` gets a one-line progress bar (a TTY)."""
    problems = options.problems()
    if problems:
        raise ValueError("; ".join(problems))
    with psycopg.connect(dsn, autocommit=True, application_name=f"{APPLICATION_NAME}: main") as admin:
        _require_schema(admin)
        workflow_id, run_id, task_ids, array_of, resources = _setup(admin, options)
        world = World(
            dsn=dsn,
            plan=Plan(options.seed, options.rates),
            timing=Timing(options.heartbeat),
            workflow_id=workflow_id,
            runs=[run_id],
            task_ids=task_ids,
            array_of=array_of,
            max_attempts=options.max_attempts,
            array_size=options.array_size,
            max_running=options.max_running or 4 * options.workers,
            resources=resources,
            resume=options.resume,
        )
        threads = [threading.Thread(target=swarm, args=(world,), name="swarm", daemon=True)]
        threads.append(threading.Thread(target=distributor, args=(world,), name="distributor", daemon=True))
        threads += [
            threading.Thread(target=worker, args=(world, n), name=f"worker {n}", daemon=True)
            for n in range(options.workers)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            while not world.stop.is_set():
                if progress is not None:
                    progress.write(_progress_line(world, started))
                    progress.flush()
                if time.monotonic() - started > options.timeout:
                    world.problem(f"did not finish within --timeout {options.timeout:g} s")
                    break
                # Done: every task D or F, no job left on the cluster, and no live instance left to reconcile.
                if world.tasks_final.is_set() and world.cluster.outstanding == 0 and world.live_instances == 0:
                    break
                time.sleep(0.1)
        finally:
            world.stop.set()
            for thread in threads:
                thread.join(timeout=30)
            seconds = time.monotonic() - started
            if progress is not None:
                progress.write(_progress_line(world, started) + "\n")
                progress.flush()
        for thread in threads:
            if thread.is_alive():
                world.problem(f"{thread.name} did not stop")
        checks, facts = check_invariants(admin, workflow_id)
        statuses: dict[str, int] = dict(
            admin.execute(
                "select status, count(*) from jobmon.task where workflow_id = %s group by 1", (workflow_id,)
            ).fetchall()
        )
        rec = world.recorder
        total_calls = sum(len(v) for v in rec.latencies.values())
        opts: dict[str, Any] = asdict(options)
        opts.update(opts.pop("rates"))
        if options.keep:
            cleanup = (
                f"kept workflow {workflow_id}: check it again with `jobmon-db simulate --check {workflow_id}`,"
                f" remove it with `jobmon-db simulate --remove {workflow_id}`"
            )
        else:
            cleanup = remove_workflow(admin, workflow_id)
        return Summary(
            options=opts,
            workflow_id=workflow_id,
            workflow_runs=world.current_runs(),
            seconds=seconds,
            tasks={
                "done": int(statuses.get("D", 0)),
                "failed": int(statuses.get("F", 0)),
                "other": sum(int(n) for s, n in statuses.items() if s not in ("D", "F")),
            },
            task_instances=facts.created,
            faults=dict(world.faults),
            instance_moves={f"{a}->{b}": n for (a, b), n in facts.instance_moves.items()},
            task_moves={f"{a}->{b}": n for (a, b), n in facts.task_moves.items()},
            reports={**report_counts(rec.outcomes), "feed_fallbacks": world.feed_fallbacks},
            calls=call_table(rec.latencies, rec.outcomes),
            calls_per_second=total_calls / seconds if seconds > 0 else 0.0,
            errors=list(rec.errors),
            problems=list(world.problems),
            invariants=checks,
            kept=options.keep,
            cleanup=cleanup,
        )


def check_workflow(dsn: str, workflow_id: int) -> list[Check]:
    """The invariants of a kept simulation run."""
    with psycopg.connect(dsn, autocommit=True, application_name=f"{APPLICATION_NAME}: check") as conn:
        _require_schema(conn)
        row = conn.execute("select name from jobmon.workflow where id = %s", (workflow_id,)).fetchone()
        if row is None:
            raise SimulationError(f"no workflow {workflow_id} in this database")
        return check_invariants(conn, workflow_id)[0]
