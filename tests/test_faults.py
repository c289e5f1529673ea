"""Faults around a transition: killed connections, caller timeouts, caller transactions, a connection pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from jobmon_db import (
    InvalidStateTransition,
    RetryableError,
    TransitionTimeout,
    transition_task_instance,
    transition_task_instance_async,
)
from tests.factories import make_task_instance, snapshot
from tests.test_races import WAIT_SECONDS, Reporter, report, statuses, wait_until_blocked


@pytest.fixture
def conn(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit observer connection to the module's database (every test makes its own rows)."""
    with psycopg.connect(module_db_dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture
def holder(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose open transaction holds row locks; rolled back and closed afterwards."""
    connection = psycopg.connect(module_db_dsn, application_name="fault-holder")
    try:
        yield connection
    finally:
        connection.close()  # the server rolls back whatever is still open


def wait_until_gone(observer: psycopg.Connection[Any], pid: int, timeout: float = WAIT_SECONDS) -> None:
    """Wait until backend `pid` has left pg_stat_activity."""
    deadline = time.monotonic() + timeout
    while observer.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone() is not None:
        if time.monotonic() > deadline:
            raise AssertionError(f"backend {pid} still present after {timeout}s")
        time.sleep(0.01)


def terminate(observer: psycopg.Connection[Any], pid: int) -> None:
    row = observer.execute("select pg_terminate_backend(%s, %s)", (pid, int(WAIT_SECONDS * 1000))).fetchone()
    assert row == (True,)
    wait_until_gone(observer, pid)


# ---------------------------------------------------------------------------
# A connection killed in the middle of a transaction
# ---------------------------------------------------------------------------


def test_killed_transaction_leaves_nothing_and_frees_the_row(
    conn: psycopg.Connection[Any], holder: psycopg.Connection[Any]
) -> None:
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    before = snapshot(conn, ti)
    assert transition_task_instance(holder, ti, "U").applied  # task R -> E -> G, uncommitted
    assert holder.info.transaction_status == TransactionStatus.INTRANS

    terminate(conn, holder.info.backend_pid)

    assert snapshot(conn, ti) == before
    with pytest.raises(psycopg.OperationalError):
        holder.commit()
    # The row is free: a caller that will not wait at all gets it at once.
    conn.execute("set lock_timeout = '1ms'")
    try:
        done = transition_task_instance(conn, ti, "D")
    finally:
        conn.execute("reset lock_timeout")
    assert done.applied and done.previous_status.value == "R" and done.task_previous_status.value == "R"


def test_waiter_proceeds_on_the_old_state_when_the_holder_is_killed(
    conn: psycopg.Connection[Any], holder: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    worker = Reporter(module_db_dsn, "worker")
    try:
        assert transition_task_instance(holder, ti, "U").applied
        waiting = worker.start(report("D"), ti, task)
        assert wait_until_blocked(conn, worker.pid) == {holder.info.backend_pid}

        terminate(conn, holder.info.backend_pid)

        done = waiting.result(timeout=WAIT_SECONDS)
    finally:
        worker.close()
    # The killed reconciler's UNKNOWN_ERROR never happened: DONE is applied from R, not untimely from U.
    assert done.applied and done.previous_status.value == "R"
    assert statuses(conn, ti) == ("D", "D", 1)


def test_killing_a_blocked_caller_changes_nothing_of_its_request(
    conn: psycopg.Connection[Any], holder: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    reconciler = Reporter(module_db_dsn, "reconciler")
    try:
        assert transition_task_instance(holder, ti, "D").applied
        waiting = reconciler.start(report("U"), ti, task)
        wait_until_blocked(conn, reconciler.pid)

        terminate(conn, reconciler.pid)

        # The killed caller gets psycopg's own error: the connection is gone, nothing to map.
        with pytest.raises(psycopg.OperationalError) as raised:
            waiting.result(timeout=WAIT_SECONDS)
        assert raised.value.sqlstate in ("57P01", None)
        holder.commit()
    finally:
        reconciler.close()
    assert statuses(conn, ti) == ("D", "D", 1)


# ---------------------------------------------------------------------------
# Timeouts set by the caller
# ---------------------------------------------------------------------------

TIMEOUTS = {
    "lock_timeout": (
        "55P03",
        "canceling statement due to lock timeout (retryable: another transaction held the row too long; {advice})",
        psycopg.errors.LockNotAvailable,
    ),
    "statement_timeout": (
        "57014",
        "canceling statement due to statement timeout (retryable: the call was cancelled before it finished; {advice})",
        psycopg.errors.QueryCanceled,
    ),
}
# In autocommit mode the failed call was all there was; in the caller's transaction, all of it is lost.
ADVICE = {
    "session": "nothing was changed",
    "transaction": "your transaction is aborted: roll it back and retry the whole transaction,"
    " since its earlier statements are undone too",
}


@pytest.mark.parametrize("scope", ["session", "transaction"])
@pytest.mark.parametrize("setting", TIMEOUTS.keys())
def test_blocked_call_times_out_as_retryable_transition_timeout_and_changes_nothing(
    conn: psycopg.Connection[Any], holder: psycopg.Connection[Any], module_db_dsn: str, setting: str, scope: str
) -> None:
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    before = snapshot(conn, ti)
    assert transition_task_instance(holder, ti, "E").applied  # holds the task and task-instance rows

    with psycopg.connect(module_db_dsn, autocommit=True) as caller:
        started = time.monotonic()
        with pytest.raises(TransitionTimeout) as raised:
            if scope == "session":
                caller.execute(f"set {setting} = '150ms'")
                transition_task_instance(caller, ti, "U")
            else:
                with caller.transaction():
                    caller.execute(f"set local {setting} = '150ms'")
                    transition_task_instance(caller, ti, "U")
        waited = time.monotonic() - started
        sqlstate, message, psycopg_error = TIMEOUTS[setting]
        error = raised.value
        assert isinstance(error, RetryableError) and error.retryable is True
        assert error.sqlstate == sqlstate
        assert str(error) == message.format(advice=ADVICE[scope])
        assert type(error.__cause__) is psycopg_error
        assert 0.1 < waited < WAIT_SECONDS
        assert caller.info.transaction_status == TransactionStatus.IDLE  # usable again

        holder.rollback()
        assert snapshot(conn, ti) == before  # neither the holder's nor the timed-out call's change
        # Retrying once the row is free succeeds.
        retried = transition_task_instance(caller, ti, "U")
        assert retried.applied and retried.previous_status.value == "R"


# ---------------------------------------------------------------------------
# The wrapper in the caller's transaction, and in autocommit mode
# ---------------------------------------------------------------------------


def test_wrapper_joins_the_callers_transaction_and_its_rollback_undoes_the_transition(
    conn: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    before = snapshot(conn, ti)
    with psycopg.connect(module_db_dsn) as caller:  # autocommit off: psycopg opens a transaction
        assert transition_task_instance(caller, ti, "I").applied
        assert transition_task_instance(caller, ti, "O").applied
        assert caller.info.transaction_status == TransactionStatus.INTRANS  # the wrapper did not commit
        assert snapshot(conn, ti) == before  # not visible to others
        caller.rollback()
    assert snapshot(conn, ti) == before


def test_wrapper_joins_the_callers_transaction_and_its_commit_publishes_every_transition(
    conn: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    with psycopg.connect(module_db_dsn, autocommit=True) as caller:
        with caller.transaction():
            transition_task_instance(caller, ti, "I")
            transition_task_instance(caller, ti, "O")
            assert statuses(conn, ti) == ("Q", "Q", 1)
    assert statuses(conn, ti) == ("O", "O", 1)


def test_failed_call_leaves_the_callers_transaction_aborted_for_the_caller_to_roll_back(
    conn: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    before = snapshot(conn, ti)
    with psycopg.connect(module_db_dsn) as caller:
        assert transition_task_instance(caller, ti, "I").applied
        with pytest.raises(InvalidStateTransition):
            transition_task_instance(caller, ti, "D")
        # The wrapper neither rolled back nor committed: the transaction is the caller's, now failed.
        assert caller.info.transaction_status == TransactionStatus.INERROR
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            caller.execute("select 1")
        caller.rollback()
        assert caller.info.transaction_status == TransactionStatus.IDLE
    assert snapshot(conn, ti) == before  # the earlier, successful Q -> I was undone with it


def test_wrapper_in_autocommit_mode_commits_each_call_and_keeps_no_transaction(
    conn: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    with psycopg.connect(module_db_dsn, autocommit=True) as caller:
        assert transition_task_instance(caller, ti, "I").applied
        assert caller.info.transaction_status == TransactionStatus.IDLE
        assert statuses(conn, ti) == ("I", "I", 1)  # visible at once
        with pytest.raises(InvalidStateTransition):
            transition_task_instance(caller, ti, "D")
        assert caller.info.transaction_status == TransactionStatus.IDLE
        assert transition_task_instance(caller, ti, "O").applied
    assert statuses(conn, ti) == ("O", "O", 1)


# ---------------------------------------------------------------------------
# A connection pool
# ---------------------------------------------------------------------------


def test_pool_threads_drive_many_task_instances_to_done(conn: psycopg.Connection[Any], module_db_dsn: str) -> None:
    instances = [make_task_instance(conn, "Q", "Q", num_attempts=1)[0] for _ in range(12)]
    with ConnectionPool(module_db_dsn, min_size=2, max_size=4, open=True, timeout=WAIT_SECONDS) as pool:

        def drive(ti: int) -> list[str]:
            outcomes = []
            for status in "IORD":
                with pool.connection() as pooled:  # commits on leaving
                    outcomes.append(transition_task_instance(pooled, ti, status).outcome)
            return outcomes

        with ThreadPoolExecutor(max_workers=4) as threads:
            results = list(threads.map(drive, instances, timeout=WAIT_SECONDS * 3))
    assert results == [["applied"] * 4] * len(instances)
    assert {statuses(conn, ti) for ti in instances} == {("D", "D", 1)}


def test_pool_rolls_back_a_failed_request_and_hands_out_a_clean_connection(
    conn: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    before = snapshot(conn, ti)
    with ConnectionPool(module_db_dsn, min_size=1, max_size=1, open=True, timeout=WAIT_SECONDS) as pool:
        with pytest.raises(InvalidStateTransition):
            with pool.connection() as pooled:
                first_pid = pooled.info.backend_pid
                transition_task_instance(pooled, ti, "I")
                transition_task_instance(pooled, ti, "D")
        assert snapshot(conn, ti) == before
        with pool.connection() as pooled:
            assert pooled.info.backend_pid == first_pid  # the same connection, back in the pool
            assert pooled.info.transaction_status == TransactionStatus.IDLE
            assert transition_task_instance(pooled, ti, "I").applied
    assert statuses(conn, ti) == ("I", "I", 1)


def test_pool_configured_lock_timeout_gives_transition_timeout(
    conn: psycopg.Connection[Any], holder: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)

    def configure(new: psycopg.Connection[Any]) -> None:
        new.execute("set lock_timeout = '100ms'")
        new.commit()

    with ConnectionPool(module_db_dsn, min_size=1, max_size=1, open=True, configure=configure) as pool:
        assert transition_task_instance(holder, ti, "D").applied
        with pytest.raises(TransitionTimeout) as raised:
            with pool.connection() as pooled:
                transition_task_instance(pooled, ti, "U")
        assert raised.value.retryable and raised.value.sqlstate == "55P03"
        holder.commit()
        with pool.connection() as pooled:
            retried = transition_task_instance(pooled, ti, "U")
    assert retried.untimely and retried.previous_status.value == "D"


def test_async_pool_race_applies_exactly_one_of_done_and_unknown_error(
    conn: psycopg.Connection[Any], module_db_dsn: str
) -> None:
    pairs = [make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3) for _ in range(8)]

    async def race() -> list[list[str]]:
        async with AsyncConnectionPool(module_db_dsn, min_size=4, max_size=4, open=False) as pool:

            async def send(ti: int, status: str) -> str:
                async with pool.connection() as pooled:
                    return (await transition_task_instance_async(pooled, ti, status)).outcome

            return [sorted(await asyncio.gather(send(ti, "D"), send(ti, "U"))) for ti, _ in pairs]

    outcomes = asyncio.run(asyncio.wait_for(race(), timeout=WAIT_SECONDS * 3))
    assert outcomes == [["applied", "untimely"]] * len(pairs)
    assert {statuses(conn, ti) for ti, _ in pairs} <= {("D", "D", 1), ("U", "G", 1)}
