"""The write path: the set-based core re-decides a lost re-check, heartbeats are HOT, deadlines count from the write."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.factories import make_array, make_array_batch, make_run_instance, make_workflow_run

ROOT = Path(__file__).resolve().parent.parent


def _wait_until_waiting_for_a_lock(conn: psycopg.Connection[Any], pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = conn.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
        if row is not None and row[0] == "Lock":
            return
        time.sleep(0.02)
    activity = conn.execute("select pid, wait_event_type, state, left(query, 80) from pg_stat_activity").fetchall()
    raise AssertionError(f"the batch never waited for the row lock: {activity}")


def test_a_batch_move_whose_re_check_fails_decides_again_and_never_moves_the_task_alone(conn, db_dsn):
    array_id, _, _ = make_array(conn)
    [(ti, task)] = make_array_batch(conn, array_id, [("Q", "Q")])
    with psycopg.connect(db_dsn) as rogue, psycopg.connect(db_dsn, autocommit=True) as batch:
        # A writer that ignores the lock order: the instance, not its task, held until it commits K.
        rogue.execute("update jobmon.task_instance set status = 'K' where id = %s", (ti,))
        pid = batch.info.backend_pid
        result: list[Any] = []
        caller = threading.Thread(
            target=lambda: result.extend(
                batch.execute(
                    "select task_instance_id, outcome, status from jobmon.instantiate_task_instances(%s)",
                    ([ti],),
                ).fetchall()
            )
        )
        caller.start()
        _wait_until_waiting_for_a_lock(conn, pid)
        rogue.commit()
        caller.join(30)
    assert result == [(ti, "skipped", "K")]  # decided again on K: not moved, and neither is its task
    row = conn.execute(
        "select ti.status, t.status from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
        " where ti.id = %s",
        (ti,),
    ).fetchone()
    assert row == ("K", "Q")
    assert conn.execute("select count(*) from jobmon.transition_history where task_id = %s", (task,)).fetchone() == (0,)


def _update_counts(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    row = conn.execute(
        "select n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relid = 'jobmon.task_instance'::regclass"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_steady_stream_of_heartbeats_is_hot(conn, db_dsn):
    # An autovacuum ANALYZE landing mid-stream holds a snapshot that keeps the old versions from being pruned.
    conn.execute("alter table jobmon.task_instance set (autovacuum_enabled = off)")
    array_id, _, _ = make_array(conn)
    made = make_array_batch(conn, array_id, [("I", "I")] * 1000)
    conn.execute("select * from jobmon.launch_array_batch(%s, 1, '1 minute')", (array_id,))
    ids = [ti for ti, _ in made]
    with psycopg.connect(db_dsn, autocommit=True) as reader:
        conn.execute("select pg_stat_force_next_flush()")
        before = _update_counts(reader)
        for _ in range(4):
            for start in range(0, len(ids), 500):
                conn.execute("select * from jobmon.log_heartbeats(%s, '90 seconds')", (ids[start : start + 500],))
            for ti in ids[:100]:
                conn.execute("select * from jobmon.log_heartbeat(%s, '90 seconds')", (ti,))
        conn.execute("select pg_stat_force_next_flush()")
        conn.execute("select 1")
        updates, hot = (a - b for a, b in zip(_update_counts(reader), before, strict=True))
    assert updates == 4 * (1000 + 100)
    assert hot >= 0.9 * updates, f"{hot} of {updates} heartbeat updates were HOT"


def test_a_deadline_counts_from_the_write_not_from_the_start_of_the_transaction(conn, db_dsn):
    _, run_id = make_workflow_run(conn)
    single, _ = make_run_instance(conn, run_id, "R", "R")
    batched, _ = make_run_instance(conn, run_id, "O", "O")
    with psycopg.connect(db_dsn) as worker:
        worker.execute("select pg_sleep(1.5)")  # a transaction open for a while
        worker.execute("select * from jobmon.log_heartbeat(%s, '1 second')", (single,))
        worker.execute("select * from jobmon.log_heartbeats(%s, '1 second')", ([batched],))
        row = worker.execute(
            "select bool_and(report_by_date > now() + interval '1.5 seconds') from jobmon.task_instance"
            " where id = any(%s)",
            ([single, batched],),
        ).fetchone()
        worker.commit()
    assert row == (True,)


def test_triage_finds_a_runs_overdue_instances_through_the_live_index(conn):
    _, run_id = make_workflow_run(conn)
    task = conn.execute(
        "insert into jobmon.task (workflow_id, status) select workflow_id, 'D' from jobmon.workflow_run"
        " where id = %s returning id",
        (run_id,),
    ).fetchone()
    assert task is not None
    conn.execute(
        "insert into jobmon.task_instance (workflow_run_id, task_id, status, report_by_date)"
        " select %s, %s, case when n <= 100 then 'R' else 'D' end, now() - interval '1 hour'"
        "   from generate_series(1, 20000) n",
        (run_id, task[0]),
    )
    conn.execute("analyze jobmon.task_instance")
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            "explain select ti.task_id from jobmon.task_instance ti where ti.workflow_run_id = %s"
            " and ti.status in ('R', 'O') and ti.report_by_date < now()",
            (run_id,),
        )
    )
    assert "ix_task_instance_live_by_run" in plan, plan


def test_the_live_index_predicate_is_the_named_live_status_set(conn):
    """The partial index cannot follow the name without a migration: it must list the same statuses, in order."""
    predicate, live = conn.execute(
        "select pg_get_expr(i.indpred, i.indrelid), jobmon._live_task_instance_statuses() from pg_index i"
        " where i.indexrelid = 'jobmon.ix_task_instance_live_by_run'::regclass"
    ).fetchone()
    assert predicate == "(status = ANY (ARRAY[" + ", ".join(f"'{s}'::text" for s in live) + "]))"


def test_the_named_status_sets_are_folded_so_triage_still_reads_the_live_index(conn):
    _, run_id = make_workflow_run(conn)
    task = conn.execute(
        "insert into jobmon.task (workflow_id, status) select workflow_id, 'D' from jobmon.workflow_run"
        " where id = %s returning id",
        (run_id,),
    ).fetchone()
    assert task is not None
    conn.execute(
        "insert into jobmon.task_instance (workflow_run_id, task_id, status, report_by_date)"
        " select %s, %s, case when n <= 100 then 'R' else 'D' end, now() - interval '1 hour'"
        "   from generate_series(1, 20000) n",
        (run_id, task[0]),
    )
    conn.execute("analyze jobmon.task_instance")
    # The candidate query of triage_overdue() as its body writes it, planned generically as PL/pgSQL plans it.
    conn.execute(
        "prepare triage_candidates(bigint) as select ti.task_id from jobmon.task_instance ti"
        " where ti.workflow_run_id = $1 and ti.status = any (jobmon._triaged_task_instance_statuses())"
        " and ti.report_by_date < now()"
    )
    conn.execute("set plan_cache_mode = force_generic_plan")
    plan = "\n".join(r[0] for r in conn.execute(f"explain (verbose) execute triage_candidates({int(run_id)})"))
    assert "ix_task_instance_live_by_run" in plan, plan
    assert "_triaged_task_instance_statuses" not in plan and "'{R,O}'::text[]" in plan, plan


def test_every_index_is_listed_in_the_docs_with_the_query_that_reads_it(conn):
    indexes = {
        name
        for (name,) in conn.execute(
            "select indexrelid::regclass::text from pg_index where indrelid in"
            " ('jobmon.task'::regclass, 'jobmon.task_instance'::regclass, 'jobmon.transition_history'::regclass)"
        )
    }
    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    section = text.split("\n## What each index costs\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(?:jobmon\.)?([a-z_]+)` \| `jobmon\.[a-z_]+` \| \S", section, flags=re.M))
    assert {i.removeprefix("jobmon.") for i in indexes} == listed
