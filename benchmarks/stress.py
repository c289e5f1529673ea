"""Randomised concurrency stress of jobmon.transition_task_instance(), with a check of the history afterwards.

Several threads, each with its own connection, fire random requests at a small
shared set of tasks (each with one or two task instances): mostly valid moves
from the last status a thread heard of (often stale, so threads race each
other), untimely reports, any status at all (mostly invalid), and a few bad
inputs. A task that has had its share of requests is replaced by a fresh one.

Every request runs in its own transaction, which also takes a number from a
sequence after the function returned. The function holds the task's row lock
until commit, so for one task these numbers give the order in which the
requests were serialised. After the run, for every task:

  * no deadlock (40P01) or other unexpected error was raised;
  * no lost update: taken in that order, each request saw the status the
    previous applied one left (task instance and task);
  * each answer (applied, untimely, and the new statuses and attempt count)
    is what the specification model gives for the state it saw;
  * the rows in the database are what the history replayed gives;
  * each rejection names a status the row really had, and a pair the
    specification does not allow.

Run it longer than the test suite does:

    python -m benchmarks.stress --seconds 60 --threads 8

``--simulate`` runs ``jobmon-db simulate`` larger instead (6,000 tasks, 32
workers, every fault twice as often as by default; see docs/simulate.md).

Connects with --dsn, else $JOBMON_DB_DSN, else libpq's defaults; the schema
must be migrated (``jobmon-db migrate``). Rows and the sequence it makes are
removed at the end unless --keep is given. Exits 1 when a check failed.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from jobmon_db import (
    InvalidStateTransition,
    JobmonDBError,
    TaskInstanceNotFound,
    UnknownStatus,
    transition_task_instance,
)
from jobmon_db.connection import resolve_dsn
from jobmon_db.inspect import live_task_instance_statuses
from jobmon_db.simulate.report import history_checks
from tests import spec_model

STATUSES = spec_model.TASK_INSTANCE_STATUSES
VALID_FROM = {s: sorted(to for frm, to in spec_model.VALID if frm == s) for s in STATUSES}
UNTIMELY_FROM = {s: sorted(to for frm, to in spec_model.UNTIMELY if frm == s) for s in STATUSES}
APPLICATION_NAME = "jobmon-stress"
SCHEMA = "jobmon_stress"


@dataclass(frozen=True)
class Group:
    """A task and its task instances, as created (all instances start in Q, the task in Q on attempt 1)."""

    task_id: int
    max_attempts: int
    instances: tuple[int, ...]


@dataclass(frozen=True)
class Answer:
    """A request the function answered (applied or untimely), with its place in the task's order."""

    order: int
    ti: int
    task_id: int
    requested: str
    outcome: str
    previous_status: str
    status: str
    task_previous_status: str
    task_status: str
    task_num_attempts: int


@dataclass(frozen=True)
class Rejection:
    """A request refused with InvalidStateTransition (JM001 or JM002)."""

    ti: int
    task_id: int
    requested: str
    sqlstate: str
    model: str
    id: int
    from_status: str
    to_status: str


@dataclass
class ThreadLog:
    """What one thread saw; merged into the Report when the thread ends."""

    answers: list[Answer] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    bad_input: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    deadlocks: int = 0
    overlaps: int = 0


@dataclass
class Report:
    """What a run did and what its checks found."""

    seconds: float = 0.0
    threads: int = 0
    groups: list[Group] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    bad_input: Counter[str] = field(default_factory=Counter)  # exception name -> count
    unexpected: list[str] = field(default_factory=list)
    deadlocks: int = 0
    overlaps: int = 0  # requests sent while another request on the same task was in flight
    lock_waits_seen: int = 0  # backends seen waiting on a lock by the sampler
    problems: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.answers) + len(self.rejections) + sum(self.bad_input.values()) + len(self.unexpected)

    def counts(self) -> dict[str, int]:
        outcomes = Counter(a.outcome for a in self.answers)
        return {
            "requests": self.requests,
            "applied": outcomes["applied"],
            "untimely": outcomes["untimely"],
            "rejected": len(self.rejections) + sum(self.bad_input.values()),
            "rejected_JM001": sum(r.sqlstate == "JM001" for r in self.rejections),
            "rejected_JM002": sum(r.sqlstate == "JM002" for r in self.rejections),
            "rejected_bad_input": sum(self.bad_input.values()),
            "unexpected_errors": len(self.unexpected),
            "deadlocks": self.deadlocks,
            "tasks": len(self.groups),
            "task_instances": sum(len(g.instances) for g in self.groups),
            "overlapping_requests": self.overlaps,
            "lock_waits_seen": self.lock_waits_seen,
        }

    def summary(self) -> str:
        counts = self.counts()
        rate = counts["requests"] / self.seconds if self.seconds else 0.0
        lines = [f"{self.threads} threads, {self.seconds:.1f} s, {rate:.0f} requests/s"]
        lines += [f"  {name:22} {value}" for name, value in counts.items()]
        lines.append("checks: " + ("all passed" if not self.problems else f"{len(self.problems)} FAILED"))
        lines += [f"  - {p}" for p in self.problems[:20]]
        return "\n".join(lines)


class Stress:
    """One run: the shared tasks, the threads, and what they recorded."""

    def __init__(
        self, dsn: str, *, threads: int, slots: int, requests_per_task: int, seed: int, bad_input_rate: float
    ) -> None:
        self.dsn = dsn
        self.threads = threads
        self.requests_per_task = requests_per_task
        self.seed = seed
        self.bad_input_rate = bad_input_rate
        self.sequence = sql.Identifier(SCHEMA, f"order_{seed}_{time.time_ns()}")
        self.report = Report(threads=threads)
        self._lock = threading.Lock()  # guards the slots, the groups and the in-flight counts
        self._slots: list[Group] = []
        self._slot_requests: list[int] = []
        self._in_flight: Counter[int] = Counter()
        self._last_heard: dict[int, str] = {}  # ti -> last status some thread heard of (racy on purpose)
        self._workflow_id = 0
        self._slot_count = slots
        self._stop = threading.Event()

    # -- rows -------------------------------------------------------------------

    def _new_group(self, conn: psycopg.Connection[Any], rng: random.Random) -> Group:
        max_attempts = rng.randint(1, 3)
        with conn.transaction():
            row = conn.execute(
                "insert into jobmon.task (workflow_id, status, num_attempts, max_attempts, name)"
                " values (%s, 'Q', 1, %s, 'stress') returning id",
                (self._workflow_id, max_attempts),
            ).fetchone()
            assert row is not None
            task_id = row[0]
            instances = tuple(
                conn.execute(
                    "insert into jobmon.task_instance (task_id, status) values (%s, 'Q') returning id", (task_id,)
                ).fetchone()[0]
                for _ in range(rng.choice((1, 1, 2)))
            )
        group = Group(task_id, max_attempts, instances)
        with self._lock:
            self.report.groups.append(group)
        return group

    def setup(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(SCHEMA)))
        conn.execute(sql.SQL("create sequence {}").format(self.sequence))
        row = conn.execute("insert into jobmon.workflow (name) values ('stress') returning id").fetchone()
        assert row is not None
        self._workflow_id = row[0]
        rng = random.Random(self.seed)
        self._slots = [self._new_group(conn, rng) for _ in range(self._slot_count)]
        self._slot_requests = [0] * self._slot_count

    def cleanup(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("drop sequence if exists {}").format(self.sequence))
        with conn.transaction():
            tasks = [g.task_id for g in self.report.groups]
            conn.execute("delete from jobmon.task_instance where task_id = any(%s)", (tasks,))
            conn.execute("delete from jobmon.task where id = any(%s)", (tasks,))
            conn.execute("delete from jobmon.workflow where id = %s", (self._workflow_id,))
        try:  # the schema stays while another run's sequence is in it
            conn.execute(sql.SQL("drop schema if exists {}").format(sql.Identifier(SCHEMA)))
        except psycopg.errors.DependentObjectsStillExist:
            pass

    # -- the threads --------------------------------------------------------------

    def _pick(self, conn: psycopg.Connection[Any], rng: random.Random) -> tuple[Group, int]:
        slot = rng.randrange(len(self._slots))
        with self._lock:
            self._slot_requests[slot] += 1
            replace = self._slot_requests[slot] > self.requests_per_task
            if replace:
                self._slot_requests[slot] = 0
            group = self._slots[slot]
        if replace:
            group = self._new_group(conn, rng)
            with self._lock:
                self._slots[slot] = group
        return group, rng.choice(group.instances)

    def _choose_status(self, ti: int, rng: random.Random) -> str:
        heard = self._last_heard.get(ti, "Q")
        roll = rng.random()
        if roll < 0.55 and VALID_FROM[heard]:
            return rng.choice(VALID_FROM[heard])
        if roll < 0.8 and UNTIMELY_FROM[heard]:
            return rng.choice(UNTIMELY_FROM[heard])
        return rng.choice(STATUSES)

    def _send_bad_input(self, conn: psycopg.Connection[Any], ti: int, rng: random.Random) -> tuple[str, str]:
        if rng.random() < 0.5:
            call: tuple[int, str] = (-rng.randint(1, 10**9), rng.choice(STATUSES))
            expected: type[JobmonDBError] = TaskInstanceNotFound
        else:
            call, expected = (ti, rng.choice(("", "r", "RUNNING", "DD", "Y", "R'; --"))), UnknownStatus
        try:
            transition_task_instance(conn, *call)
        except expected:
            return "bad_input", expected.__name__
        except Exception as error:
            return "unexpected", f"bad input {call!r}: {type(error).__name__}: {error}"
        return "unexpected", f"bad input {call!r} was accepted"

    def worker(self, index: int, deadline: float, budget: itertools.count[int], max_requests: int | None) -> None:
        """One thread: its own connection, firing requests until the deadline or the request budget."""
        log = ThreadLog()
        try:
            self._fire(index, deadline, budget, max_requests, log)
        except Exception as error:  # a thread that dies is a finding too, and its records still count
            log.unexpected.append(f"thread {index} stopped: {type(error).__name__}: {error}")
        finally:
            with self._lock:
                self.report.answers += log.answers
                self.report.rejections += log.rejections
                self.report.bad_input += log.bad_input
                self.report.unexpected += log.unexpected
                self.report.deadlocks += log.deadlocks
                self.report.overlaps += log.overlaps

    def _fire(
        self, index: int, deadline: float, budget: itertools.count[int], max_requests: int | None, log: ThreadLog
    ) -> None:
        rng = random.Random(self.seed * 1000 + index)
        order_sql = sql.SQL("select nextval({})").format(sql.Literal(self.sequence.as_string()))
        with psycopg.connect(self.dsn, autocommit=True, application_name=APPLICATION_NAME) as conn:
            # A bound on any one call: a request stuck behind a lock shows up as an error, not a hang.
            conn.execute("set statement_timeout = '10s'")
            while time.monotonic() < deadline and not self._stop.is_set():
                if max_requests is not None and next(budget) >= max_requests:
                    break
                group, ti = self._pick(conn, rng)
                if rng.random() < self.bad_input_rate:
                    kind, text = self._send_bad_input(conn, ti, rng)
                    if kind == "bad_input":
                        log.bad_input[text] += 1
                    else:
                        log.unexpected.append(text)
                    continue
                requested = self._choose_status(ti, rng)
                with self._lock:
                    log.overlaps += self._in_flight[group.task_id] > 0
                    self._in_flight[group.task_id] += 1
                try:
                    with conn.transaction():
                        result = transition_task_instance(conn, ti, requested)
                        row = conn.execute(order_sql).fetchone()
                    assert row is not None
                    log.answers.append(
                        Answer(
                            row[0],
                            ti,
                            group.task_id,
                            requested,
                            result.outcome,
                            result.previous_status.value,
                            result.status.value,
                            result.task_previous_status.value,
                            result.task_status.value,
                            result.task_num_attempts,
                        )
                    )
                    self._last_heard[ti] = result.status.value
                except InvalidStateTransition as error:
                    log.rejections.append(
                        Rejection(
                            ti,
                            group.task_id,
                            requested,
                            error.sqlstate or "",
                            error.model,
                            error.id,
                            error.from_status,
                            error.to_status,
                        )
                    )
                    if error.model == "TaskInstance":
                        self._last_heard[ti] = error.from_status
                except Exception as error:  # every other error is a finding
                    if getattr(error, "sqlstate", None) == "40P01":
                        log.deadlocks += 1
                    log.unexpected.append(f"TaskInstance {ti} -> {requested}: {type(error).__name__}: {error}")
                finally:
                    with self._lock:
                        self._in_flight[group.task_id] -= 1

    def sample_lock_waits(self, observer: psycopg.Connection[Any]) -> None:
        """Count, every few milliseconds, the run's backends that wait on a lock."""
        while not self._stop.wait(0.005):
            row = observer.execute(
                "select count(*) from pg_stat_activity where application_name = %s and wait_event_type = 'Lock'"
                " and datname = current_database()",
                (APPLICATION_NAME,),
            ).fetchone()
            self.report.lock_waits_seen += row[0] if row else 0

    def run(self, seconds: float, max_requests: int | None) -> Report:
        with psycopg.connect(self.dsn, autocommit=True) as admin:
            self.setup(admin)
            started = time.monotonic()
            budget = itertools.count()
            workers = [
                threading.Thread(target=self.worker, args=(i, started + seconds, budget, max_requests), daemon=True)
                for i in range(self.threads)
            ]
            with psycopg.connect(self.dsn, autocommit=True) as observer:
                sampler = threading.Thread(target=self.sample_lock_waits, args=(observer,), daemon=True)
                sampler.start()
                for thread in workers:
                    thread.start()
                for thread in workers:
                    thread.join(timeout=seconds + 60)
                    if thread.is_alive():
                        self.report.problems.append(f"thread {thread.name} did not finish")
                self._stop.set()
                sampler.join(timeout=10)
            self.report.seconds = time.monotonic() - started
            self.report.problems += check_history(self.report, read_rows(admin, self.report.groups))
        return self.report


def read_rows(conn: psycopg.Connection[Any], groups: list[Group]) -> dict[str, dict[int, Any]]:
    """The rows as they are now: task instance statuses, and task (status, num_attempts)."""
    tasks = [g.task_id for g in groups]
    instances = dict(
        conn.execute("select id, status from jobmon.task_instance where task_id = any(%s)", (tasks,)).fetchall()
    )
    task_rows = {
        row[0]: (row[1], row[2])
        for row in conn.execute("select id, status, num_attempts from jobmon.task where id = any(%s)", (tasks,))
    }
    return {"task_instance": instances, "task": task_rows}


def check_history(report: Report, rows: dict[str, dict[int, Any]]) -> list[str]:
    """Replay every task's answers in their order through the spec model; return what does not add up."""
    problems = [f"unexpected error: {text}" for text in report.unexpected[:20]]
    if report.deadlocks:
        problems.append(f"{report.deadlocks} deadlock(s) raised")
    answers_by_task: dict[int, list[Answer]] = defaultdict(list)
    for answer in report.answers:
        answers_by_task[answer.task_id].append(answer)
    orders = [a.order for a in report.answers]
    if len(orders) != len(set(orders)):
        problems.append("two answers got the same order number")

    seen_ti: dict[int, set[str]] = defaultdict(set)  # every status each task instance had
    seen_task: dict[int, set[str]] = defaultdict(set)
    for group in report.groups:
        ti_status = dict.fromkeys(group.instances, "Q")
        task_status, attempts = "Q", 1
        for ti in group.instances:
            seen_ti[ti].add("Q")
        seen_task[group.task_id].add("Q")
        for a in sorted(answers_by_task[group.task_id], key=lambda a: a.order):
            where = f"task {group.task_id}, TaskInstance {a.ti}, request {a.requested} (order {a.order})"
            if (a.previous_status, a.task_previous_status) != (ti_status[a.ti], task_status):
                problems.append(
                    f"lost update at {where}: saw {a.previous_status}/{a.task_previous_status},"
                    f" the previous applied request left {ti_status[a.ti]}/{task_status}"
                )
                break
            want = spec_model.expected(ti_status[a.ti], a.requested, task_status, attempts, group.max_attempts)
            got = spec_model.Expected(a.outcome, a.status, a.task_status, a.task_num_attempts)
            if got != want:
                problems.append(f"wrong answer at {where}: got {got}, the specification gives {want}")
                break
            if a.outcome == "applied":
                ti_status[a.ti], task_status, attempts = a.status, a.task_status, a.task_num_attempts
                seen_ti[a.ti].add(a.status)
                seen_task[group.task_id].add(a.task_status)
        else:
            for ti in group.instances:
                if rows["task_instance"].get(ti) != ti_status[ti]:
                    problems.append(
                        f"TaskInstance {ti} is {rows['task_instance'].get(ti)}, its history gives {ti_status[ti]}"
                    )
            if rows["task"].get(group.task_id) != (task_status, attempts):
                problems.append(
                    f"task {group.task_id} is {rows['task'].get(group.task_id)}, its history gives"
                    f" {(task_status, attempts)}"
                )

    for r in report.rejections:
        if r.sqlstate == "JM001":
            ok = (
                (r.model, r.id, r.to_status) == ("TaskInstance", r.ti, r.requested)
                and r.from_status in seen_ti[r.ti]
                and (r.from_status, r.to_status) not in spec_model.VALID | spec_model.UNTIMELY
            )
        else:
            ok = (
                (r.sqlstate, r.model, r.id) == ("JM002", "Task", r.task_id)
                and r.from_status in seen_task[r.task_id]
                and (r.from_status, r.to_status) not in spec_model.TASK_VALID
            )
        if not ok:
            problems.append(f"rejection does not match the history: {r}")
    return problems


def run_stress(
    dsn: str,
    *,
    seconds: float,
    threads: int,
    slots: int = 8,
    requests_per_task: int = 12,
    seed: int = 0,
    bad_input_rate: float = 0.02,
    max_requests: int | None = None,
    keep: bool = False,
) -> Report:
    """Run the stress for `seconds` (or `max_requests` requests) and check the history; see the module docstring."""
    stress = Stress(
        dsn,
        threads=threads,
        slots=slots,
        requests_per_task=requests_per_task,
        seed=seed,
        bad_input_rate=bad_input_rate,
    )
    try:
        return stress.run(seconds, max_requests)
    finally:
        if not keep:
            with psycopg.connect(dsn, autocommit=True) as conn:
                stress.cleanup(conn)


# ---------------------------------------------------------------------------
# Set-based and single-row calls mixed (python -m benchmarks.stress --batches): tasks
# registered by bind_tasks, then the rows checked here and the history checked by
# jobmon-db simulate's own checks (jobmon_db.simulate.report.history_checks).
# ---------------------------------------------------------------------------


@dataclass
class BatchReport:
    """What a batch stress run did and what its checks found."""

    seconds: float = 0.0
    threads: int = 0
    calls: Counter[str] = field(default_factory=Counter)  # function -> calls
    outcomes: Counter[str] = field(default_factory=Counter)  # 'function outcome' -> rows
    queued: Counter[int] = field(default_factory=Counter)  # task id -> times a queue call said 'applied'
    unexpected: list[str] = field(default_factory=list)
    deadlocks: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.threads} threads, {self.seconds:.1f} s, {sum(self.calls.values())} calls"]
        lines += [f"  {name:28} {value}" for name, value in sorted(self.calls.items())]
        lines += [f"  {name:28} {value}" for name, value in sorted(self.outcomes.items())]
        lines.append(f"  {'deadlocks':28} {self.deadlocks}")
        lines.append(f"  {'unexpected_errors':28} {len(self.unexpected)}")
        lines.append("checks: " + ("all passed" if not self.problems else f"{len(self.problems)} FAILED"))
        lines += [f"  - {p}" for p in self.problems[:20]]
        return "\n".join(lines)


def _batch_setup(conn: psycopg.Connection[Any], tasks: int) -> tuple[int, int, int, int, list[int]]:
    from jobmon_db import TaskBinding, bind_tasks

    # The workflow, its run, array and resources have no status; the tasks are registered by the function.
    row = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('batch stress') returning id),
             run as (insert into jobmon.workflow_run (workflow_id) select id from wf returning id),
             arr as (insert into jobmon.array (workflow_id, name) select id, 'stress' from wf returning id),
             res as (insert into jobmon.task_resources (requested_resources) values ('{}') returning id)
        select wf.id, run.id, arr.id, res.id from wf, run, arr, res
        """
    ).fetchone()
    assert row is not None
    workflow_id, run_id, array_id, res_id = row
    bindings = [
        TaskBinding(
            node_id=n,
            task_args_hash=f"stress {n}",
            name="stress",
            command=None,
            max_attempts=1000000,
            array_id=array_id,
        )
        for n in range(1, tasks + 1)
    ]
    ids = [bound.task_id for bound in bind_tasks(conn, workflow_id, bindings)]
    return workflow_id, run_id, array_id, res_id, sorted(ids)


def _batch_worker(
    dsn: str,
    index: int,
    deadline: float,
    budget: itertools.count[int],
    max_calls: int | None,
    seed: int,
    setup: tuple[int, int, int, int, list[int]],
    report: BatchReport,
    lock: threading.Lock,
) -> None:
    from jobmon_db import distributor, swarm  # the batch wrappers

    _, run_id, array_id, res_id, tasks = setup
    rng = random.Random(seed * 1000 + index)
    calls: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    queued: Counter[int] = Counter()
    unexpected: list[str] = []
    deadlocks = 0
    increment = __import__("datetime").timedelta(seconds=90)
    with psycopg.connect(dsn, autocommit=True, application_name=APPLICATION_NAME) as conn:
        conn.execute("set statement_timeout = '10s'")
        while time.monotonic() < deadline:
            if max_calls is not None and next(budget) >= max_calls:
                break
            subset = rng.sample(tasks, rng.randint(1, min(len(tasks), 12)))
            instances = [
                r[0]
                for r in conn.execute(
                    "select current_attempt_from from jobmon.task where id = any(%s) and current_attempt_from > 0",
                    (subset,),
                )
            ]
            batch_row = conn.execute("select next_batch_num from jobmon.array where id = %s", (array_id,)).fetchone()
            batch = rng.randint(max(1, batch_row[0] - 3), max(1, batch_row[0] - 1)) if batch_row else 1
            action = rng.choice(("queue", "instantiate", "launch", "heartbeats", "distributor_ids", "single", "single"))
            try:
                with conn.transaction():
                    if action == "queue":
                        rows: list[Any] = swarm.queue_task_batch(conn, subset, array_id, res_id, run_id)
                        for r in rows:
                            if r.applied:
                                queued[r.task_id] += 1
                    elif action == "instantiate":
                        rows = distributor.instantiate_task_instances(conn, instances)
                    elif action == "launch":
                        rows = distributor.launch_array_batch(conn, array_id, batch, increment)
                    elif action == "heartbeats":
                        rows = distributor.log_heartbeats(conn, instances, increment)
                    elif action == "distributor_ids":
                        steps = rng.sample(range(12), rng.randint(1, 6))
                        rows = distributor.log_array_distributor_ids(
                            conn, array_id, batch, [(s, f"j{s}") for s in steps]
                        )
                    else:
                        rows = []
                        if instances:
                            target = rng.choice("RRDEEZUO")
                            try:
                                rows = [transition_task_instance(conn, rng.choice(instances), target)]
                            except InvalidStateTransition:
                                outcomes["single rejected"] += 1
                calls[action] += 1
                for r in rows:
                    outcomes[f"{action} {r.outcome}"] += 1
            except Exception as error:
                if getattr(error, "sqlstate", None) == "40P01":
                    deadlocks += 1
                unexpected.append(f"{action}: {type(error).__name__}: {error}")
    with lock:
        report.calls += calls
        report.outcomes += outcomes
        report.queued += queued
        report.unexpected += unexpected
        report.deadlocks += deadlocks


def check_batch_rows(conn: psycopg.Connection[Any], tasks: list[int], report: BatchReport) -> list[str]:
    """Invariants of the rows after a batch stress run; returns what does not hold."""
    problems = [f"unexpected error: {text}" for text in report.unexpected[:20]]
    if report.deadlocks:
        problems.append(f"{report.deadlocks} deadlock(s) raised")
    rows = conn.execute(
        """
        select t.id, t.status, t.num_attempts, t.current_attempt_from,
               count(ti.id), coalesce(max(ti.id), 0),
               count(ti.id) filter (where ti.status = any(%s)),
               (select c.status from jobmon.task_instance c where c.id = t.current_attempt_from)
          from jobmon.task t
          left join jobmon.task_instance ti on ti.task_id = t.id
         where t.id = any(%s)
         group by t.id
        """,
        (sorted(live_task_instance_statuses(conn)), tasks),
    ).fetchall()
    for task, status, attempts, current, count, newest, live, current_status in rows:
        if attempts != count or attempts != report.queued[task]:
            problems.append(
                f"lost update: task {task} counts {attempts} attempts, has {count} instances,"
                f" and queue calls reported {report.queued[task]}"
            )
        if newest != current:
            problems.append(f"task {task}: current_attempt_from {current} is not its newest instance {newest}")
        if live > 1:
            problems.append(f"task {task} has {live} live task instances")
        if status in ("Q", "I", "O", "R") and current_status != status:
            problems.append(f"task {task} is {status} but its current instance is {current_status}")
    return problems


def run_batch_stress(
    dsn: str, *, seconds: float, threads: int = 8, tasks: int = 24, seed: int = 0, max_calls: int | None = None
) -> BatchReport:
    """Set-based and single-row calls on one array's overlapping tasks from `threads` connections; then the checks."""
    report = BatchReport(threads=threads)
    lock = threading.Lock()
    with psycopg.connect(dsn, autocommit=True) as admin:
        setup = _batch_setup(admin, tasks)
        started = time.monotonic()
        budget = itertools.count()
        workers = [
            threading.Thread(
                target=_batch_worker,
                args=(dsn, i, started + seconds, budget, max_calls, seed, setup, report, lock),
                daemon=True,
            )
            for i in range(threads)
        ]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=seconds + 60)
            if thread.is_alive():
                report.problems.append(f"thread {thread.name} did not finish")
        report.seconds = time.monotonic() - started
        report.problems += check_batch_rows(admin, setup[4], report)
        report.problems += check_batch_history(admin, setup[0])
    return report


def check_batch_history(conn: psycopg.Connection[Any], workflow_id: int) -> list[str]:
    """The history checks `jobmon-db simulate` makes, on the stress run's workflow; returns what does not hold."""
    return [f"{c.name}: {c.detail}" for c in history_checks(conn, workflow_id) if not c.ok]


def _simulate(args: argparse.Namespace, seed: int) -> int:
    """The larger simulation: more tasks and workers, faults twice as often, bounded by --seconds x 10."""
    from dataclasses import asdict

    from jobmon_db.simulate import FaultRates, SimulationError, SimulationOptions, simulate

    doubled = FaultRates(**{name: 2 * rate for name, rate in asdict(FaultRates()).items()})
    workers = args.threads if "--threads" in (sys.argv if args.argv is None else args.argv) else 32
    options = SimulationOptions(
        tasks=args.tasks, workers=workers, seed=seed, rates=doubled, timeout=10 * args.seconds, keep=args.keep
    )
    try:
        summary = simulate(resolve_dsn(args.dsn), options, progress=sys.stderr if sys.stderr.isatty() else None)
    except SimulationError as error:
        print(f"simulate: {error}", file=sys.stderr)
        return 1
    print(summary.text())
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="libpq connection string (default: $JOBMON_DB_DSN, then libpq's defaults)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--threads", type=int, default=4, help="threads, one connection each (default 4)")
    parser.add_argument("--slots", type=int, default=8, help="tasks in play at any time (default 8)")
    parser.add_argument("--requests-per-task", type=int, default=12, help="requests before a task is replaced")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--keep", action="store_true", help="keep the rows and the sequence the run made")
    parser.add_argument(
        "--batches", action="store_true", help="mix the set-based batch functions with single-row calls instead"
    )
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="run `jobmon-db simulate` larger than its default instead: --tasks (default 6000) tasks,"
        " --threads workers (default 32 here), every fault at twice its default rate, at most --seconds x 10",
    )
    parser.add_argument("--tasks", type=int, default=6000, help="tasks of the --simulate run (default 6000)")
    args = parser.parse_args(argv)
    args.argv = argv
    logging.getLogger("jobmon_db").setLevel(logging.ERROR)  # one warning per untimely request otherwise
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    print(f"seed {seed}")
    if args.simulate:
        return _simulate(args, seed)
    if args.batches:
        batch_report = run_batch_stress(resolve_dsn(args.dsn), seconds=args.seconds, threads=args.threads, seed=seed)
        print(batch_report.summary())
        return 1 if batch_report.problems else 0
    report = run_stress(
        resolve_dsn(args.dsn),
        seconds=args.seconds,
        threads=args.threads,
        slots=args.slots,
        requests_per_task=args.requests_per_task,
        seed=seed,
        keep=args.keep,
    )
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
