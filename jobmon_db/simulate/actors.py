"""The actors of a simulation: a swarm, a distributor and many workers, each a thread with its own connection.

They share nothing but the database and a simulated cluster (a queue of
submitted jobs and what became of them, which is what a real scheduler
knows). Every write goes through the public functions of jobmon_db, called
directly (DirectCalls) or through upstream Jobmon's HTTP routes on a
`jobmon-db jobmon-server` (HttpCalls, see calls.py); the distributor finds its
work with one SELECT per poll (the task instances of its workflow runs in a
live status), or through the server with upstream's sync_status route.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg

from ..errors import JobmonDBError
from ..inspect import live_task_instance_statuses
from ..swarm import next_cursor
from .calls import DirectCalls

if TYPE_CHECKING:
    from .http import HttpCalls
from .faults import (
    APP_ERROR,
    DONE,
    LOST_ID,
    RESOURCE_ERROR,
    SILENT_BEFORE_START,
    SILENT_WHILE_RUNNING,
)
from .plan import Fate, Plan

T = TypeVar("T")
APPLICATION_NAME = "jobmon-db simulate"
FINAL_TASK = frozenset("DF")


@dataclass(frozen=True)
class Timing:
    """The compressed clock: everything is a multiple of the heartbeat interval (seconds)."""

    heartbeat: float = 0.3

    @property
    def report_increment(self) -> timedelta:
        """How long a report keeps an instance from being overdue (Jobmon: minutes)."""
        return timedelta(seconds=5 * self.heartbeat)

    @property
    def launched_grace(self) -> timedelta:
        return timedelta(seconds=3 * self.heartbeat)

    @property
    def poll(self) -> float:
        return self.heartbeat / 3

    @property
    def triage_every(self) -> float:
        return self.heartbeat

    @property
    def late_silence(self) -> float:
        """How long a late worker goes silent: past its deadline, so triage and the reconciler can act first."""
        return 8 * self.heartbeat


# ---------------------------------------------------------------------------
# Calls: every call of a public function goes through a Recorder
# ---------------------------------------------------------------------------


class Recorder:
    """Latency and outcome of every call, by function; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: Counter[tuple[str, str]] = Counter()
        self.errors: list[str] = []

    def _add(self, name: str, seconds: float, outcomes: Iterable[str]) -> None:
        with self._lock:
            self.latencies[name].append(seconds)
            for outcome in outcomes:
                self.outcomes[(name, outcome)] += 1

    def call(self, name: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``function``; record how long it took and the outcome of each row it returned."""
        for attempt in range(5):
            started = time.perf_counter()
            try:
                result = function(*args, **kwargs)
            except JobmonDBError as error:
                self._add(name, time.perf_counter() - started, [f"error {error.sqlstate}"])
                if error.retryable and attempt < 4:
                    continue
                with self._lock:
                    self.errors.append(f"{name}{_args(args)}: {error.sqlstate} {error.message}"[:300])
                raise
            rows = result if isinstance(result, list) else [result]
            self._add(name, time.perf_counter() - started, (str(getattr(r, "outcome", "row")) for r in rows))
            return result
        raise AssertionError("unreachable")


def _args(args: tuple[Any, ...]) -> str:
    shown = ", ".join(repr(a) if not isinstance(a, (list, dict)) else f"<{len(a)}>" for a in args)
    return f"({shown})"


# ---------------------------------------------------------------------------
# The simulated cluster
# ---------------------------------------------------------------------------


@dataclass
class Job:
    """A job the distributor submitted to the cluster."""

    task_instance_id: int
    fate: Fate
    distributor_id: str
    array_id: int | None
    array_batch_num: int | None
    array_step_id: int | None
    #: pending (in the cluster's queue), running, silent (alive, not reporting), vanished (died
    #: without a word), finished, killed (by the distributor).
    state: str = "pending"
    lock: threading.Lock = field(default_factory=threading.Lock)


class Cluster:
    """The scheduler: a queue of jobs for the workers, and what became of each job."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Job] = queue.Queue()
        self._jobs: dict[int, Job] = {}
        self._lock = threading.Lock()
        self.outstanding = 0  # submitted, not yet done with by a worker

    def submit(self, job: Job) -> None:
        with self._lock:
            if job.task_instance_id in self._jobs:
                return
            self._jobs[job.task_instance_id] = job
            self.outstanding += 1
        self.queue.put(job)

    def done_with(self) -> None:
        with self._lock:
            self.outstanding -= 1

    def job(self, task_instance_id: int) -> Job | None:
        with self._lock:
            return self._jobs.get(task_instance_id)

    def kill(self, task_instance_id: int) -> None:
        """Kill the job: its worker makes no report after this (a report in flight completes first)."""
        job = self.job(task_instance_id)
        if job is not None:
            with job.lock:
                if job.state != "finished":
                    job.state = "killed"


# ---------------------------------------------------------------------------
# What the actors share
# ---------------------------------------------------------------------------


@dataclass
class World:
    """The simulation's shared state (besides the database)."""

    dsn: str
    plan: Plan
    timing: Timing
    workflow_id: int
    runs: list[int]
    task_ids: list[int]
    array_of: dict[int, int]
    max_attempts: int
    array_size: int
    #: Jobmon's max_concurrently_running: tasks in flight (Q, I, O, R) at most.
    max_running: int
    resources: tuple[int, int]  # (as registered, adjusted after a resource error)
    resume: bool
    #: The URL of a `jobmon-db jobmon-server`: the actors make their calls through its HTTP routes.
    server_url: str | None = None
    recorder: Recorder = field(default_factory=Recorder)
    cluster: Cluster = field(default_factory=Cluster)
    stop: threading.Event = field(default_factory=threading.Event)
    tasks_final: threading.Event = field(default_factory=threading.Event)
    statuses: dict[int, str] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    epoch: int = 0
    resumed_at: float | None = None
    feed_fallbacks: int = 0
    live_instances: int = -1  # as the distributor saw them at its last poll (-1: not polled yet)
    _attempts: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.index_of = {task_id: i for i, task_id in enumerate(self.task_ids)}
        self.statuses.update(dict.fromkeys(self.task_ids, "G"))

    def connect(self, who: str) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn, autocommit=True, application_name=f"{APPLICATION_NAME}: {who}")

    def calls(self, conn: psycopg.Connection[Any]) -> DirectCalls | HttpCalls:
        """An actor's way to make its calls: the wrappers on its connection, or its own HTTP client."""
        if self.server_url is None:
            return DirectCalls(conn)
        from .http import HttpCalls

        return HttpCalls(self.server_url)

    def count(self, fault: str) -> None:
        with self._lock:
            self.faults[fault] += 1

    def problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)

    def register(self, task_instance_id: int, task_id: int, attempt: int) -> None:
        with self._lock:
            self._attempts[task_instance_id] = (self.index_of[task_id], self.epoch, attempt)

    def fate_of(self, task_instance_id: int) -> Fate:
        """The planned fate of a task instance the swarm queued (the job script it was given)."""
        for _ in range(1000):
            with self._lock:
                key = self._attempts.get(task_instance_id)
            if key is not None:
                return self.plan.fate(*key)
            time.sleep(0.001)  # queued a moment ago: the swarm is about to write it down
        raise LookupError(f"task instance {task_instance_id} was not queued by this simulation")

    def current_runs(self) -> list[int]:
        with self._lock:
            return list(self.runs)

    def add_run(self, run: int) -> None:
        with self._lock:
            self.runs.append(run)
            self.epoch += 1


def _guard(world: World, who: str, body: Callable[[], None]) -> None:
    """Run an actor; a crash stops the whole simulation and is reported."""
    try:
        body()
    except Exception as error:  # noqa: BLE001 - reported as a problem, and everything stops
        world.problem(f"{who} stopped: {type(error).__name__}: {error}"[:500])
        world.stop.set()


# ---------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------


def worker(world: World, number: int) -> None:
    """Take jobs from the cluster and run them: log_running, heartbeats, then log_done or log_error."""

    def body() -> None:
        with world.connect(f"worker {number}") as conn, world.calls(conn) as api:
            while True:
                try:
                    job = world.cluster.queue.get(timeout=0.05)
                except queue.Empty:
                    if world.stop.is_set():
                        return
                    continue
                try:
                    _run_job(world, api, job, number)
                finally:
                    world.cluster.done_with()

    _guard(world, f"worker {number}", body)


def _report(world: World, job: Job, name: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """One report of the job (twice when the plan duplicates it); None when the job was killed (nothing sent)."""
    with job.lock:
        if job.state == "killed":
            return None
        try:
            result = world.recorder.call(name, function, *args, **kwargs)
            if job.fate.duplicate:
                world.count("duplicate")
                result = world.recorder.call(name, function, *args, **kwargs)
        except JobmonDBError:
            return None  # recorded by the recorder; the job gives up, as a real one would
        return result


def _run_job(world: World, api: DirectCalls | HttpCalls, job: Job, number: int) -> None:
    fate, ti, rec, hb = job.fate, job.task_instance_id, world.recorder, world.timing.heartbeat
    with job.lock:
        if job.state == "killed":
            return
        if fate.outcome == SILENT_BEFORE_START:
            job.state = "vanished"
            world.count(SILENT_BEFORE_START)
            return
        job.state = "running"
    # How the job finds its task instance: by its array step, or by id when submitted alone.
    try:
        if job.array_id is not None and job.array_batch_num is not None and job.array_step_id is not None:
            wire_id = rec.call(
                "array_task_instance", api.array_task_instance, job.array_id, job.array_batch_num, job.array_step_id
            ).task_instance_id
        elif isinstance(api, DirectCalls):
            wire_id = rec.call("worker_node_task_instance", api.worker_node_task_instance, ti).task_instance_id
        else:
            wire_id = ti  # upstream's worker node is given its task instance id; it has no route to look it up
    except JobmonDBError:
        wire_id = None
    if wire_id != ti:
        world.problem(f"worker {number}: job of task instance {ti} found task instance {wire_id}")
        return
    nodename = f"node{number:03d}"
    running = _report(
        world,
        job,
        "log_running",
        api.log_running,
        ti,
        nodename,
        1000 + number,
        world.timing.report_increment,
        job.distributor_id,
    )
    if running is None or not running.may_run:
        with job.lock:
            job.state = "finished"
        return
    if fate.outcome == SILENT_WHILE_RUNNING:
        _work(world, api, job, fate.duration * hb / 2)
        with job.lock:
            if job.state == "running":
                job.state = "vanished"
        world.count(SILENT_WHILE_RUNNING)
        return
    if not _work(world, api, job, fate.duration * hb):
        return
    if fate.late:
        world.count("late_report")
        with job.lock:
            job.state = "silent"
        time.sleep(world.timing.late_silence)
        with job.lock:
            if job.state == "silent":
                job.state = "running"
    usage = {"nodename": nodename, "wallclock": f"{fate.duration * hb:.3f}", "maxrss": "1048576"}
    if fate.outcome in (DONE, LOST_ID):
        _report(world, job, "log_done", api.log_done, ti, **usage)
    elif fate.outcome == APP_ERROR:
        world.count(APP_ERROR)
        _report(world, job, "log_error", api.log_error, ti, "E", "simulated application error: exit status 1", **usage)
    elif fate.outcome == RESOURCE_ERROR:
        world.count(RESOURCE_ERROR)
        _report(world, job, "log_error", api.log_error, ti, "Z", "simulated resource error: out of memory", **usage)
    with job.lock:
        if job.state == "running":
            job.state = "finished"


def _work(world: World, api: DirectCalls | HttpCalls, job: Job, seconds: float) -> bool:
    """Run for ``seconds``, heartbeating; False when the job must stop (killed, or its instance was given up)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, world.timing.heartbeat))
        if time.monotonic() >= deadline:
            break
        beat = _report(
            world, job, "log_heartbeat", api.log_heartbeat, job.task_instance_id, world.timing.report_increment
        )
        if beat is None or beat.status is None or beat.status.value not in ("R", "T", "O"):
            # Killed, told to die (K), or given up by the reconciler (U, F): a real worker exits.
            with job.lock:
                if job.state == "running":
                    job.state = "finished"
            return False
    return True


# ---------------------------------------------------------------------------
# The distributor
# ---------------------------------------------------------------------------

POLL_SQL = """
select ti.id, ti.status, ti.array_id, ti.array_batch_num, ti.array_step_id
  from jobmon.task_instance ti
 where ti.workflow_run_id = any(%s) and ti.status = any(%s)
 order by ti.id
"""


@dataclass
class _Instance:
    task_instance_id: int
    status: str
    array_id: int | None
    array_batch_num: int | None
    array_step_id: int | None


class Distributor:
    """Instantiates and submits queued instances, heartbeats launched ones, reconciles triaged ones, kills K."""

    def __init__(self, world: World, conn: psycopg.Connection[Any], api: DirectCalls | HttpCalls) -> None:
        self.world = world
        self.conn = conn
        self.api = api
        self.rec = world.recorder
        self.submitted: set[int] = set()
        self.heartbeat_ids: set[int] = set()
        self.deferred: list[tuple[float, str, Callable[[], Any]]] = []
        self.retry_at: dict[int, float] = {}
        self.next_heartbeat = 0.0
        self.live_statuses = sorted(live_task_instance_statuses(conn))

    def loop(self) -> None:
        world = self.world
        while not world.stop.is_set():
            rows = self.poll()
            world.live_instances = len(rows)
            self.submit([r for r in rows if r.status in ("Q", "I") and r.task_instance_id not in self.submitted])
            now = time.monotonic()
            due = [r for r in rows if r.status in ("T", "X", "K") and self.retry_at.get(r.task_instance_id, 0) <= now]
            for r in due:
                self.retry_at[r.task_instance_id] = now + world.timing.heartbeat
            self.reconcile([r for r in due if r.status in ("T", "X")])
            self.kill([r.task_instance_id for r in due if r.status == "K"])
            self.run_deferred()
            if now >= self.next_heartbeat:
                self.heartbeat()
                self.next_heartbeat = now + world.timing.heartbeat
            time.sleep(world.timing.poll)

    def poll(self) -> list[_Instance]:
        """The task instances of the runs in a live status: one SELECT, or upstream's sync_status route."""
        runs = self.world.current_runs()
        if not isinstance(self.api, DirectCalls):
            answers = self.rec.call("sync_status", self.api.sync_status, runs, self.live_statuses)
            return [
                _Instance(a.task_instance_id, a.status.value, a.array_id, a.array_batch_num, a.array_step_id)
                for a in answers
                if a.task_instance_id is not None and a.status is not None
            ]
        return [_Instance(*r) for r in self.conn.execute(POLL_SQL, (runs, self.live_statuses))]

    def _call(self, name: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return self.rec.call(name, function, *args, **kwargs)
        except JobmonDBError:
            return None  # recorded

    def _twice(self, duplicate: bool, name: str, function: Callable[..., T], *args: Any) -> T | None:
        result = self._call(name, function, *args)
        if duplicate:
            self.world.count("duplicate")
            result = self._call(name, function, *args)
        return result

    def submit(self, instances: list[_Instance]) -> None:
        if not instances:
            return
        world = self.world
        fates = {i.task_instance_id: world.fate_of(i.task_instance_id) for i in instances}
        queued = [i.task_instance_id for i in instances if i.status == "Q"]
        ready = {i.task_instance_id: i for i in instances if i.status == "I"}
        if queued:
            rows = self._twice(
                any(fates[t].duplicate for t in queued),
                "instantiate_task_instances",
                self.api.instantiate_task_instances,
                queued,
            )
            by_id = {i.task_instance_id: i for i in instances}
            for row in rows or []:
                if row.status is not None and row.status.value == "I":
                    inst = by_id[row.task_instance_id]
                    if inst.array_step_id is None:  # polled over HTTP: the answer places it in its batch
                        inst = _Instance(
                            inst.task_instance_id, "I", row.array_id, row.array_batch_num, row.array_step_id
                        )
                    ready[row.task_instance_id] = inst
        batches: dict[tuple[int, int], list[_Instance]] = defaultdict(list)
        increment = world.timing.report_increment
        for ti, inst in sorted(ready.items()):
            fate = fates[ti]
            self.submitted.add(ti)
            if fate.outcome == LOST_ID:
                world.count(LOST_ID)
                self._twice(
                    fate.duplicate,
                    "log_no_distributor_id",
                    self.api.log_no_distributor_id,
                    ti,
                    "simulated: no job id came back",
                )
                continue
            if fate.single or inst.array_id is None or inst.array_batch_num is None:
                job = Job(ti, fate, f"j{ti}", None, None, None)
                if fate.late:  # submitted, but the id is recorded late: the worker may report running first
                    world.cluster.submit(job)
                    self.heartbeat_ids.add(ti)
                    self.defer("log_distributor_id", functools.partial(self.log_id_late, job))
                    continue
                result = self._twice(
                    fate.duplicate, "log_distributor_id", self.api.log_distributor_id, ti, job.distributor_id, increment
                )
                if result is not None and result.status is not None and result.status.value == "O":
                    world.cluster.submit(job)
                    self.heartbeat_ids.add(ti)
                continue
            batches[(inst.array_id, inst.array_batch_num)].append(inst)
        for (array_id, batch_num), members in sorted(batches.items()):
            self.launch(array_id, batch_num, members, fates)

    def launch(self, array_id: int, batch_num: int, members: list[_Instance], fates: dict[int, Fate]) -> None:
        world = self.world
        rows = self._call(
            "launch_array_batch", self.api.launch_array_batch, array_id, batch_num, world.timing.report_increment
        )
        launched = {r.task_instance_id for r in rows or [] if r.status is not None and r.status.value == "O"}
        now_ids: dict[int, str] = {}
        late_ids: dict[int, str] = {}
        duplicate = False
        for inst in members:
            ti = inst.task_instance_id
            if ti not in launched or inst.array_step_id is None:
                continue
            fate = fates[ti]
            job = Job(
                ti, fate, f"a{array_id}.{batch_num}_{inst.array_step_id}"[:20], array_id, batch_num, inst.array_step_id
            )
            world.cluster.submit(job)
            self.heartbeat_ids.add(ti)
            (late_ids if fate.late else now_ids)[inst.array_step_id] = job.distributor_id
            duplicate = duplicate or fate.duplicate
        if now_ids:
            self._twice(
                duplicate, "log_array_distributor_ids", self.api.log_array_distributor_ids, array_id, batch_num, now_ids
            )
        if late_ids:
            self.defer(
                "log_array_distributor_ids",
                lambda: self._call(
                    "log_array_distributor_ids", self.api.log_array_distributor_ids, array_id, batch_num, late_ids
                ),
            )

    def log_id_late(self, job: Job) -> None:
        ti = job.task_instance_id
        increment = self.world.timing.report_increment
        result = self._twice(
            job.fate.duplicate, "log_distributor_id", self.api.log_distributor_id, ti, job.distributor_id, increment
        )
        if result is not None and result.status is not None and result.status.value == "O":
            self.heartbeat_ids.add(ti)  # launched only now

    def defer(self, name: str, call: Callable[[], Any]) -> None:
        self.deferred.append((time.monotonic() + 2 * self.world.timing.heartbeat, name, call))

    def run_deferred(self) -> None:
        now = time.monotonic()
        due = [d for d in self.deferred if d[0] <= now]
        self.deferred = [d for d in self.deferred if d[0] > now]
        for _, _, call in due:
            call()

    def heartbeat(self) -> None:
        """The cluster still knows these jobs (pending or running) and their instances are still O."""
        alive = []
        for ti in sorted(self.heartbeat_ids):
            job = self.world.cluster.job(ti)
            if job is not None and job.state in ("pending", "running"):
                alive.append(ti)
            else:
                self.heartbeat_ids.discard(ti)
        if not alive:
            return
        rows = self._call("log_heartbeats", self.api.log_heartbeats, alive, self.world.timing.report_increment)
        for row in rows or []:
            if row.status is None or row.status.value != "O":
                self.heartbeat_ids.discard(row.task_instance_id)

    def reconcile(self, instances: list[_Instance]) -> None:
        """T: ask the cluster; a job still running is left to its next heartbeat. X: kill the job, log E."""
        for inst in instances:
            ti = inst.task_instance_id
            job = self.world.cluster.job(ti)
            if inst.status == "X":
                self.world.cluster.kill(ti)
                self._call(
                    "log_error", self.api.log_known_error, ti, "E", "simulated: no heartbeat while launched; job killed"
                )
                continue
            if job is not None and job.state == "running":
                continue
            silent_death = job is not None and job.fate.outcome == SILENT_WHILE_RUNNING
            if silent_death and job is not None and job.fate.verdict == "Z":
                self._call(
                    "log_error", self.api.log_known_error, ti, "Z", "simulated: the scheduler killed it for memory"
                )
            else:
                self._call("log_unknown_error", self.api.log_unknown_error, ti, "simulated: no exit status found")

    def kill(self, task_instance_ids: list[int]) -> None:
        if not task_instance_ids:
            return
        for ti in task_instance_ids:
            self.world.cluster.kill(ti)
        duplicate = any(
            (job := self.world.cluster.job(ti)) is not None and job.fate.duplicate for ti in task_instance_ids
        )
        self._twice(duplicate, "kill_task_instances", self.api.kill_task_instances, task_instance_ids)


def distributor(world: World) -> None:
    def body() -> None:
        with world.connect("distributor") as conn, world.calls(conn) as api:
            Distributor(world, conn, api).loop()

    _guard(world, "distributor", body)


# ---------------------------------------------------------------------------
# The swarm
# ---------------------------------------------------------------------------


class Swarm:
    """Queues what is ready (G, A), triages silent instances, follows the change feed, resumes once half way."""

    def __init__(self, world: World, conn: psycopg.Connection[Any], api: DirectCalls | HttpCalls) -> None:
        self.world = world
        self.conn = conn
        self.api = api
        self.rec = world.recorder
        self.cursor = 0
        self.last_change = time.monotonic()
        self.next_triage = 0.0

    def loop(self) -> None:
        world = self.world
        while not world.stop.is_set():
            self.follow_feed()
            final = sum(1 for s in world.statuses.values() if s in FINAL_TASK)
            total = len(world.task_ids)
            if world.resume and world.resumed_at is None and final * 2 >= total:
                self.cold_resume()
                continue
            if final == total and (world.resumed_at is not None or not world.resume):
                world.tasks_final.set()
            self.queue_ready()
            now = time.monotonic()
            if now >= self.next_triage:
                for run in world.current_runs():
                    self.rec.call("triage_overdue", self.api.triage_overdue, run, world.timing.launched_grace)
                self.next_triage = now + world.timing.triage_every
            time.sleep(world.timing.poll)

    def follow_feed(self) -> None:
        world = self.world
        changes = self.rec.call("task_status_changes", self.api.task_status_changes, world.workflow_id, self.cursor)
        for change in changes:
            world.statuses[change.task_id] = change.status.value
        self.cursor = next_cursor(changes, self.cursor)
        now = time.monotonic()
        if changes:
            self.last_change = now
        elif now - self.last_change > 3 * world.timing.heartbeat and not world.tasks_final.is_set():
            # A long transaction elsewhere on the server holds the feed's cursor back: read the statuses.
            world.feed_fallbacks += 1
            for task_id, status in self.conn.execute(
                "select id, status from jobmon.task where workflow_id = %s", (world.workflow_id,)
            ):
                world.statuses[task_id] = status
            self.last_change = now

    def queue_ready(self) -> None:
        """Queue tasks in G or A, array by array, while fewer than max_running are in flight (Q, I, O, R)."""
        world = self.world
        ready: dict[tuple[int, str], list[int]] = defaultdict(list)
        in_flight = 0
        for task_id, status in world.statuses.items():
            if status in ("G", "A"):
                ready[(world.array_of[task_id], status)].append(task_id)
            elif status in ("Q", "I", "O", "R"):
                in_flight += 1
        if in_flight and world.max_running - in_flight < max(1, world.max_running // 4):
            return  # wait for room for a batch worth the call
        runs = world.current_runs()
        for (array_id, status), task_ids in sorted(ready.items()):
            resources = world.resources[1] if status == "A" else world.resources[0]
            task_ids.sort()
            while task_ids and in_flight < world.max_running:
                size = min(world.array_size, world.max_running - in_flight)
                chunk, task_ids[:size] = task_ids[:size], []
                in_flight += len(chunk)
                rows = self.rec.call(
                    "queue_task_batch", self.api.queue_task_batch, chunk, array_id, resources, runs[-1]
                )
                for row in rows:
                    if row.applied and row.task_instance_id is not None and row.num_attempts is not None:
                        world.register(row.task_instance_id, row.task_id, row.num_attempts)
                    if row.task_status is not None:
                        world.statuses[row.task_id] = row.task_status.value
                if self.api.through_server:
                    self.register_queued(
                        [r.task_id for r in rows if r.task_status is not None and r.task_status.value == "Q"]
                    )

    def register_queued(self, task_ids: list[int]) -> None:
        """Over HTTP the queue's answer names no task instance: read each queued task's instance and attempt.

        This is the simulation's own bookkeeping (which job script the new attempt gets), not a read
        upstream's swarm makes.
        """
        for ti, task_id, attempts in self.conn.execute(
            """select distinct on (ti.task_id) ti.id, ti.task_id, t.num_attempts
                 from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id
                where ti.task_id = any(%s) order by ti.task_id, ti.id desc""",
            (task_ids,),
        ):
            self.world.register(ti, task_id, attempts)

    def cold_resume(self) -> None:
        """A new workflow run takes over: terminate the old one, reset the tasks, finish what never launched."""
        world, conn = self.world, self.conn
        old = world.current_runs()[-1]
        row = conn.execute(
            "insert into jobmon.workflow_run (workflow_id) values (%s) returning id", (world.workflow_id,)
        ).fetchone()
        assert row is not None
        self.rec.call("terminate_workflow_run", self.api.terminate_workflow_run, old, False)
        for reset in self.rec.call("reset_tasks_for_resume", self.api.reset_tasks_for_resume, world.workflow_id, True):
            world.statuses[reset.task_id] = reset.status.value
        # Instances that were Q or I stay K until their tasks are reset; now they are stale and finish (K -> F).
        self.rec.call("terminate_workflow_run", self.api.terminate_workflow_run, old, False)
        world.add_run(int(row[0]))
        world.resumed_at = time.monotonic()
        world.count("cold_resume")


def swarm(world: World) -> None:
    def body() -> None:
        with world.connect("swarm") as conn, world.calls(conn) as api:
            Swarm(world, conn, api).loop()

    _guard(world, "swarm", body)
