"""The schema life cycle in production: killed runs, busy tables, read-only status, missing functions, rollbacks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from jobmon_db import __version__
from jobmon_db.cli import main
from jobmon_db.migrate import (
    APPLICATION_NAME,
    MigrateResult,
    MigrationLockTimeout,
    migrate,
    rollback,
    status,
)
from jobmon_db.sqlfiles import record_release

ROOT = Path(__file__).resolve().parent.parent
ALL_SQL_FILES = sorted(p.name for p in (ROOT / "sql").glob("*.sql"))
ALL_SQL_FILES_APPLIED = "applied " + ", ".join(f"sql/{name}" for name in ALL_SQL_FILES)
ALL_MIGRATIONS = sorted(p.name.removesuffix(".sql") for p in (ROOT / "migrations").glob("[0-9]*.sql")
                        if not p.name.endswith(".rollback.sql"))  # fmt: skip


def _query(dsn: str, sql: str, params: Any = None) -> Any:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None


@contextmanager
def _holding(dsn: str, *statements: str) -> Iterator[psycopg.Connection[Any]]:
    """Another session that ran `statements` in an open transaction, rolled back on exit."""
    with psycopg.connect(dsn) as conn:
        for statement in statements:
            conn.execute(statement)
        try:
            yield conn
        finally:
            conn.rollback()


def _start_migrate(dsn: str) -> subprocess.Popen[str]:
    """`jobmon-db migrate` in a process of its own, waiting for locks without limit."""
    command = [sys.executable, "-m", "jobmon_db", "--dsn", dsn, "migrate", "--lock-timeout", "0"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until_blocked(dsn: str, process: subprocess.Popen[str]) -> int:
    """The pid of the migrating backend once it waits for a lock."""
    dbname = conninfo_to_dict(dsn)["dbname"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        pid = _query(
            dsn,
            "select pid from pg_stat_activity where datname = %s and application_name = %s"
            " and wait_event_type = 'Lock'",
            (dbname, APPLICATION_NAME),
        )
        if pid is not None:
            return int(pid)
        time.sleep(0.05)
    raise AssertionError("migrate never waited for the lock")


def _no_lock_rows_anywhere(dsn: str) -> bool:
    return _query(dsn, "select count(*) from pg_tables where tablename = 'yoyo_lock'") == 0


def _assert_fully_migrated(dsn: str) -> None:
    assert {s.state for s in status(dsn)} == {"applied"}
    assert _query(dsn, "select count(*) from jobmon.task_instance_transition") == 37
    assert _query(dsn, "select jobmon.describe_statuses(array['R'])") == "R (RUNNING)"


# --- A1: a migrate killed at any point is finished by the next one ------------------------------------


def test_migrate_whose_backend_is_terminated_inside_a_migration_is_finished_by_the_next_run(empty_dsn):
    # A session that created schema jobmon without committing makes 0001_schema wait inside its transaction.
    with _holding(empty_dsn, "create schema jobmon"):
        process = _start_migrate(empty_dsn)
        pid = _wait_until_blocked(empty_dsn, process)
        assert _query(empty_dsn, "select pg_terminate_backend(%s)", (pid,))
        assert process.wait(timeout=60) == 1
    assert _no_lock_rows_anywhere(empty_dsn)
    assert [s.state for s in status(empty_dsn)][0] == "pending"  # 0001 rolled back with its record
    started = time.monotonic()
    assert migrate(empty_dsn) == MigrateResult(ALL_MIGRATIONS, ALL_SQL_FILES)
    assert time.monotonic() - started < 30  # no stale lock to wait out
    _assert_fully_migrated(empty_dsn)


def test_migrate_killed_with_sigkill_inside_a_migration_is_finished_by_the_next_run(empty_dsn):
    with _holding(empty_dsn, "create schema jobmon"):
        process = _start_migrate(empty_dsn)
        _wait_until_blocked(empty_dsn, process)
        process.kill()
        process.wait(timeout=60)
    # The orphaned backend gets its lock, then finds its client gone and rolls back; the next run
    # waits for it on the advisory lock, which PostgreSQL releases when that backend exits.
    started = time.monotonic()
    assert migrate(empty_dsn).migrations == ALL_MIGRATIONS
    assert time.monotonic() - started < 30
    assert _no_lock_rows_anywhere(empty_dsn)
    _assert_fully_migrated(empty_dsn)


def test_migrate_terminated_in_the_middle_of_post_apply_is_finished_by_the_next_run(db_dsn):
    _query(db_dsn, "update jobmon.repeatable_sql set sha256 = 'old' returning 1")
    # The files before it run, then creating transition_task_instance waits for this session.
    assert "20_move.sql" in ALL_SQL_FILES[1:], "pick a function of a later sql/ file to block on"
    with _holding(db_dsn, "drop function jobmon.transition_task_instance(bigint, text)"):
        process = _start_migrate(db_dsn)
        pid = _wait_until_blocked(db_dsn, process)
        assert _query(db_dsn, "select pg_terminate_backend(%s)", (pid,))
        assert process.wait(timeout=60) == 1
    # post-apply is one transaction: nothing of it stayed, so every file is still due.
    assert {s.id: s.state for s in status(db_dsn)}[f"sql/{ALL_SQL_FILES[0]}"] == "changed"
    assert migrate(db_dsn) == MigrateResult([], ALL_SQL_FILES)
    assert _no_lock_rows_anywhere(db_dsn)
    _assert_fully_migrated(db_dsn)


# --- A2: busy tables make migrate and rollback give up after lock_timeout ----------------------------------


def test_rollback_gives_up_on_a_busy_table_after_the_lock_timeout_and_says_what_it_undid(db_dsn, capsys):
    with _holding(db_dsn, "lock table jobmon.task_instance in row exclusive mode"):  # what an UPDATE takes
        started = time.monotonic()
        with pytest.raises(MigrationLockTimeout) as raised:
            rollback(db_dsn, None, lock_timeout="200ms")
        assert time.monotonic() - started < 10
        message = str(raised.value)
        assert "jobmon.task_instance (RowExclusiveLock" in message
        assert "lock_timeout 200ms" in message and "Re-run rollback" in message
        # Each migration rolls back in a transaction of its own: the one that waited is undone entirely,
        # and the message names the newer ones that were rolled back before it.
        stuck = re.search(r"rollback gave up on (\d{4}_\w+)", message)
        assert stuck and ("nothing was changed" in message or "rolled back before it:" in message)
        assert {s.id: s.state for s in status(db_dsn)}[stuck.group(1)] == "applied"

        assert main(["--dsn", db_dsn, "rollback", "--all", "--yes", "--lock-timeout", "200ms"]) == 1
        err = capsys.readouterr().err
        assert re.search(r"jobmon-db: error: rollback gave up on \d{4}_\w+", err) and "jobmon.task_instance" in err
    migrate(db_dsn)
    _assert_fully_migrated(db_dsn)


def test_migrate_gives_up_on_a_busy_table_after_the_lock_timeout_and_changes_nothing(db_dsn, capsys):
    _query(db_dsn, "update jobmon.repeatable_sql set sha256 = 'old' returning 1")
    with _holding(db_dsn, "lock table jobmon.repeatable_sql in access exclusive mode"):
        with pytest.raises(MigrationLockTimeout, match=r"repeatable_sql \(AccessExclusiveLock.*nothing was changed"):
            migrate(db_dsn, lock_timeout="200ms")
        assert main(["--dsn", db_dsn, "migrate", "--lock-timeout", "100ms"]) == 1
        assert "Re-run migrate later, or with a longer --lock-timeout" in capsys.readouterr().err
    assert {s.state for s in status(db_dsn) if s.id.startswith("sql/")} == {"changed"}
    assert migrate(db_dsn) == MigrateResult([], ALL_SQL_FILES)


@pytest.mark.parametrize("command", ["migrate", "rollback"])
@pytest.mark.parametrize("value", ["soon", "-1s", "10 parsecs"])
def test_a_malformed_lock_timeout_is_a_usage_error(command, value, db_dsn, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--dsn", db_dsn, command, f"--lock-timeout={value}"])
    assert exited.value.code == 2
    assert "not a lock timeout" in capsys.readouterr().err


# --- A3: status reads only ---------------------------------------------------------------------------------


def test_status_creates_nothing_in_an_empty_database(empty_dsn):
    assert {s.state for s in status(empty_dsn)} == {"pending"}
    assert main(["--dsn", empty_dsn, "status"]) == 0
    assert (
        _query(empty_dsn, "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')")
        == 0
    )
    assert _query(empty_dsn, "select to_regnamespace('jobmon_migrations')") is None


def test_status_works_for_a_role_that_may_only_read(db_dsn, capsys):
    role = f"jobmon_test_reader_{os.getpid()}"
    dbname = conninfo_to_dict(db_dsn)["dbname"]
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(f"create role {role} nologin")
        try:
            conn.execute(f"revoke all on database {dbname} from public")
            conn.execute(f"grant connect on database {dbname} to {role}")
            for schema in ("jobmon", "jobmon_migrations"):
                conn.execute(f"grant usage on schema {schema} to {role}")
                conn.execute(f"grant select on all tables in schema {schema} to {role}")
            reader_dsn = make_conninfo(db_dsn, options=f"-c role={role}")
            assert _query(reader_dsn, "select current_user") == role
            assert _query(reader_dsn, "select has_schema_privilege('jobmon', 'create')") is False
            assert status(reader_dsn) == status(db_dsn)
            assert main(["--dsn", reader_dsn, "status"]) == 0
            release_line, *lines = capsys.readouterr().out.splitlines()
            assert release_line == f"jobmon-db {__version__}; the database was migrated by {__version__}"
            assert [w for line in lines for w in line.split()] == [
                w for m in ALL_MIGRATIONS for w in ("applied", m)
            ] + [word for name in ALL_SQL_FILES for word in ("applied", f"sql/{name}")]
        finally:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role {role}")


# --- A4, A5: migrate reports the sql/ files it applied; a function dropped by hand comes back ----------------


def test_a_function_dropped_by_hand_is_missing_in_status_and_restored_by_migrate(db_dsn, capsys):
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute("drop function jobmon.describe_statuses(text[])")
    states = {s.id: s.state for s in status(db_dsn)}
    assert states["sql/10_status_helpers.sql"] == "missing"
    assert main(["--dsn", db_dsn, "status"]) == 0
    assert "missing  sql/10_status_helpers.sql" in capsys.readouterr().out
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    assert capsys.readouterr().out.strip() == ALL_SQL_FILES_APPLIED
    _assert_fully_migrated(db_dsn)


def test_the_generated_public_move_dropped_by_hand_is_restored_by_migrate(db_dsn, capsys):
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute("drop function jobmon.transition_task_instance(bigint, text)")
    assert {s.id: s.state for s in status(db_dsn)}["sql/20_move.sql"] == "missing"
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    assert capsys.readouterr().out.strip() == ALL_SQL_FILES_APPLIED
    _assert_fully_migrated(db_dsn)
    with psycopg.connect(db_dsn, autocommit=True) as conn, pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("select jobmon.transition_task_instance(null, 'R')")


def test_migrate_prints_the_migrations_and_the_sql_files_it_applied(empty_dsn, capsys):
    assert main(["--dsn", empty_dsn, "migrate"]) == 0
    expected = "applied " + ", ".join(ALL_MIGRATIONS + [f"sql/{name}" for name in ALL_SQL_FILES])
    assert capsys.readouterr().out.strip() == expected
    _query(
        empty_dsn, "update jobmon.repeatable_sql set sha256 = 'old' where file = %s returning 1", (ALL_SQL_FILES[-1],)
    )
    assert main(["--dsn", empty_dsn, "migrate"]) == 0
    assert capsys.readouterr().out.strip() == ALL_SQL_FILES_APPLIED  # one changed: every file again, in order
    assert main(["--dsn", empty_dsn, "migrate"]) == 0
    assert capsys.readouterr().out.strip() == "nothing to apply: the schema is up to date"


# --- A6: _secure_schema() after every migrate; the role prefix on the migrating connection -----------------

# Replaces the real jobmon._secure_schema() (sql/90_privileges.sql) when there is one.
FAKE_SECURE_SCHEMA = """
drop function if exists jobmon._secure_schema();
create table public.secure_schema_calls (n serial, role_prefix text);
create function jobmon._secure_schema() returns void language sql as $$
    insert into public.secure_schema_calls (role_prefix) values (current_setting('jobmon.role_prefix', true))
$$;
"""


def test_migrate_always_runs_secure_schema_with_the_role_prefix_set(db_dsn, monkeypatch):
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(FAKE_SECURE_SCHEMA)
        record_release(conn.cursor(), __version__)  # the fake as if the release had made it: no drift to repair
    assert migrate(db_dsn, role_prefix="acme_") == MigrateResult([], [])  # nothing else to do: it runs anyway
    assert migrate(db_dsn) == MigrateResult([], [])
    monkeypatch.setenv("JOBMON_DB_ROLE_PREFIX", "from_env_")
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    assert main(["--dsn", db_dsn, "migrate", "--role-prefix", "from_option_"]) == 0
    calls = _query(
        db_dsn, "select array_agg(coalesce(role_prefix, '<unset>') order by n) from public.secure_schema_calls"
    )
    assert calls == ["acme_", "<unset>", "from_env_", "from_option_"]


def test_secure_schema_runs_after_the_sql_files_and_its_failure_undoes_them(db_dsn):
    _query(db_dsn, "update jobmon.repeatable_sql set sha256 = 'old' returning 1")
    # The real _secure_schema() fails on a role that does not exist, after every file has run.
    _query(db_dsn, "update jobmon.deployment_role set role_name = 'no_such_role_jobmon' where actor = 'readonly'"
                   " returning 1")  # fmt: skip
    with pytest.raises(psycopg.errors.UndefinedObject, match="no_such_role_jobmon") as raised:
        migrate(db_dsn)
    assert "_secure_schema()" in (raised.value.diag.context or "")
    assert {s.id for s in status(db_dsn) if s.state == "changed"} == {f"sql/{name}" for name in ALL_SQL_FILES}


# --- A7: rollbacks say what they drop; --count is checked; a rollback of nothing forgets nothing ------------


def test_rollback_names_what_it_drops_before_asking(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "rollback", "--all"]) == 1  # no terminal to ask: not confirmed
    err = capsys.readouterr().err
    assert "rollback would undo: " + ", ".join(reversed(ALL_MIGRATIONS)) in err
    assert "rolling back 0001_schema drops the whole jobmon schema with every row in it" in err
    assert err.index("WARNING") < err.index("not confirmed")
    _assert_fully_migrated(db_dsn)
    assert main(["--dsn", db_dsn, "rollback", "--count", str(len(ALL_MIGRATIONS)), "--yes"]) == 0
    captured = capsys.readouterr()
    assert "drops the whole jobmon schema" in captured.err and "0001_schema" in captured.out


@pytest.mark.parametrize("argv", [["--count", "0"], ["--count", "-2"], ["-n", "x"], ["--all", "--count", "1"]])
def test_rollback_refuses_bad_counts(argv, db_dsn, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--dsn", db_dsn, "rollback", "--yes", *argv])
    assert exited.value.code == 2
    assert "usage: jobmon-db rollback" in capsys.readouterr().err
    with pytest.raises(ValueError, match="count must be 1 or more"):
        rollback(db_dsn, 0)
    _assert_fully_migrated(db_dsn)


def test_a_rollback_that_rolls_back_nothing_keeps_the_sql_checksums(db_dsn, capsys):
    _query(db_dsn, "delete from jobmon_migrations._yoyo_migration returning 1")  # yoyo knows of nothing applied
    assert rollback(db_dsn, 2) == []
    assert main(["--dsn", db_dsn, "rollback", "--count", "3", "--yes"]) == 0
    assert capsys.readouterr().out.strip() == "nothing to roll back"
    assert _query(db_dsn, "select count(*) from jobmon.repeatable_sql") == len(ALL_SQL_FILES)


# --- A8: yoyo's tables live in jobmon_migrations ----------------------------------------------------------


def test_yoyo_tables_live_in_their_own_schema_and_survive_a_full_rollback(empty_dsn):
    migrate(empty_dsn)
    tables = (
        "select array_agg(schemaname || '.' || tablename order by tablename)"
        " from pg_tables where tablename like '%yoyo%'"
    )
    expected = ["jobmon_migrations._yoyo_log", "jobmon_migrations._yoyo_migration", "jobmon_migrations._yoyo_version"]
    assert _query(empty_dsn, tables) == expected
    rollback(empty_dsn, None)
    assert _query(empty_dsn, tables) == expected
    assert _query(empty_dsn, "select count(*) from jobmon_migrations._yoyo_migration") == 0


def test_records_of_the_old_layout_in_public_are_carried_over(empty_dsn):
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as conn:  # what jobmon-db 0.1 left behind
        for table in ("_yoyo_migration", "_yoyo_log", "_yoyo_version"):
            conn.execute(f"alter table jobmon_migrations.{table} set schema public")
        conn.execute("drop schema jobmon_migrations")
    assert {s.state for s in status(empty_dsn)} == {"applied"}
    assert migrate(empty_dsn) == MigrateResult([], [])
    assert (
        _query(empty_dsn, "select array_agg(migration_id order by migration_id) from jobmon_migrations._yoyo_migration")
        == ALL_MIGRATIONS
    )
