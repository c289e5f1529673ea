"""Deterministic races: reporters on their own connections, interleaved step by step.

The first reporter calls the function inside an open transaction and so holds
the row locks. The second (and third) reporter calls it from its own thread;
the test waits until pg_stat_activity shows that backend waiting on a lock
(and pg_blocking_pids names its blocker), checks nothing is visible yet, then
commits the first reporter's transaction and looks at what the others got.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from jobmon_db import InvalidStateTransition, TransitionResult, transition_task_instance
from tests.factories import make_task_instance, snapshot

#: Upper bound of every wait in these tests; a bug fails the test instead of hanging it.
WAIT_SECONDS = 10.0

Action = Callable[[psycopg.Connection[Any], int, int], TransitionResult]


class Reporter:
    """A distributor, worker node or reconciler: its own connection and its own thread."""

    def __init__(self, dsn: str, name: str, *, autocommit: bool = True) -> None:
        self.name = name
        self.conn = psycopg.connect(dsn, autocommit=autocommit, application_name=f"race-{name}")
        # A safety net only: no statement in these tests should come near it.
        self.conn.execute("set statement_timeout = '20s'")
        if not autocommit:
            self.conn.commit()
        self.pid = self.conn.info.backend_pid
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def call(self, action: Action, ti: int, task: int) -> TransitionResult:
        """Run the action on this connection, in the calling thread."""
        return action(self.conn, ti, task)

    def start(self, action: Action, ti: int, task: int) -> Future[TransitionResult]:
        """Run the action on this connection in this reporter's thread."""
        return self._thread.submit(action, self.conn, ti, task)

    def close(self) -> None:
        """Cancel whatever this reporter still waits for, then close its thread and connection."""
        if not self.conn.closed:
            self.conn.cancel_safe(timeout=WAIT_SECONDS)
        self._thread.shutdown(wait=True, cancel_futures=True)
        self.conn.close()


@pytest.fixture
def conn(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """The test's observer: an autocommit connection to the module's database (every test makes its own rows)."""
    with psycopg.connect(module_db_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def reporters(module_db_dsn: str) -> Iterator[Callable[..., Reporter]]:
    """A factory of Reporters on the module's database, all rolled back and closed afterwards."""
    made: list[Reporter] = []

    def make(name: str, *, autocommit: bool = True) -> Reporter:
        reporter = Reporter(module_db_dsn, name, autocommit=autocommit)
        made.append(reporter)
        return reporter

    yield make
    for reporter in made:
        if not reporter.conn.closed and not reporter.conn.autocommit:
            reporter.conn.rollback()  # releases any lock a failed test left held
    for reporter in made:
        reporter.close()


def wait_until_blocked(observer: psycopg.Connection[Any], pid: int, timeout: float = WAIT_SECONDS) -> set[int]:
    """Wait until backend `pid` waits on a lock; return the pids blocking it (pg_blocking_pids)."""
    deadline = time.monotonic() + timeout
    while True:
        row = observer.execute(
            "select a.wait_event_type, pg_blocking_pids(a.pid) from pg_stat_activity a where a.pid = %s", (pid,)
        ).fetchone()
        if row is not None and row[0] == "Lock" and row[1]:
            return set(row[1])
        if time.monotonic() > deadline:
            raise AssertionError(f"backend {pid} was not seen waiting on a lock within {timeout}s (last seen: {row})")
        time.sleep(0.005)


def statuses(conn: psycopg.Connection[Any], ti: int) -> tuple[str, str, int]:
    """(task instance status, task status, task num_attempts) as committed."""
    ti_status, _, task_status, num_attempts, _ = snapshot(conn, ti)
    return ti_status, task_status, num_attempts


def report(status: str) -> Action:
    """A status report: one call of the transition function."""

    def action(conn: psycopg.Connection[Any], ti: int, task: int) -> TransitionResult:
        return transition_task_instance(conn, ti, status)

    action.__name__ = f"report_{status}"
    return action


def resume_with_reset(conn: psycopg.Connection[Any], ti: int, task: int) -> TransitionResult:
    """A workflow resume: tell the task instance to kill itself and reset its task to G, in one transaction."""
    result = transition_task_instance(conn, ti, "K")
    conn.execute("update jobmon.task set status = 'G', status_date = now() where id = %s", (task,))
    return result


@dataclass(frozen=True)
class Race:
    """Two reports on one task instance; `first` holds its locks while `second` waits for them."""

    start: tuple[str, str, int, int]  # task instance status, task status, num_attempts, max_attempts
    first: tuple[str, Action]  # (reporter, action)
    second: tuple[str, Action]
    second_outcome: str  # 'applied', 'untimely', or the error it raises, as 'JM001 TaskInstance D->K'
    end: tuple[str, str, int]  # task instance status, task status, num_attempts


RACES = {
    # worker DONE vs reconciler UNKNOWN_ERROR, both orders: one applied, the other untimely
    "worker_done_then_reconciler_unknown_error": Race(
        ("R", "R", 1, 3), ("worker", report("D")), ("reconciler", report("U")), "untimely", ("D", "D", 1)
    ),
    "reconciler_unknown_error_then_worker_done": Race(
        ("R", "R", 1, 3), ("reconciler", report("U")), ("worker", report("D")), "untimely", ("U", "G", 1)
    ),
    "reconciler_unknown_error_on_last_attempt_then_worker_done": Race(
        ("R", "R", 1, 1), ("reconciler", report("U")), ("worker", report("D")), "untimely", ("U", "F", 1)
    ),
    # worker RUNNING vs distributor LAUNCHED: R->O is untimely; O->R is a valid move
    "worker_running_then_distributor_launched": Race(
        ("I", "I", 1, 3), ("worker", report("R")), ("distributor", report("O")), "untimely", ("R", "R", 1)
    ),
    "distributor_launched_then_worker_running": Race(
        ("I", "I", 1, 3), ("distributor", report("O")), ("worker", report("R")), "applied", ("R", "R", 1)
    ),
    # a resume sets KILL_SELF while the worker reports DONE
    "resume_kill_self_then_worker_done": Race(
        ("R", "R", 1, 3), ("resume", report("K")), ("worker", report("D")), "applied", ("D", "D", 1)
    ),
    "worker_done_then_resume_kill_self": Race(
        ("R", "R", 1, 3), ("worker", report("D")), ("resume", report("K")), "JM001 TaskInstance D->K", ("D", "D", 1)
    ),
    "resume_resetting_task_then_worker_done": Race(
        ("R", "R", 1, 3), ("resume", resume_with_reset), ("worker", report("D")), "JM002 Task G->D", ("K", "G", 1)
    ),
    # the task stays R, so the waiter's first read is the status before the kill: R -> F is invalid there,
    # K -> F is valid once read again under the lock
    "resume_kill_self_then_worker_fatal": Race(
        ("R", "R", 1, 3), ("resume", report("K")), ("worker", report("F")), "applied", ("F", "F", 1)
    ),
    # a resume sets KILL_SELF while the worker reports ERROR
    "resume_kill_self_then_worker_error": Race(
        ("R", "R", 1, 3), ("resume", report("K")), ("worker", report("E")), "untimely", ("K", "R", 1)
    ),
    "worker_error_then_resume_kill_self": Race(
        ("R", "R", 1, 3), ("worker", report("E")), ("resume", report("K")), "JM001 TaskInstance E->K", ("E", "G", 1)
    ),
    # worker and distributor both report ERROR: E->E untimely, the retry decision is taken once
    "worker_error_then_distributor_error": Race(
        ("R", "R", 1, 3), ("worker", report("E")), ("distributor", report("E")), "untimely", ("E", "G", 1)
    ),
    "worker_error_on_last_attempt_then_distributor_error": Race(
        ("R", "R", 2, 2), ("worker", report("E")), ("distributor", report("E")), "untimely", ("E", "F", 2)
    ),
}


@pytest.mark.parametrize("race", RACES.values(), ids=RACES.keys())
def test_second_report_waits_for_first_and_sees_its_committed_result(
    conn: psycopg.Connection[Any], reporters: Callable[..., Reporter], race: Race
) -> None:
    ti, task = make_task_instance(conn, *race.start)
    before = snapshot(conn, ti)
    (first_name, first_action), (second_name, second_action) = race.first, race.second
    first = reporters(first_name, autocommit=False)
    second = reporters(second_name)

    won = first.call(first_action, ti, task)
    assert won.applied
    waiting = second.start(second_action, ti, task)
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    assert not waiting.done()
    assert snapshot(conn, ti) == before, "the first report is visible before its commit"
    first.conn.commit()
    after_first = snapshot(conn, ti)

    if race.second_outcome.startswith("JM"):
        with pytest.raises(InvalidStateTransition) as raised:
            waiting.result(timeout=WAIT_SECONDS)
        error = raised.value
        # Refused from the status the first report left, not from the one it read before the lock.
        assert f"{error.sqlstate} {error.model} {error.from_status}->{error.to_status}" == race.second_outcome
    else:
        lost = waiting.result(timeout=WAIT_SECONDS)
        assert lost.outcome == race.second_outcome
        # The waiter decided on the committed result of the first report, not on what it read before the lock.
        assert lost.previous_status == won.status
        assert lost.task_previous_status == won.task_status
        assert (lost.status.value, lost.task_status.value, lost.task_num_attempts) == race.end

    assert statuses(conn, ti) == race.end
    if race.second_outcome != "applied":
        assert snapshot(conn, ti) == after_first, "the losing report changed the rows"


def test_three_reporters_queue_behind_one_error_and_the_retry_decision_is_taken_once(
    conn: psycopg.Connection[Any], reporters: Callable[..., Reporter]
) -> None:
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    worker = reporters("worker", autocommit=False)
    distributor = reporters("distributor")
    reconciler = reporters("reconciler")

    won = transition_task_instance(worker.conn, ti, "E")
    distributor_waiting = distributor.start(report("E"), ti, task)
    assert worker.pid in wait_until_blocked(conn, distributor.pid)
    reconciler_waiting = reconciler.start(report("U"), ti, task)
    # The third waits behind the holder or behind the second, queued on the same row.
    assert wait_until_blocked(conn, reconciler.pid) <= {worker.pid, distributor.pid}
    worker.conn.commit()
    after_worker = snapshot(conn, ti)

    late = [distributor_waiting.result(timeout=WAIT_SECONDS), reconciler_waiting.result(timeout=WAIT_SECONDS)]
    assert won.applied and (won.task_status.value, won.task_num_attempts) == ("G", 1)
    assert [r.outcome for r in late] == ["untimely", "untimely"]
    assert [(r.previous_status.value, r.task_status.value, r.task_num_attempts) for r in late] == [("E", "G", 1)] * 2
    assert snapshot(conn, ti) == after_worker  # task status_date too: the task was moved once


def test_waiter_applies_its_report_when_the_holder_rolls_back(
    conn: psycopg.Connection[Any], reporters: Callable[..., Reporter]
) -> None:
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    before = snapshot(conn, ti)
    reconciler = reporters("reconciler", autocommit=False)
    worker = reporters("worker")

    assert transition_task_instance(reconciler.conn, ti, "U").applied
    waiting = worker.start(report("D"), ti, task)
    assert wait_until_blocked(conn, worker.pid) == {reconciler.pid}
    reconciler.conn.rollback()

    done = waiting.result(timeout=WAIT_SECONDS)
    assert done.applied
    assert (done.previous_status.value, done.task_previous_status.value) == ("R", "R")
    assert statuses(conn, ti) == ("D", "D", 1)
    assert snapshot(conn, ti)[1] > before[1]


def test_reports_on_two_instances_of_one_task_serialise_on_the_task_row(
    conn: psycopg.Connection[Any], reporters: Callable[..., Reporter]
) -> None:
    ti_a, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    ti_b = conn.execute(
        "insert into jobmon.task_instance (task_id, status) values (%s, 'R') returning id", (task,)
    ).fetchone()[0]
    worker_a = reporters("worker-a", autocommit=False)
    worker_b = reporters("worker-b")

    assert transition_task_instance(worker_a.conn, ti_a, "E").applied  # task R -> E -> G
    waiting = worker_b.start(report("D"), ti_b, task)
    assert wait_until_blocked(conn, worker_b.pid) == {worker_a.pid}
    worker_a.conn.commit()

    # The second instance's DONE asks for task G -> D, invalid once the first error reset the task.
    with pytest.raises(InvalidStateTransition) as raised:
        waiting.result(timeout=WAIT_SECONDS)
    assert (raised.value.sqlstate, raised.value.model, raised.value.from_status, raised.value.to_status) == (
        "JM002",
        "Task",
        "G",
        "D",
    )
    assert statuses(conn, ti_b) == ("R", "G", 1)
    assert statuses(conn, ti_a) == ("E", "G", 1)
