"""Nobody moves a status around the state machine: every role tries every
write on every table and every function, against a table of what is allowed.

The roles are the NOLOGIN group roles of jobmon.deployment_role, taken with
SET ROLE; 'nobody' is a role with no grant at all (what PUBLIC gets).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from jobmon_db.migrate import migrate
from tests.factories import make_task_instance
from tests.test_schema import INLINED_FUNCTIONS

ROLES = ("app", "readonly", "worker_node", "distributor", "swarm", "nobody")

# What each role may do, written from the issue (not read from the database).
PARENT_TABLES = {"workflow", "workflow_run", "array", "task_resources"}
TASK_INSERT_COLUMNS = {
    "workflow_id", "node_id", "task_args_hash", "array_id", "name", "command",
    "task_resources_id", "max_attempts", "resource_scales", "fallback_queues",
}  # fmt: skip
# not next_batch_num: only queue_task_batch writes the counter; the last three are upstream Jobmon's (0007)
ARRAY_COLUMNS = {"workflow_id", "name", "task_template_version_id", "max_concurrently_running", "created_date"}
# The actors get their routes and reads only; the generic move is app's alone.
WORKER_NODE = {"log_running", "log_heartbeat", "log_done", "log_error",
               "worker_node_task_instance", "array_task_instance"}  # fmt: skip
DISTRIBUTOR = {"log_error", "distributor_task_instances", "instantiate_task_instances",
               "launch_array_batch", "log_distributor_id", "log_no_distributor_id", "log_array_distributor_ids",
               "log_heartbeats", "log_unknown_error", "kill_task_instances"}  # fmt: skip
SWARM = {"queue_task_batch", "triage_overdue", "terminate_workflow_run", "reset_tasks_for_resume",
         "task_status_changes"}  # fmt: skip
READ_FUNCTIONS = {"worker_node_task_instance", "array_task_instance", "distributor_task_instances",
                  "task_status_changes", "task_instance_history", "history_enabled",
                  "derived_rules_drift"}  # fmt: skip
APP_ONLY = {"transition_task_instance", "bind_tasks"}  # the generic move and the server's task binding
PUBLIC_FUNCTIONS = WORKER_NODE | DISTRIBUTOR | SWARM | READ_FUNCTIONS | APP_ONLY
#: The helpers docs/sql-api.md lists (read-only; they run with the owner's rights too).
HELPERS = {"task_moves_on_entering", "require_task_instance_status", "describe_statuses",
           "describe_task_instance_transitions_from"}  # fmt: skip
MAY_EXECUTE = {
    "app": PUBLIC_FUNCTIONS | HELPERS,
    "readonly": READ_FUNCTIONS | HELPERS,
    "worker_node": WORKER_NODE,
    "distributor": DISTRIBUTOR,
    "swarm": SWARM,
    "nobody": set(),
}


def table_write_allowed(role: str, table: str, action: str, column: str | None) -> bool:
    if role != "app":
        return False
    if table == "array":
        return action in ("INSERT", "UPDATE") and column in ARRAY_COLUMNS
    if table in PARENT_TABLES:
        return action in ("INSERT", "UPDATE")
    return table == "task" and action == "INSERT" and column in TASK_INSERT_COLUMNS


@pytest.fixture(scope="module")
def probe(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to a migrated database with one row in every table, and a role with no grant."""
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        make_task_instance(conn, "R", "R")
        conn.execute(
            "insert into jobmon.task_instance_error_log (task_instance_id, description)"
            " select id, 'probe' from jobmon.task_instance"
        )
        conn.execute("insert into jobmon.workflow_run (workflow_id) select id from jobmon.workflow")
        conn.execute("insert into jobmon.array (workflow_id) select id from jobmon.workflow")
        conn.execute("insert into jobmon.task_resources (requested_resources) values (null)")
        nobody = f"jobmon_test_nobody_{uuid.uuid4().hex[:8]}"
        conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(nobody)))
        conn.execute(sql.SQL("grant usage on schema jobmon to {}").format(sql.Identifier(nobody)))
        try:
            yield conn
        finally:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(nobody)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(nobody)))
            conn.execute("reset role")


def _role_name(conn: psycopg.Connection[Any], role: str) -> str:
    if role == "nobody":
        row = conn.execute("select rolname from pg_roles where rolname like 'jobmon_test_nobody_%'").fetchone()
    else:
        row = conn.execute("select role_name from jobmon.deployment_role where actor = %s", (role,)).fetchone()
    assert row is not None
    return str(row[0])


def _try_as(conn: psycopg.Connection[Any], role: str, statement: sql.Composable) -> str | None:
    """Run the statement as the role in a transaction that is rolled back; the SQLSTATE it raised, if any."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("set local role {}").format(sql.Identifier(_role_name(conn, role))))
            conn.execute(statement)
    except psycopg.Error as error:
        return error.sqlstate
    return None


def _fingerprint(conn: psycopg.Connection[Any]) -> str:
    """Every row of every table of the schema, hashed."""
    tables = [r[0] for r in conn.execute("select oid::regclass::text from pg_class where relnamespace ="
                                         " 'jobmon'::regnamespace and relkind = 'r' order by 1")]  # fmt: skip
    parts = [
        conn.execute(
            sql.SQL("select coalesce(md5(string_agg(t::text, ',' order by t::text)), '') from {} t").format(
                sql.SQL(table)
            )
        ).fetchone()[0]  # fmt: skip
        for table in tables
    ]
    return ",".join(parts)


def _tables(conn: psycopg.Connection[Any]) -> dict[str, list[str]]:
    rows = conn.execute(
        "select c.relname, array_agg(a.attname::text order by a.attnum) from pg_class c"
        " join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped"
        " where c.relnamespace = 'jobmon'::regnamespace and c.relkind = 'r' group by c.relname"
    ).fetchall()
    return dict(rows)


def test_every_role_tries_every_write_on_every_table(probe):
    before = _fingerprint(probe)
    wrong = []
    for table, columns in _tables(probe).items():
        name = sql.Identifier("jobmon", table)
        attempts: list[tuple[str, str | None, sql.Composable]] = [
            ("DELETE", None, sql.SQL("delete from {}").format(name)),
            ("TRUNCATE", None, sql.SQL("truncate {} cascade").format(name)),
        ]
        for column in columns:
            col = sql.Identifier(column)
            # An identity column takes DEFAULT, or OVERRIDING SYSTEM VALUE: anything else is refused
            # before the privileges are checked.
            value, overriding = (sql.SQL("default"), sql.SQL("overriding system value ")) if column == "id" else (
                col, sql.SQL(""))  # fmt: skip
            attempts.append(("UPDATE", column, sql.SQL("update {} set {} = {}").format(name, col, value)))
            attempts.append(("INSERT", column, sql.SQL("insert into {} ({}) {}select {} from {}").format(
                name, col, overriding, col, name)))  # fmt: skip
        for role in ROLES:
            for action, column, statement in attempts:
                denied = _try_as(probe, role, statement) == "42501"
                if denied == table_write_allowed(role, table, action, column):
                    wrong.append((role, table, action, column, "denied" if denied else "allowed"))
    assert wrong == []
    assert _fingerprint(probe) == before


def test_every_role_may_read_what_it_should(probe):
    for table in _tables(probe):
        for role in ROLES:
            state = _try_as(probe, role, sql.SQL("select * from {}").format(sql.Identifier("jobmon", table)))
            assert (state != "42501") == (role in ("app", "readonly")), (role, table)


def test_every_role_tries_every_function(probe):
    functions = probe.execute(
        "select p.oid::regprocedure::text, p.proname, p.pronargs from pg_proc p"
        " where p.pronamespace = 'jobmon'::regnamespace"
    ).fetchall()
    public = {name for _, name, _ in functions} & PUBLIC_FUNCTIONS
    assert "transition_task_instance" in public
    before = _fingerprint(probe)
    wrong = []
    for signature, name, nargs in functions:
        call = sql.SQL("select {}({})").format(sql.SQL(signature.split("(")[0]), sql.SQL(", ".join(["null"] * nargs)))
        for role in ROLES:
            allowed = name in MAY_EXECUTE[role]
            catalog = probe.execute(
                "select has_function_privilege(%s, %s::regprocedure, 'EXECUTE')", (_role_name(probe, role), signature)
            ).fetchone()[0]
            denied = _try_as(probe, role, call) == "42501"
            if catalog != allowed or denied == allowed:
                wrong.append((role, signature, "allowed" if catalog else "denied"))
    assert wrong == []
    assert _fingerprint(probe) == before


def test_a_name_with_an_underscore_is_internal_and_every_other_name_is_public(conn):
    """`_`-prefixed: the owner's alone and run with the caller's rights; any other name runs as the owner."""
    rows = conn.execute(
        "select p.proname, p.prosecdef, p.proacl::text[] from pg_proc p where p.pronamespace = 'jobmon'::regnamespace"
    ).fetchall()
    owner = conn.execute("select role_name from jobmon.deployment_role where actor = 'owner'").fetchone()[0]
    for name, security_definer, acl in rows:
        if name.startswith("_"):
            assert not security_definer and acl == [f"{owner}=X/{owner}"], name
        else:
            assert security_definer, name
    granted = conn.execute("select object_name from jobmon._privileges() where object_kind = 'function'").fetchall()
    assert not [name for (name,) in granted if name.startswith("_")]


def test_the_functions_run_with_the_owners_rights_and_a_pinned_search_path(conn):
    rows = conn.execute(
        "select p.proname, p.prosecdef, p.proowner::regrole::text, p.proconfig from pg_proc p"
        " where p.pronamespace = 'jobmon'::regnamespace"
    ).fetchall()
    owner = conn.execute("select role_name from jobmon.deployment_role where actor = 'owner'").fetchone()[0]
    for name, security_definer, function_owner, config in rows:
        assert function_owner == owner, name
        assert name in INLINED_FUNCTIONS or "search_path=pg_catalog, pg_temp" in config, name
        if name in PUBLIC_FUNCTIONS | HELPERS:
            assert security_definer, name


def test_everything_in_the_schema_belongs_to_the_owner(conn):
    owner = conn.execute("select role_name from jobmon.deployment_role where actor = 'owner'").fetchone()[0]
    owners = conn.execute(
        "select distinct relowner::regrole::text from pg_class where relnamespace = 'jobmon'::regnamespace"
        " union select nspowner::regrole::text from pg_namespace where nspname = 'jobmon'"
    ).fetchall()
    assert owners == [(owner,)]


def _as_role(conn: psycopg.Connection[Any], role: str) -> None:
    conn.execute(sql.SQL("set role {}").format(sql.Identifier(_role_name(conn, role))))


def test_the_application_registers_tasks_that_start_in_g_and_moves_them_only_through_functions(conn):
    _as_role(conn, "app")
    workflow = conn.execute("insert into jobmon.workflow (name) values ('w') returning id").fetchone()[0]
    task = conn.execute(
        "insert into jobmon.task (workflow_id, name, max_attempts) values (%s, 't', 3) returning status, num_attempts",
        (workflow,),
    ).fetchone()
    assert task == ("G", 0)
    for statement in (
        "insert into jobmon.task (workflow_id, status) values (%s, 'D')",
        "insert into jobmon.task (workflow_id, num_attempts) values (%s, 5)",
        "insert into jobmon.task_instance (task_id) select id from jobmon.task where workflow_id = %s",
        "update jobmon.task set status = 'D' where workflow_id = %s",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(statement, (workflow,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("update jobmon.task_instance_transition set kind = 'valid'")
    conn.execute("reset role")
    ti, _ = make_task_instance(conn, "O", "O", num_attempts=1)
    _as_role(conn, "worker_node")
    row = conn.execute("select outcome, status from jobmon.log_running(%s, 'node', 1, '1 minute')", (ti,)).fetchone()
    assert row == ("applied", "R")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("select * from jobmon.transition_task_instance(%s, 'F')", (ti,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("select * from jobmon.task_instance where id = %s", (ti,))


def _migrate_in_new_database(server_dsn: str, name: str, options: str) -> tuple[str, Exception | None]:
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = psycopg.conninfo.make_conninfo(server_dsn, dbname=name, options=options)
    try:
        migrate(dsn)
    except Exception as error:  # reported by the test
        return dsn, error
    return dsn, None


def test_several_databases_migrated_at_once_share_roles_named_by_a_prefix(server_dsn):
    prefix = f"jm{uuid.uuid4().hex[:6]}"
    names = [f"jobmon_test_prefix_{prefix}_{i}" for i in range(3)]
    outcomes: list[tuple[str, Exception | None]] = []
    threads = [
        threading.Thread(target=lambda n=n: outcomes.append(
            _migrate_in_new_database(server_dsn, n, f"-c jobmon.role_prefix={prefix}")))
        for n in names
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    try:
        assert [error for _, error in outcomes] == [None, None, None]
        for dsn, _ in outcomes:
            with psycopg.connect(dsn) as conn:
                roles = dict(conn.execute("select actor, role_name from jobmon.deployment_role").fetchall())
                owner = conn.execute("select nspowner::regrole::text from pg_namespace where nspname = 'jobmon'")
                assert owner.fetchone()[0] == f"{prefix}_owner"
        assert roles == {
            a: f"{prefix}_{a}" for a in ("owner", "app", "readonly", "worker_node", "distributor", "swarm")
        }
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            for name in names:
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            for actor in ("owner", "app", "readonly", "worker_node", "distributor", "swarm"):
                admin.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(f"{prefix}_{actor}")))


def test_docs_roles_table_lists_what_each_role_may_execute():
    """docs/roles.md names, for each role, exactly the functions MAY_EXECUTE says (app: every public one)."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "roles.md").read_text(encoding="utf-8")
    for actor in ("readonly", "worker_node", "distributor", "swarm"):
        row = next(line for line in doc.splitlines() if line.startswith(f"| {actor} |"))
        assert set(re.findall(r"`(\w+)`", row.split("|")[3])) == MAY_EXECUTE[actor], actor
