"""Run one implementation in one scenario: client processes, timing, answers and errors.

Each client is its own process (not a thread), so Python's GIL does not
throttle the client-heavy implementations: with 8 clients the only shared
resources are the server and the machine's cores. Clients start together on
a barrier after an untimed warm-up; a phase's time runs from the first
client's start to the last client's end.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from tqdm import tqdm

from jobmon_db.history import set_history

from . import workload
from .drivers import DRIVERS

IMPLEMENTATIONS = (
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
)
# The shipped configuration records the history: the function runs with it on, except fn_no_history. The
# app-side implementations and the history floor write their own history rows; the other floors none.
HISTORY_ON = ("fn", "fn_prepared")
ANSWERS = ("applied", "untimely", "rejected")
WAIT_SECONDS = 600  # give up on a client that hangs this long
PROGRESS_EVERY = 25  # requests between two updates of the shared progress counter


@dataclass(frozen=True)
class Scenario:
    label: str
    clients: int
    shared: bool  # all clients on the same task instances (a hot set)


def scenarios(clients: int) -> list[Scenario]:
    return [
        Scenario("1 client", 1, False),
        Scenario(f"{clients} clients", clients, False),
        Scenario(f"{clients} clients, shared set", clients, True),
    ]


@dataclass(frozen=True)
class Sizes:
    tasks: int  # tasks per client, each client on its own
    hot_tasks: int  # tasks of the shared set
    rounds: int


@dataclass
class ClientPlan:
    warmup: list[workload.Step]
    phases: list[list[workload.Step]]


@dataclass
class ClientRecord:
    latencies: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    spans: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class RunResult:
    implementation: str
    scenario: str
    clients: int
    shared: bool
    round: int
    transitions: int
    seconds: float
    latencies: list[float]
    answers: dict[str, int]
    errors: dict[str, int]
    final_statuses: dict[str, dict[str, int]]
    multixacts: int | None  # MultiXacts created during the run (None: not a superuser, cannot checkpoint)

    @property
    def throughput(self) -> float:
        return self.transitions / self.seconds


def requests_per_run(scenario: Scenario, sizes: Sizes) -> int:
    tasks = sizes.hot_tasks if scenario.shared else sizes.tasks
    return scenario.clients * 4 * (tasks + tasks // 2)


def run_all(dsn: str, clients: int, sizes: Sizes, progress: tqdm) -> list[RunResult]:
    """Every implementation in every scenario, `rounds` times, interleaved so slow drifts hit all alike."""
    results = []
    for round_no in range(sizes.rounds):
        for scenario in scenarios(clients):
            shift = round_no % len(IMPLEMENTATIONS)
            for implementation in IMPLEMENTATIONS[shift:] + IMPLEMENTATIONS[:shift]:
                progress.set_description(f"{scenario.label}: {implementation}")
                results.append(run_one(dsn, implementation, scenario, sizes, round_no, progress))
    return results


def run_one(
    dsn: str, implementation: str, scenario: Scenario, sizes: Sizes, round_no: int, progress: tqdm
) -> RunResult:
    with psycopg.connect(dsn, autocommit=True) as conn:
        set_history(conn, implementation in HISTORY_ON)
        tasks, plans = _plan(conn, scenario, sizes)
        workload.settle(conn)
        multixact_before = workload.next_multixact_id(conn)
        records = _run_clients(dsn, implementation, plans, lambda: workload.requeue(conn, tasks), progress)
        multixact_after = workload.next_multixact_id(conn)
        final = workload.final_statuses(conn, tasks)
    phase_seconds = [
        max(r.spans[phase][1] for r in records) - min(r.spans[phase][0] for r in records)
        for phase in range(len(plans[0].phases))
    ]
    return RunResult(
        implementation=implementation,
        scenario=scenario.label,
        clients=scenario.clients,
        shared=scenario.shared,
        round=round_no,
        transitions=sum(len(r.latencies) for r in records),
        seconds=sum(phase_seconds),
        latencies=[latency for r in records for latency in r.latencies],
        answers=dict(sum((r.answers for r in records), Counter())),
        errors=dict(sum((r.errors for r in records), Counter())),
        final_statuses=final,
        multixacts=None if multixact_before is None or multixact_after is None else multixact_after - multixact_before,
    )


def _plan(
    conn: psycopg.Connection[Any], scenario: Scenario, sizes: Sizes
) -> tuple[list[workload.BenchTask], list[ClientPlan]]:
    """The tasks of the run and each client's requests; warm-up tasks are each client's own."""
    shared = workload.create_tasks(conn, sizes.hot_tasks) if scenario.shared else []
    tasks, plans = list(shared), []
    for client in range(scenario.clients):
        warmup_phase = workload.phases(workload.create_tasks(conn, 2))[0]
        if scenario.shared:
            phases = workload.phases(shared, shuffle_seed=client)
        else:
            own = workload.create_tasks(conn, sizes.tasks)
            tasks.extend(own)
            phases = workload.phases(own)
        plans.append(ClientPlan(warmup_phase, phases))
    return tasks, plans


def _run_clients(
    dsn: str, implementation: str, plans: list[ClientPlan], between_phases: Callable[[], None], progress: tqdm
) -> list[ClientRecord]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    go = context.Barrier(len(plans) + 1)
    sent = context.Value("q", 0)
    finished = context.Value("i", 0)
    outbox = context.Queue()
    processes = [
        context.Process(target=_client, args=(implementation, dsn, plan, go, sent, finished, outbox), daemon=True)
        for plan in plans
    ]
    for process in processes:
        process.start()
    reported = 0
    for phase in range(len(plans[0].phases)):
        if phase:
            between_phases()
        go.wait(WAIT_SECONDS)
        reported = _follow(progress, sent, finished, len(plans) * (phase + 1), processes, reported)
    records = [outbox.get(timeout=WAIT_SECONDS) for _ in processes]
    for process in processes:
        process.join(WAIT_SECONDS)
    return records


def _follow(progress: tqdm, sent: Any, finished: Any, until: int, processes: list[Any], reported: int) -> int:
    """Move the progress bar until `until` client phases have finished; fail fast if a client died."""
    while True:
        done = finished.value >= until
        progress.update(sent.value - reported)
        reported = sent.value
        if done:
            return reported
        if any(p.exitcode not in (None, 0) for p in processes):
            raise RuntimeError("a benchmark client died; see its traceback above")
        time.sleep(0.05)


def _client(implementation: str, dsn: str, plan: ClientPlan, go: Any, sent: Any, finished: Any, outbox: Any) -> None:
    logging.disable(logging.WARNING)  # untimely answers are logged as warnings, by the thousand here
    driver = DRIVERS[implementation](dsn)
    record = ClientRecord()
    try:
        _drive(driver, plan.warmup, ClientRecord(), None)  # prepares statements and caches, untimed
        for steps in plan.phases:
            go.wait(WAIT_SECONDS)
            record.spans.append(_drive(driver, steps, record, sent))
            with finished.get_lock():
                finished.value += 1
    finally:
        driver.close()
    outbox.put(record)


def _drive(driver: Any, steps: list[workload.Step], record: ClientRecord, sent: Any) -> tuple[float, float]:
    """Send the requests one by one, timing each; returns when the phase started and ended."""
    started = time.perf_counter()
    for count, (task_instance_id, new_status) in enumerate(steps, 1):
        before = time.perf_counter()
        try:
            record.answers[driver.transition(task_instance_id, new_status)] += 1
        except Exception as error:  # counted and shown: the benchmark must report every failure
            record.errors[_error_label(error)] += 1
        record.latencies.append(time.perf_counter() - before)
        if sent is not None and count % PROGRESS_EVERY == 0:
            _add(sent, PROGRESS_EVERY)
    ended = time.perf_counter()
    if sent is not None:
        _add(sent, len(steps) % PROGRESS_EVERY)
    return started, ended


def _add(counter: Any, amount: int) -> None:
    with counter.get_lock():
        counter.value += amount


def _error_label(error: BaseException) -> str:
    """'40P01 DeadlockDetected' for a database error (also when SQLAlchemy wraps it), else the class name."""
    cause = getattr(error, "orig", None) or error
    sqlstate = getattr(cause, "sqlstate", None)
    name = type(cause).__name__
    return f"{sqlstate} {name}" if sqlstate else name
