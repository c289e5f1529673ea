"""Upgrades take effect: after any `migrate` the database is what a fresh `migrate` of the same release makes.

Each test changes one kind of source in a copy of migrations/ and sql/ (a
rule table row, the cascade, a function body, a grant, a file removed),
migrates a database made by the unchanged copy, and compares it with a
fresh database migrated by the changed copy: the schema as pg_dump shows it
(functions, types, tables, indexes, triggers, grants, comments) and the rows
of every table a fresh migrate fills. The last tests upgrade a database made
and filled by release 0.1.0 (taken from this repository's history), also
while that release's simulation is running against it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

import jobmon_db.migrate as migrations
from jobmon_db import __version__
from jobmon_db.cli import main
from jobmon_db.migrate import MigrationLockTimeout, migrate, release, status
from jobmon_db.schema_dump import dump_schema
from jobmon_db.sqlfiles import apply_sql_files

ROOT = Path(__file__).resolve().parent.parent
#: Release 0.1.0, as a commit of main (a clone may carry no tags).
RELEASE_0_1_0 = "4f20324"


@pytest.fixture
def databases(server_dsn: str) -> Iterator[dict[str, str]]:
    """Two empty databases, 'upgraded' and 'fresh', dropped afterwards."""
    names = {role: f"jobmon_upgrade_{os.getpid()}_{role}" for role in ("upgraded", "fresh")}
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        for name in names.values():
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        try:
            yield {role: make_conninfo(server_dsn, dbname=name) for role, name in names.items()}
        finally:
            for name in names.values():
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def release_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of migrations/ and sql/ that `migrate` and `status` use instead of the package's."""
    tree = tmp_path / "release"
    shutil.copytree(migrations.MIGRATIONS_DIR, tree / "migrations")
    shutil.copytree(migrations.SQL_DIR, tree / "sql")
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", tree / "migrations")
    monkeypatch.setattr(migrations, "SQL_DIR", tree / "sql")
    return tree


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _rows_of_filled_tables(dsn: str, tables: list[str] | None = None) -> dict[str, list[str]]:
    """The rows of every jobmon table (or of `tables`), without their timestamps, as sorted text."""
    with psycopg.connect(dsn) as conn:
        if tables is None:
            tables = [r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'jobmon'")]
        rows = {}
        for table in tables:
            columns = [
                r[0]
                for r in conn.execute(
                    "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0"
                    " and not attisdropped and atttypid not in ('timestamptz'::regtype, 'timestamp'::regtype)"
                    " order by attnum",
                    (f"jobmon.{table}",),
                )
            ]
            query = sql.SQL("select row({})::text from {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier("jobmon", table)
            )
            rows[table] = sorted(r[0] for r in conn.execute(query))
    return rows


def assert_same_as_fresh(upgraded: str, fresh: str) -> None:
    """The schema, and the rows of every table a fresh migrate fills, are the same."""
    assert dump_schema(upgraded) == dump_schema(fresh)
    filled = {table: rows for table, rows in _rows_of_filled_tables(fresh).items() if rows}
    assert "task_instance_move" in filled and "installed_routine" in filled
    assert _rows_of_filled_tables(upgraded, list(filled)) == filled
    assert {s.state for s in status(upgraded)} == {"applied"}


def _one(dsn: str, query: str, params: Any = None) -> Any:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query, params).fetchone()
        return None if row is None else row[0]


# --- a change in each kind of source reaches an existing database -------------------------------------------


def test_a_changed_cascade_reaches_the_derived_move_table(databases, release_tree):
    migrate(databases["upgraded"])
    # A resource error (Z) sends the task to G instead of A: sql/10 changes, sql/15 derives from it.
    _edit(release_tree / "sql" / "10_status_helpers.sql", "when task_instance_status = 'Z' then 'A'",
          "when task_instance_status = 'Z' then 'G'")  # fmt: skip
    assert "changed" in {s.state for s in status(databases["upgraded"])}
    migrate(databases["upgraded"])
    migrate(databases["fresh"])
    left_behind = "select count(*) from (select * from jobmon._task_instance_moves_from_rules()" \
                  " except select * from jobmon.task_instance_move) s"  # fmt: skip
    assert _one(databases["upgraded"], left_behind) == 0
    to_a = "select count(*) from jobmon.task_instance_move where to_status = 'Z' and task_path @> array['A']"
    assert _one(databases["upgraded"], to_a) == 0
    assert_same_as_fresh(databases["upgraded"], databases["fresh"])


def test_a_changed_rule_table_row_reaches_the_derived_rules(databases, release_tree):
    migrate(databases["upgraded"])
    moves_before = _one(databases["upgraded"], "select count(*) from jobmon.task_instance_move")
    (release_tree / "migrations" / "0999_rule_change.sql").write_text(
        "-- depends: 0011_installed_release\n"
        "update jobmon.task_instance_transition set kind = 'untimely' where (from_status, to_status) = ('O', 'T');\n",
        encoding="utf-8",
    )
    (release_tree / "migrations" / "0999_rule_change.rollback.sql").write_text(
        "update jobmon.task_instance_transition set kind = 'valid' where (from_status, to_status) = ('O', 'T');\n",
        encoding="utf-8",
    )
    migrate(databases["upgraded"])
    migrate(databases["fresh"])
    valid_o_to_t = "select count(*) from jobmon.task_instance_move where from_status = 'O' and to_status = 'T'" \
                   " and kind = 'valid'"  # fmt: skip
    assert _one(databases["upgraded"], valid_o_to_t) == 0 and moves_before > 0
    assert_same_as_fresh(databases["upgraded"], databases["fresh"])


def test_a_changed_function_body_reaches_the_database(databases, release_tree):
    migrate(databases["upgraded"])
    _edit(release_tree / "sql" / "10_status_helpers.sql", "'Lists the valid and untimely task-instance transitions",
          "'Lists (changed) the valid and untimely task-instance transitions")  # fmt: skip
    _edit(release_tree / "sql" / "10_status_helpers.sql", "select num_attempts operator(pg_catalog.<) max_attempts",
          "select max_attempts operator(pg_catalog.>) num_attempts")  # fmt: skip
    migrate(databases["upgraded"])
    migrate(databases["fresh"])
    body = "select prosrc from pg_proc where oid = 'jobmon._attempts_left(integer, integer)'::regprocedure"
    assert "max_attempts operator(pg_catalog.>) num_attempts" in _one(databases["upgraded"], body)
    assert_same_as_fresh(databases["upgraded"], databases["fresh"])


def test_a_changed_grant_reaches_the_database(databases, release_tree):
    migrate(databases["upgraded"])
    _edit(release_tree / "sql" / "90_privileges.sql", "('task_instance_history',      array['readonly'])",
          "('task_instance_history',      array['readonly', 'swarm'])")  # fmt: skip
    privileges = release_tree / "sql" / "90_privileges.sql"
    _edit(privileges, "('array_task_instance',        array['worker_node', 'readonly'])",
          "('array_task_instance',        array['worker_node'])")  # fmt: skip
    migrate(databases["upgraded"])
    migrate(databases["fresh"])
    may = "select has_function_privilege(r.role_name, %s, 'EXECUTE') from jobmon.deployment_role r where r.actor = %s"
    assert _one(databases["upgraded"], may, ("jobmon.task_instance_history(bigint)", "swarm")) is True
    array_task_instance = "jobmon.array_task_instance(bigint, integer, integer)"
    assert _one(databases["upgraded"], may, (array_task_instance, "readonly")) is False
    assert_same_as_fresh(databases["upgraded"], databases["fresh"])


def test_a_function_the_release_no_longer_creates_is_dropped(databases, release_tree):
    old_file = release_tree / "sql" / "95_old_helpers.sql"
    old_file.write_text(
        "create or replace function jobmon._old_helper() returns int language sql"
        " set search_path = pg_catalog as $$ select 1 $$;\n"
        "comment on function jobmon._old_helper() is 'Internal. Gone in the next release.';\n",
        encoding="utf-8",
    )
    migrate(databases["upgraded"])
    assert _one(databases["upgraded"], "select to_regprocedure('jobmon._old_helper()') is not null") is True
    old_file.unlink()
    assert {s.id: s.state for s in status(databases["upgraded"])}["sql/95_old_helpers.sql"] == "removed"
    migrate(databases["upgraded"])
    migrate(databases["fresh"])
    assert _one(databases["upgraded"], "select to_regprocedure('jobmon._old_helper()') is not null") is False
    assert (
        _one(databases["upgraded"], "select count(*) from jobmon.repeatable_sql where file = '95_old_helpers.sql'") == 0
    )
    assert_same_as_fresh(databases["upgraded"], databases["fresh"])


def test_a_function_replaced_by_hand_is_reported_and_put_back_by_migrate(db_dsn, capsys):
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute(
            "create or replace function jobmon.describe_statuses(codes text[]) returns text"
            " language sql set search_path = pg_catalog as $$ select 'tampered' $$"
        )
        conn.execute("delete from jobmon.task_instance_move where (from_status, to_status) = ('R', 'D')")
    states = {s.id: s.state for s in status(db_dsn)}
    assert states["function jobmon.describe_statuses(text[])"] == "changed"
    assert states["derived jobmon.task_instance_move"] == "changed"
    assert main(["--dsn", db_dsn, "status"]) == 0
    out = capsys.readouterr().out
    assert "changed  function jobmon.describe_statuses(text[])" in out
    assert "changed  derived jobmon.task_instance_move" in out
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    capsys.readouterr()
    assert {s.state for s in status(db_dsn)} == {"applied"}
    assert _one(db_dsn, "select jobmon.describe_statuses(array['R'])") == "R (RUNNING)"


# --- versions -------------------------------------------------------------------------------------------------


def test_the_version_is_printed_recorded_and_compared(db_dsn, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"jobmon-db {__version__}"
    assert release(db_dsn) == migrations.Release(__version__, __version__)
    assert main(["--dsn", db_dsn, "status"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"jobmon-db {__version__}; the database was migrated by {__version__}"
    )
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute("update jobmon.installed_release set version = '0.0.9'")
    assert main(["--dsn", db_dsn, "status"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"jobmon-db {__version__}; the database was migrated by 0.0.9: they differ, run jobmon-db migrate"
    )
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    assert release(db_dsn).database == __version__


def test_the_changelog_names_this_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {__version__}" in changelog and "## 0.1.0" in changelog


# --- from release 0.1.0 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release_0_1_0(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release 0.1.0's package, migrations and sql/, from this repository's history."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: release 0.1.0 is taken from the repository's history")
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{RELEASE_0_1_0}^{{commit}}"], check=False)
    if found.returncode != 0:  # a shallow clone: fetch the one commit
        subprocess.run(["git", "-C", str(ROOT), "fetch", "-q", "--depth=1", "origin", RELEASE_0_1_0], check=True)
    tree = tmp_path_factory.mktemp("release-0.1.0")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", RELEASE_0_1_0, "jobmon_db", "migrations", "sql"],
        check=True,
        capture_output=True,
    )
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _old(tree: Path, dsn: str, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """Run release 0.1.0's `jobmon-db` (its own code, migrations and sql/) as a separate process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen(
        [sys.executable, "-m", "jobmon_db", "--dsn", dsn, *args], env=env, text=True, cwd=tree, **popen
    )


def _run_old(tree: Path, dsn: str, *args: str) -> str:
    process = _old(tree, dsn, *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out
    return out


SIGNATURES = """
select p.oid::regprocedure::text, pg_get_function_result(p.oid) from pg_proc p
 where p.pronamespace = 'jobmon'::regnamespace order by 1
"""


def _removed_by(release: str) -> set[str]:
    """The functions docs/upgrades.md lists as removed in a release, as regprocedure text."""
    doc = (ROOT / "docs" / "upgrades.md").read_text(encoding="utf-8")
    section = doc.split("## What each release removes", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith(f"| {release} |")]
    return {name.replace(", ", ",") for row in rows for name in re.findall(r"`([\w.]+\([^`]*\))`", row[2])}


def _state_of_the_data(dsn: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as conn:
        return {
            name: conn.execute(query).fetchall()
            for name, query in {
                "tasks": "select id, status, num_attempts, max_attempts from jobmon.task order by id",
                "task_instances": "select id, task_id, status, workflow_run_id from jobmon.task_instance order by id",
                "history": "select * from jobmon.transition_history order by id",
                "errors": "select * from jobmon.task_instance_error_log order by id",
            }.items()
        }


def test_a_database_of_release_0_1_0_filled_by_its_simulation_upgrades_to_what_a_fresh_migrate_makes(
    databases, release_0_1_0
):
    upgraded = databases["upgraded"]
    _run_old(release_0_1_0, upgraded, "migrate")
    # Exit 0: 0.1.0's own invariants held (exit 1 when one fails).
    _run_old(release_0_1_0, upgraded, "simulate", "--tasks", "200", "--workers", "8", "--keep", "--no-progress")
    before = _state_of_the_data(upgraded)
    assert before["tasks"] and before["history"] and before["errors"]
    with psycopg.connect(upgraded) as conn:
        old_functions = conn.execute(SIGNATURES).fetchall()

    assert migrate(upgraded)
    migrate(databases["fresh"])
    assert dump_schema(upgraded) == dump_schema(databases["fresh"])
    filled = {table: rows for table, rows in _rows_of_filled_tables(databases["fresh"]).items() if rows}
    assert _rows_of_filled_tables(upgraded, list(filled)) == filled
    assert {s.state for s in status(upgraded)} == {"applied"}
    assert release(upgraded).database == __version__

    assert _state_of_the_data(upgraded) == before
    # Every function of 0.1.0, internal ones too, is still there with its result, unless removed on purpose.
    with psycopg.connect(upgraded) as conn:
        new_functions = set(conn.execute(SIGNATURES).fetchall())
    assert [f for f in old_functions if f not in new_functions and f[0] not in _removed_by(__version__)] == []
    assert _removed_by(__version__) <= {f[0] for f in old_functions} - {f[0] for f in new_functions}
    assert main(["--dsn", upgraded, "simulate", "--tasks", "100", "--workers", "4", "--no-progress"]) == 0
    assert _state_of_the_data(upgraded)["tasks"][: len(before["tasks"])] == before["tasks"]


def test_an_upgrade_while_release_0_1_0_runs_a_workflow_keeps_it_running(databases, release_0_1_0):
    live = databases["upgraded"]
    _run_old(release_0_1_0, live, "migrate")
    simulation = _old(
        release_0_1_0,
        live,
        "simulate", "--tasks", "400", "--workers", "8", "--no-progress", "--json",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _one(live, "select count(*) from jobmon.transition_history") < 200:
            assert simulation.poll() is None, simulation.communicate()
            assert time.monotonic() < deadline, "the simulation made no moves"
            time.sleep(0.2)
        started = time.monotonic()
        try:
            result = migrate(live, lock_timeout="5s")
        except MigrationLockTimeout:  # stopped cleanly: nothing applied; the next run finishes the job
            result = None
        assert time.monotonic() - started < 120
        upgraded_while_running = simulation.poll() is None
        out, err = simulation.communicate(timeout=600)
    finally:
        if simulation.poll() is None:
            simulation.kill()
    summary = json.loads(out) if out.strip().startswith("{") else {}
    failed = [i for i in summary.get("invariants", []) if not i["ok"]]
    assert simulation.returncode == 0 and summary.get("ok"), (failed, summary.get("errors"), err[-3000:])
    assert upgraded_while_running, "the simulation ended before the upgrade did: nothing was tested"
    if result is None:
        migrate(live)
    assert {s.state for s in status(live)} == {"applied"}
    assert main(["--dsn", live, "simulate", "--tasks", "100", "--workers", "4", "--no-progress"]) == 0


def test_applying_every_sql_file_again_takes_no_strong_lock_on_a_table(db_dsn):
    """What an upgrade re-applies waits for no move and blocks none, when the objects are already as they should be."""
    with psycopg.connect(db_dsn) as conn, conn.cursor() as cursor:
        cursor.execute("update jobmon.repeatable_sql set sha256 = 'old'")
        assert apply_sql_files(cursor, migrations.SQL_DIR, migrations.MIGRATIONS_DIR, __version__)
        cursor.execute(
            "select l.relation::regclass::text, l.mode from pg_locks l"
            " where l.pid = pg_backend_pid() and l.locktype = 'relation'"
            " and l.mode in ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')"
            " and l.relation in (select oid from pg_class where relnamespace = 'jobmon'::regnamespace)"
        )
        assert cursor.fetchall() == []
        conn.rollback()
