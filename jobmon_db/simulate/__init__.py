"""`jobmon-db simulate`: a time-compressed Jobmon run against the database, with real concurrency.

A swarm, a distributor and many workers (threads, one connection each) drive
a workflow of array tasks through the public functions, with faults injected
at planned rates and one cold resume half way; afterwards the invariants are
checked on the database (see docs/simulate.md). With ``server`` set, every
call is made through upstream Jobmon's HTTP routes on a `jobmon-db
jobmon-server` instead (``START_SERVER``: one started for the run).

    from jobmon_db.simulate import SimulationOptions, simulate
    summary = simulate(dsn, SimulationOptions(tasks=200, workers=8))
    print(summary.text()); assert summary.ok
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
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
    "START_SERVER",
    "SimulationError",
    "SimulationInterrupted",
    "SimulationOptions",
    "Summary",
    "check_invariants",
    "remove_workflow",
    "simulate",
]

MAX_ARRAY_SIZE = 500
#: The bounds of every numeric option (inclusive), for the CLI's parser and SimulationOptions.problems():
#: at most 500 tasks per queue_task_batch call, one connection per worker.
LIMITS: dict[str, tuple[float, float]] = {
    "tasks": (1, 10**6),
    "workers": (1, 200),
    "max-attempts": (1, 100),
    "array-size": (1, MAX_ARRAY_SIZE),
    "max-running": (0, 10**6),
    "arrays": (1, 1000),
    "heartbeat": (0.01, 60),
    "timeout": (1, 86400),
}
#: SimulationOptions.server: start a `jobmon-db jobmon-server` for the run (else the URL of a running one).
START_SERVER = "start"
WORKFLOW_NAME = "jobmon-db simulate"


class SimulationError(Exception):
    """The simulation cannot run here (no schema, no history, ...); nothing was left behind."""


class SimulationInterrupted(SimulationError):
    """The simulation was cut short (SIGINT, a lost connection); the message says whether its rows are gone."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
    #: Make every call through upstream's HTTP routes: START_SERVER, or the URL of a `jobmon-db jobmon-server`.
    server: str | None = None

    def problems(self) -> list[str]:
        found = self.rates.problems()
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name.replace("-", "_"))
            if not low <= value <= high:
                found.append(f"--{name} must be between {low:g} and {high:g}, not {value}")
        if self.server not in (None, START_SERVER) and not str(self.server).startswith(("http://", "https://")):
            found.append(f"--through-jobmon-server takes an http:// or https:// URL, not {self.server!r}")
        return found


# ---------------------------------------------------------------------------
# The rows a simulation makes, and removing them
# ---------------------------------------------------------------------------


def _setup(
    conn: psycopg.Connection[Any], options: SimulationOptions
) -> tuple[int, int, list[int], dict[int, int], tuple[int, int]]:
    with conn.transaction():
        # Through the server the workflow is made bound (created_date set), as upstream's binding leaves it:
        # upstream's set_resume_state resumes only a bound workflow.
        row = conn.execute(
            "insert into jobmon.workflow (name, created_date) values (%s, case when %s then now() end) returning id",
            (f"{WORKFLOW_NAME} seed {options.seed}", options.server is not None),
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
    """Run one simulation and check its invariants; ``progress`` gets a one-line progress bar (a TTY).

    Cut short by SIGINT (KeyboardInterrupt) or a lost connection once its workflow exists, it stops its
    actors, removes the workflow's rows if it can (unless options.keep) and raises SimulationInterrupted
    saying what is left and how to remove it.
    """
    problems = options.problems()
    if problems:
        raise ValueError("; ".join(problems))
    made: list[int] = []
    try:
        with _server(dsn, options) as url:
            return _simulate(dsn, options, progress, made, url)
    except ImportError as error:  # --through-jobmon-server without httpx or upstream Jobmon
        raise SimulationError(
            f"--through-jobmon-server needs upstream Jobmon 3.6 installed (see docs/jobmon-server.md): {error}"
        ) from None
    except RuntimeError as error:
        from .server import ServerError

        if not isinstance(error, ServerError):
            raise
        raise SimulationError(_cut_short(str(error), dsn, made, options.keep)) from None
    except KeyboardInterrupt:
        what = "interrupted" if made else "interrupted before its workflow was made: nothing was left behind"
        raise SimulationInterrupted(_cut_short(what, dsn, made, options.keep), exit_code=130) from None
    except psycopg.OperationalError as error:
        if not made:
            raise
        reason = (error.diag.message_primary or str(error)).strip().splitlines()[0][:200]
        what = f"lost its connection to the database ({reason})"
        raise SimulationInterrupted(_cut_short(what, dsn, made, options.keep), exit_code=1) from None


def _cut_short(what: str, dsn: str, made: list[int], keep: bool) -> str:
    """`what` and what became of the workflow's rows: removed if a new connection can, else how to remove them."""
    if not made:
        return what
    workflow_id = made[0]
    remove = f"`jobmon-db simulate --remove {workflow_id}`"
    if keep:
        return f"{what}; kept workflow {workflow_id}: remove it with {remove}"
    deadline = time.monotonic() + 10  # a restarting server takes a few seconds to accept connections again
    while True:
        try:
            with psycopg.connect(
                dsn, autocommit=True, connect_timeout=5, application_name=f"{APPLICATION_NAME}: cleanup"
            ) as conn:
                return f"{what}; {remove_workflow(conn, workflow_id)}"
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        except (psycopg.Error, KeyboardInterrupt):
            break
    return f"{what}; workflow {workflow_id} and its rows are left in the database: remove them with {remove}"


@contextmanager
def _server(dsn: str, options: SimulationOptions) -> Iterator[str | None]:
    """The URL the actors call (None: they call the wrappers directly)."""
    if options.server is None:
        yield None
        return
    from .server import check_server, started_server

    if options.server == START_SERVER:
        with psycopg.connect(dsn, autocommit=True, application_name=f"{APPLICATION_NAME}: main") as conn:
            _require_schema(conn)  # before the server starts: its messages are the simulation's own
        with started_server(dsn, options.heartbeat) as url:
            yield url
    else:
        check_server(options.server)
        yield options.server


def _simulate(
    dsn: str, options: SimulationOptions, progress: TextIO | None, made: list[int], server_url: str | None
) -> Summary:
    with psycopg.connect(dsn, autocommit=True, application_name=f"{APPLICATION_NAME}: main") as admin:
        _require_schema(admin)
        workflow_id, run_id, task_ids, array_of, resources = _setup(admin, options)
        made.append(workflow_id)
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
            server_url=server_url,
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
        opts["server"] = server_url
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
