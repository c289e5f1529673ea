"""The schema holds the specification: statuses, transition pairs, columns, comments."""

from __future__ import annotations

import re

import pytest

from jobmon_db import TaskInstanceStatus, TaskStatus
from tests.spec_model import TASK_VALID, UNTIMELY, VALID

REFERENCE_TASK_INSTANCE_COLUMNS = """id workflow_run_id array_id task_id distributor_id task_resources_id
    array_batch_num array_step_id nodename process_group_id usage_str wallclock maxrss maxpss cpu io stdout
    stderr stdout_log stderr_log status submitted_date status_date report_by_date""".split()
REFERENCE_TASK_COLUMNS = """id workflow_id node_id task_args_hash array_id name command task_resources_id
    num_attempts max_attempts resource_scales fallback_queues status status_date""".split()


@pytest.mark.parametrize(("enum", "table"), [(TaskInstanceStatus, "task_instance_status"), (TaskStatus, "task_status")])
def test_status_enums_mirror_the_lookup_tables(conn, enum, table):
    rows = conn.execute(f"select id, label from jobmon.{table} order by id").fetchall()
    assert sorted((m.value, m.name) for m in enum) == rows


def test_lookup_tables_hold_the_specified_transitions(conn):
    rows = conn.execute("select from_status, to_status, kind from jobmon.task_instance_transition").fetchall()
    assert {(f, t) for f, t, k in rows if k == "valid"} == VALID
    assert {(f, t) for f, t, k in rows if k == "untimely"} == UNTIMELY
    assert (len(VALID), len(UNTIMELY)) == (25, 12)
    task_rows = conn.execute(
        "select from_status, to_status from jobmon.task_transition where kind = 'cascade'"
    ).fetchall()
    assert set(task_rows) == TASK_VALID and len(TASK_VALID) == 14


def test_the_resume_reset_is_written_down_as_task_transitions_of_kind_resume(conn):
    # A resume resets every task that is not D to G (CALL_SITES.md, "reset tasks for resume"); R only in a
    # cold resume, which the function's argument decides, not the rules. G needs no row (a move to the
    # status a task already has does nothing).
    rows = conn.execute("select from_status, to_status from jobmon.task_transition where kind = 'resume'").fetchall()
    assert set(rows) == {(s, "G") for s in ("Q", "I", "O", "R", "E", "A", "F")}
    kinds = {r[0] for r in conn.execute("select distinct kind from jobmon.task_transition")}
    assert kinds == {"cascade", "resume"}


def test_every_transition_has_a_reason(conn):
    missing = conn.execute(
        "select from_status, to_status from jobmon.task_instance_transition where length(btrim(reason)) < 10"
        " union all select from_status, to_status from jobmon.task_transition where length(btrim(reason)) < 10"
    ).fetchall()
    assert missing == []


def _columns(conn, table):
    return [
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'jobmon' and table_name = %s order by ordinal_position",
            (table,),
        )
    ]


def test_task_instance_and_task_have_the_reference_columns(conn):
    assert set(REFERENCE_TASK_INSTANCE_COLUMNS) <= set(_columns(conn, "task_instance"))
    assert set(REFERENCE_TASK_COLUMNS) <= set(_columns(conn, "task"))
    assert _columns(conn, "task_instance_error_log") == ["id", "task_instance_id", "error_time", "description"]


def test_reference_indexes_exist(conn):
    indexes = dict(conn.execute("select indexname, indexdef from pg_indexes where schemaname = 'jobmon'").fetchall())
    assert "(array_id, array_batch_num, array_step_id)" in indexes["ix_array_batch_index"]
    assert "(status, status_date)" in indexes["ix_status_status_date"]
    assert "(workflow_id, status_date)" in indexes["ix_task_workflow_id_status_date"]


def test_ids_are_bigint_identity_columns(conn):
    rows = conn.execute(
        "select table_name, data_type, is_identity from information_schema.columns"
        " where table_schema = 'jobmon' and column_name = 'id' and table_name in"
        " ('workflow', 'workflow_run', 'array', 'task_resources', 'task', 'task_instance', 'task_instance_error_log')"
    ).fetchall()
    assert len(rows) == 7
    assert {(r[1], r[2]) for r in rows} == {("bigint", "YES")}


def test_new_rows_start_with_the_specified_defaults(conn):
    conn.execute("insert into jobmon.workflow (name) values ('w')")
    task = conn.execute(
        "insert into jobmon.task (workflow_id) select id from jobmon.workflow"
        " returning status, num_attempts, max_attempts"
    ).fetchone()
    assert task == ("G", 0, 1)
    ti = conn.execute(
        "insert into jobmon.task_instance (task_id) select id from jobmon.task"
        " returning status, status_date is not null"
    ).fetchone()
    assert ti == ("Q", True)


def test_every_table_type_and_function_has_a_comment(conn):
    uncommented = conn.execute(
        """
        select 'table ' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'jobmon' and c.relkind = 'r' and obj_description(c.oid, 'pg_class') is null
        union all
        select 'function ' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'jobmon' and obj_description(p.oid, 'pg_proc') is null
        union all
        select 'type ' || t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace
         where n.nspname = 'jobmon' and t.typtype = 'c' and t.typrelid in
               (select oid from pg_class where relkind = 'c') and obj_description(t.oid, 'pg_type') is null
        union all
        select 'schema jobmon' where obj_description('jobmon'::regnamespace, 'pg_namespace') is null
        """
    ).fetchall()
    assert uncommented == []


#: Functions the planner must inline into their callers' plans, which it never does for a function
#: with a SET clause: instead of pinning search_path they resolve no name at run time (proven below).
#: Each with the arguments of a call of it on a column s (text) and n (integer).
INLINED_FUNCTIONS = {
    "_attempts_left": "n, 2",
    "_cut": "s",
    "_usable_distributor_id": "s",
    "_distributor_id_outcome": "s, s",
    # The named status sets (sql/10_status_helpers.sql): folded to a constant array.
    "_live_task_instance_statuses": "",
    "_unlaunched_task_instance_statuses": "",
    "_launched_task_instance_statuses": "",
    "_array_id_task_instance_statuses": "",
    "_heartbeat_task_instance_statuses": "",
    "_triaged_task_instance_statuses": "",
    "_error_task_instance_statuses": "",
    "_queueable_task_statuses": "",
}


def test_every_function_pins_its_search_path(conn):
    unpinned = conn.execute(
        """
        select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'jobmon'
           and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')
        """
    ).fetchall()
    functions = conn.execute("select count(*) from pg_proc where pronamespace = 'jobmon'::regnamespace").fetchone()
    assert {name for (name,) in unpinned} == set(INLINED_FUNCTIONS) and functions[0] >= 1


@pytest.mark.parametrize("name", sorted(INLINED_FUNCTIONS))
def test_an_inlined_function_is_inlined_and_names_nothing_search_path_could_change(conn, name):
    body, config, volatility, security_definer = conn.execute(
        "select prosrc, proconfig, provolatile, prosecdef from pg_proc"
        " where pronamespace = 'jobmon'::regnamespace and proname = %s",
        (name,),
    ).fetchone()
    assert (config, volatility, security_definer) == (None, "i", False)
    # Every operator and type is schema-qualified: no bare operator or cast outside a string constant.
    code = re.sub(r"'(?:[^']|'')*'", "''", body)
    unqualified = re.sub(r"operator\(pg_catalog\.[^)]+\)", "", code)
    assert re.findall(r"[-+*/<>=~!@#%^&|`?]+|::(?!pg_catalog\.)", unqualified) == []
    # Inlined: the plan of a query calling it shows no call of it.
    plan = conn.execute(
        f"explain (verbose, costs off) select jobmon.{name}({INLINED_FUNCTIONS[name]}) from (values ('R', 1)) v(s, n)"
    ).fetchall()
    assert not any(name in line for (line,) in plan)


def test_the_public_move_is_a_door_onto_the_one_implementation(conn):
    """transition_task_instance() calls jobmon._transition_task_instance() and does nothing else; no move is
    generated from another function's body or writes a row by its row version."""
    rows = dict(
        conn.execute(
            "select proname, prosrc from pg_proc where pronamespace = 'jobmon'::regnamespace"
            " and proname in ('transition_task_instance', '_transition_task_instance', '_move_task_instances')"
        ).fetchall()
    )
    door = [line.strip() for line in rows["transition_task_instance"].strip().splitlines()]
    assert door == [
        "begin",
        "return jobmon._transition_task_instance(task_instance_id, new_status, null, 'transition_task_instance');",
        "end;",
    ]
    assert not any("ctid" in body or "prosrc" in body for body in rows.values())


def test_cut_keeps_short_input_and_bounds_long_input(conn):
    short, long_, null = conn.execute(
        "select jobmon._cut('abc'), jobmon._cut(repeat('x', 1000000)), jobmon._cut(null)"
    ).fetchone()
    assert short == "abc" and null is None
    assert long_ == "x" * 200 + "... (1000000 characters)"
