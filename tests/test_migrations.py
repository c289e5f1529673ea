"""Migrations: fresh install, rollback and re-install, idempotence, concurrency, the wheel."""

from __future__ import annotations

import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import psycopg

from jobmon_db.migrate import MigrateResult, migrate, rollback, status

ROOT = Path(__file__).resolve().parent.parent
ALL_MIGRATIONS = sorted(p.name.removesuffix(".sql") for p in (ROOT / "migrations").glob("[0-9]*.sql")
                        if not p.name.endswith(".rollback.sql"))  # fmt: skip

SCHEMA_SIGNATURE_SQL = """
select md5(coalesce(string_agg(x, E'\\n' order by x), '')) from (
    select format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default)
      from information_schema.columns where table_schema = 'jobmon'
    union all select pg_get_functiondef(p.oid) || coalesce(obj_description(p.oid, 'pg_proc'), '')
      from pg_proc p where p.pronamespace = 'jobmon'::regnamespace
    union all select indexdef from pg_indexes where schemaname = 'jobmon'
    union all select conname || pg_get_constraintdef(oid) from pg_constraint
     where connamespace = 'jobmon'::regnamespace
    union all select format('%s %s %s', from_status, to_status, kind) from jobmon.task_instance_transition
) s(x)
"""


def _query(dsn: str, sql: str) -> Any:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


def _schema_signature(dsn: str) -> str:
    return _query(dsn, SCHEMA_SIGNATURE_SQL)


def test_migrate_rollback_and_migrate_again_gives_the_same_schema(empty_dsn):
    all_sql_files = sorted(p.name for p in (ROOT / "sql").glob("*.sql"))
    assert migrate(empty_dsn) == MigrateResult(ALL_MIGRATIONS, all_sql_files)
    installed = _schema_signature(empty_dsn)
    assert rollback(empty_dsn, None) == ALL_MIGRATIONS[::-1]
    assert _query(empty_dsn, "select to_regnamespace('jobmon')") is None
    assert [s.state for s in status(empty_dsn)] == ["pending"] * len(status(empty_dsn))
    assert migrate(empty_dsn) == MigrateResult(ALL_MIGRATIONS, all_sql_files)
    assert _schema_signature(empty_dsn) == installed


def test_migrating_twice_changes_nothing(empty_dsn):
    migrate(empty_dsn)
    functions_sql = "select string_agg(oid::text || ':' || xmin::text, ',' order by oid) from pg_proc"
    applied_sql = "select string_agg(file || applied_at::text, ',' order by file) from jobmon.repeatable_sql"
    before = (_schema_signature(empty_dsn), _query(empty_dsn, functions_sql), _query(empty_dsn, applied_sql))
    assert migrate(empty_dsn) == MigrateResult([], [])
    after = (_schema_signature(empty_dsn), _query(empty_dsn, functions_sql), _query(empty_dsn, applied_sql))
    assert after == before
    assert {s.state for s in status(empty_dsn)} == {"applied"}


def test_a_changed_sql_file_is_applied_again(empty_dsn):
    migrate(empty_dsn)
    with psycopg.connect(empty_dsn, autocommit=True) as conn:
        conn.execute(
            "create or replace function jobmon.describe_statuses(codes text[]) returns text"
            " language sql set search_path = pg_catalog as $$ select 'tampered' $$"
        )
        conn.execute("update jobmon.repeatable_sql set sha256 = 'old' where file = '10_status_helpers.sql'")
    assert "changed" in {s.state for s in status(empty_dsn)}
    # Every file again, in order: a later one may derive something from the one that changed.
    assert migrate(empty_dsn) == MigrateResult([], sorted(p.name for p in (ROOT / "sql").glob("*.sql")))
    assert _query(empty_dsn, "select jobmon.describe_statuses(array['R'])") == "R (RUNNING)"
    assert {s.state for s in status(empty_dsn)} == {"applied"}


def test_two_migrate_runs_at_once_install_the_schema_once(empty_dsn):
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(migrate(empty_dsn).migrations)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == [[], [], ALL_MIGRATIONS]
    assert _query(empty_dsn, "select count(*) from jobmon_migrations._yoyo_migration") == len(ALL_MIGRATIONS)
    assert _query(empty_dsn, "select count(*) from pg_tables where schemaname = 'public'") == 0
    assert _query(empty_dsn, "select count(*) from jobmon.task_instance_transition") == 37


def test_the_wheel_ships_migrations_and_sql_and_migrates_without_a_checkout(empty_dsn, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("jobmon_db-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("0001_schema.sql", "0001_schema.rollback.sql", "post-apply.py"):
        assert f"jobmon_db/migrations/{shipped}" in names
    for source in (ROOT / "sql").glob("*.sql"):
        assert f"jobmon_db/sql/{source.name}" in names

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    env = {"PYTHONPATH": str(target), "JOBMON_DB_DSN": empty_dsn, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", "import jobmon_db, sys; print(jobmon_db.__file__); sys.argv[1:] = ['migrate'];"
         " from jobmon_db.cli import main; sys.exit(main())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith(str(target))
    assert "applied 0001_schema" in done.stdout
    assert _query(empty_dsn, "select count(*) from jobmon.repeatable_sql") == len(list((ROOT / "sql").glob("*.sql")))
