"""jobmon.task_status_changes(): the swarm's incremental sync never misses a change.

The interleavings are deterministic: each transaction is a session of its own
and the test decides when it commits. Other sessions on a shared server can
hold the cursor back (a running transaction anywhere delays the feed, it never
loses a change), so a sync that is expected to return a change is repeated
until the cursor has passed the writer, asserting on every round that nothing
was skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobmon_db import CursorFromAnotherCluster, next_cursor, task_status_changes, transition_task_instance
from jobmon_db.testing import _find_pg_ctl
from tests.factories import make_run_instance, make_workflow_run

XID_BITS = 2**44 - 1  # the transaction id's part of a cursor; the bits above it name the cluster


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
        assert cursor & XID_BITS <= xid_a  # the cursor stays below the running writer
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
        assert task not in seen_1 and cursor & XID_BITS <= xid_a < later
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


# --- After a dump and restore into another cluster ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def other_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster just made by initdb (so with a low transaction counter): its DSN."""
    pg_ctl = _find_pg_ctl()
    if pg_ctl is None:
        pytest.skip("pg_ctl is not installed")
    initdb = str(Path(pg_ctl).with_name("initdb"))
    root = os.geteuid() == 0
    as_user = ["runuser", "-u", "postgres", "--"] if root else []  # initdb refuses to run as root
    data = Path(tempfile.mkdtemp(prefix="jobmon-cluster-"))  # not under pytest's tmp_path: postgres must reach it
    if root:
        shutil.chown(data, "postgres")
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust"],
                       check=True, capture_output=True)  # fmt: skip
        port = _free_port()
        options = f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={data} -p {port}"
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(data / "log"), "start"],
                       check=True, capture_output=True)  # fmt: skip
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def _restore(source_dsn: str, target_server_dsn: str, tmp_path: Path) -> str:
    """pg_dump the source database, pg_restore it into a new database of the target server; its DSN."""
    dump = tmp_path / "jobmon.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), "--dbname", source_dsn], check=True, capture_output=True)
    with psycopg.connect(target_server_dsn, autocommit=True) as server:
        server.execute("create database restored")
    target = target_server_dsn.replace("dbname=postgres", "dbname=restored")
    # The other cluster has none of the jobmon roles: restore without owners and grants.
    subprocess.run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--dbname", target, str(dump)],
                   check=True, capture_output=True)  # fmt: skip
    return target


def test_after_a_restore_into_a_cluster_with_a_lower_counter_0_returns_every_task_and_old_cursors_are_refused(
    conn, db_dsn, other_cluster, tmp_path
):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task_a = make_run_instance(conn, run_id, "R", "R")
    _, task_b = make_run_instance(conn, run_id, "Q", "Q")
    writer = _xid_of_change(conn, lambda: transition_task_instance(conn, ti, "D"))
    _, cursor = sync_until_past(conn, workflow_id, 0, writer)

    target = _restore(db_dsn, other_cluster, tmp_path)
    with psycopg.connect(target, autocommit=True) as restored:
        restored_xid = _xid(restored)
        assert restored_xid < writer  # the scenario: the new cluster's counter is below the ids in the rows
        assert {r.task_id: r.status.value for r in task_status_changes(restored, workflow_id, 0)} == {
            task_a: "D",
            task_b: "Q",
        }
        with pytest.raises(CursorFromAnotherCluster, match="from another cluster") as refused:
            task_status_changes(restored, workflow_id, cursor)
        assert refused.value.sqlstate == "JM030" and "Start again from 0" in (refused.value.hint or "")

        # From 0 on, the feed works on the new cluster: a change made there comes back to the new cursor.
        fresh = next_cursor(task_status_changes(restored, workflow_id, 0), 0)
        (queued,) = restored.execute("select id from jobmon.task_instance where task_id = %s", (task_b,)).fetchone()
        later = _xid_of_change(restored, lambda: transition_task_instance(restored, queued, "I"))
        seen, _ = sync_until_past(restored, workflow_id, fresh, later)
        assert seen == {task_b: "I"}
        assert task_status_changes(conn, workflow_id, cursor) == []  # the source's own cursors still work there


def _horizon_query() -> str:
    """The query docs/sql-api.md gives for what holds the feed back."""
    text = (Path(__file__).parent.parent / "docs" / "sql-api.md").read_text()
    section = text[text.index("**The horizon.**") :]
    return section[section.index("```sql") + len("```sql") : section.index("```", section.index("```sql") + 6)]


def test_an_idle_transaction_in_another_database_holds_the_feed_back_and_the_documented_query_shows_it(
    conn, server_dsn
):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R")
    cursor = _synced(conn, workflow_id)
    with psycopg.connect(server_dsn, autocommit=True) as server:
        server.execute("drop database if exists jobmon_feed_horizon")
        server.execute("create database jobmon_feed_horizon")
    try:
        other = psycopg.connect(server_dsn.replace("dbname=postgres", "dbname=jobmon_feed_horizon"))
        with other:
            idle_xid = _xid(other)  # a transaction with an id, left idle in another database
            idle_pid = other.info.backend_pid
            writer = _xid_of_change(conn, lambda: transition_task_instance(conn, ti, "D"))
            rows = task_status_changes(conn, workflow_id, cursor)
            assert rows == [] and next_cursor(rows, cursor) & XID_BITS <= idle_xid < writer  # held back
            holding = {r[1]: r for r in conn.execute(_horizon_query()).fetchall()}
            assert holding[idle_pid][0] == "jobmon_feed_horizon" and int(holding[idle_pid][3]) == idle_xid
            assert holding[idle_pid][2] == "idle in transaction"
            other.commit()
        seen, _ = sync_until_past(conn, workflow_id, cursor, writer)  # delayed, never lost
        assert seen == {task: "D"}
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as server:
            server.execute("drop database if exists jobmon_feed_horizon with (force)")


def test_a_cursor_from_before_migration_0010_still_works_on_the_same_cluster(conn):
    workflow_id, run_id = make_workflow_run(conn)
    ti, task = make_run_instance(conn, run_id, "R", "R")
    conn.execute("update jobmon.task set status_cluster = 0 where workflow_id = %s", (workflow_id,))  # as before 0010
    legacy = _synced(conn, workflow_id) & XID_BITS  # a bare transaction id, as 0.1.0 gave it
    assert task_status_changes(conn, workflow_id, legacy) == []
    writer = _xid_of_change(conn, lambda: transition_task_instance(conn, ti, "D"))
    seen, cursor = sync_until_past(conn, workflow_id, legacy, writer)
    assert seen == {task: "D"} and cursor > XID_BITS  # the next cursor carries the cluster
