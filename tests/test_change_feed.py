"""jobmon.task_status_changes(): the swarm's incremental sync never misses a change.

The interleavings are deterministic: each transaction is a session of its own
and the test decides when it commits. Other sessions on a shared server can
hold the cursor back (a running transaction anywhere delays the feed, it never
loses a change), so a sync that is expected to return a change is repeated
until the cursor has passed the writer, asserting on every round that nothing
was skipped.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from jobmon_db import next_cursor, task_status_changes, transition_task_instance
from tests.factories import make_run_instance, make_workflow_run


def _xid(session: psycopg.Connection[Any]) -> int:
    return int(session.execute("select pg_current_xact_id()::text").fetchone()[0])


def sync_until_past(
    conn: psycopg.Connection[Any], workflow_id: int, after: int, xid: int
) -> tuple[dict[int, str], int]:
    """Sync from `after` until the cursor passes xid; every round returns only what it may (cursor <= xid: not yet)."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + 120  # a long transaction elsewhere on a shared server delays the feed
    while True:
        horizon = int(conn.execute("select pg_snapshot_xmin(pg_current_snapshot())::text").fetchone()[0])
        rows = task_status_changes(conn, workflow_id, after)  # its snapshot is newer: its cursor >= horizon
        assert all(r.cursor >= horizon for r in rows)
        seen.update({r.task_id: r.status.value for r in rows})
        after = next_cursor(rows, after)
        if horizon > xid:
            return seen, after
        assert time.monotonic() < deadline, "another session held the cursor back for 120 s"
        time.sleep(0.05)


def test_cursor_zero_returns_every_task_and_then_only_changes(conn):
    workflow_id, run_id = make_workflow_run(conn)
    a, task_a = make_run_instance(conn, run_id, "R", "R")
    _, task_b = make_run_instance(conn, run_id, "Q", "Q")
    _, other_run = make_workflow_run(conn)
    make_run_instance(conn, other_run, "R", "R")

    inserted = int(conn.execute("select max(status_xid)::text from jobmon.task").fetchone()[0])
    first, cursor = sync_until_past(conn, workflow_id, 0, inserted)
    assert first == {task_a: "R", task_b: "Q"}

    writer = _xid_of_change(conn, lambda: transition_task_instance(conn, a, "D"))
    seen, cursor = sync_until_past(conn, workflow_id, cursor, writer)
    assert seen == {task_a: "D"}
    assert task_status_changes(conn, workflow_id, cursor) == []  # nothing changed since


def _synced(conn: psycopg.Connection[Any], workflow_id: int) -> int:
    """A cursor past every change made so far."""
    inserted = int(conn.execute("select max(status_xid)::text from jobmon.task").fetchone()[0])
    return sync_until_past(conn, workflow_id, 0, inserted)[1]


def _xid_of_change(conn: psycopg.Connection[Any], change: Any) -> int:
    conn.execute("begin")
    xid = _xid(conn)
    change()
    conn.execute("commit")
    return xid


def test_a_change_committed_after_a_sync_by_a_transaction_that_started_before_it_is_returned(conn, db_dsn):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R")
    cursor = _synced(conn, workflow_id)

    with psycopg.connect(db_dsn) as a:  # transaction A starts and changes the task
        xid_a = _xid(a)
        transition_task_instance(a, ti, "D")
        started_at = a.execute("select now()").fetchone()[0]

        sync_1 = task_status_changes(conn, workflow_id, cursor)  # A is still running
        assert sync_1 == []
        cursor = next_cursor(sync_1, cursor)
        assert cursor <= xid_a  # the cursor stays below the running writer
        last_sync = conn.execute("select clock_timestamp()").fetchone()[0]
        a.commit()

    # Upstream's "status_date >= last_sync" misses exactly this change: it is dated before the sync.
    status_date = conn.execute("select status_date from jobmon.task where id = %s", (task,)).fetchone()[0]
    assert status_date == started_at < last_sync
    seen, _ = sync_until_past(conn, workflow_id, cursor, xid_a)
    assert seen == {task: "D"}


def test_a_transaction_that_took_its_id_before_a_sync_and_changed_the_task_after_it_is_returned(conn, db_dsn):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R")
    _, unrelated = make_run_instance(conn, run_id, "R", "R")
    cursor = _synced(conn, workflow_id)

    with psycopg.connect(db_dsn) as a:
        a.execute("update jobmon.workflow set name = 'renamed' where id = %s", (workflow_id,))  # A has its id
        xid_a = _xid(a)
        later = _xid_of_change(
            conn, lambda: conn.execute("update jobmon.task set status = 'D' where id = %s", (unrelated,))
        )
        seen_1, cursor = {}, cursor
        rows = task_status_changes(conn, workflow_id, cursor)  # a younger change committed; A still runs
        seen_1 = {r.task_id: r.status.value for r in rows}
        cursor = next_cursor(rows, cursor)
        assert task not in seen_1 and cursor <= xid_a < later
        transition_task_instance(a, ti, "D")  # A changes the task only now, after the sync
        a.commit()

    seen, _ = sync_until_past(conn, workflow_id, cursor, max(xid_a, later))
    assert seen[task] == "D" and {**seen_1, **seen}[unrelated] == "D"


def test_a_rolled_back_change_is_never_returned(conn, db_dsn):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R")
    cursor = _synced(conn, workflow_id)
    with psycopg.connect(db_dsn) as a:
        xid_a = _xid(a)
        transition_task_instance(a, ti, "D")
        a.rollback()
    seen, _ = sync_until_past(conn, workflow_id, cursor, xid_a)
    assert seen == {}


def test_a_change_of_attempts_only_is_no_status_change(conn):
    workflow_id, run_id = make_workflow_run(conn)
    _, task = make_run_instance(conn, run_id, "R", "R")
    cursor = _synced(conn, workflow_id)
    xid = _xid_of_change(conn, lambda: conn.execute("update jobmon.task set num_attempts = 2 where id = %s", (task,)))
    seen, _ = sync_until_past(conn, workflow_id, cursor, xid)
    assert seen == {}
