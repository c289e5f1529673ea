"""Every door holds: stale attempts, attempts within the maximum, bounded echoes of input, parents of
queued instances, one rule for report-by increments and for distributor ids, limits per call.

The roles' side (who may call what, the batch counter, adopting existing roles) is in
tests/test_privileges.py and at the end of this file.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from jobmon_db import (
    InvalidArgument,
    LimitExceeded,
    TaskResourcesNotFound,
    UnknownStatus,
    WorkflowMismatch,
    WorkflowRunNotFound,
    instantiate_task_instances,
    launch_array_batch,
    log_array_distributor_ids,
    log_distributor_id,
    log_running,
    queue_task_batch,
    reset_tasks_for_resume,
)
from jobmon_db.cli import main
from jobmon_db.errors import translate
from jobmon_db.migrate import UnexpectedRoleAttributes, migrate
from tests.factories import make_array, make_array_batch, make_array_tasks, make_call_site_instance
from tests.test_batch_races import reporters, run
from tests.test_races import WAIT_SECONDS, wait_until_blocked

__all__ = ["reporters"]  # the race harness's fixture

DOC = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
LIVE = ("Q", "I", "O", "R", "T", "X", "K")


def everything(conn: psycopg.Connection[Any]) -> list[Any]:
    """Every row of the tables a call could write."""
    return [
        conn.execute(f"select coalesce(string_agg(t::text, ',' order by t::text), '') from jobmon.{table} t").fetchone()
        for table in ("task", "task_instance", "task_instance_error_log", "array")
    ]


def instance_statuses(conn: psycopg.Connection[Any], task: int) -> dict[int, str]:
    rows = conn.execute("select id, status from jobmon.task_instance where task_id = %s order by id", (task,))
    return dict(rows.fetchall())


# ---------------------------------------------------------------------------
# 1. Only a task's current attempt may be instantiated or launched
# ---------------------------------------------------------------------------


def test_a_queue_that_commits_while_a_resume_waits_leaves_one_live_instance(db_dsn, conn, reporters):
    array_id, run_id, resources = make_array(conn)
    (task,) = make_array_tasks(conn, array_id, ["G"])
    workflow = conn.execute("select workflow_id from jobmon.task where id = %s", (task,)).fetchone()[0]
    swarm = reporters("swarm", autocommit=False)
    resume = reporters("resume", autocommit=False)

    (first,) = queue_task_batch(swarm.conn, [task], array_id, resources, run_id)  # holds the task
    reset = run(resume, lambda c: reset_tasks_for_resume(c, workflow, True))
    assert wait_until_blocked(conn, resume.pid) == {swarm.pid}
    swarm.conn.commit()  # the queue commits while the reset waits on the task
    (reset_row,) = reset.result(timeout=WAIT_SECONDS)
    resume.conn.commit()
    assert (reset_row.outcome, reset_row.previous_status.value) == ("applied", "Q")

    (second,) = queue_task_batch(conn, [task], array_id, resources, run_id)  # the new run queues it again
    stale, current = first.task_instance_id, second.task_instance_id
    assert instance_statuses(conn, task) == {stale: "Q", current: "Q"}

    rows = {r.task_instance_id: r for r in instantiate_task_instances(conn, [stale, current])}
    assert (rows[current].outcome, rows[current].status.value) == ("applied", "I")
    assert (rows[stale].outcome, rows[stale].status.value) == ("stale", "F")
    assert [s for s in instance_statuses(conn, task).values() if s in LIVE] == ["I"]
    assert conn.execute("select status from jobmon.task where id = %s", (task,)).fetchone()[0] == "I"
    (log,) = conn.execute("select count(*) from jobmon.task_instance_error_log where task_instance_id = %s", (stale,))
    assert log == (1,)  # saying why it was finished


def _stale(conn: psycopg.Connection[Any], status: str) -> tuple[int, int]:
    ti, task = make_call_site_instance(conn, status, "G")
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (ti + 1, task))
    return ti, task


def test_a_stale_attempt_is_never_launched_by_its_distributor_id(conn):
    ti, task = _stale(conn, "I")
    result = log_distributor_id(conn, ti, "1234", timedelta(minutes=5))
    assert (result.outcome, result.status.value, result.task_status.value, result.distributor_id) == (
        "stale",
        "K",
        "G",
        "1234",  # recorded, so the distributor can kill its job
    )


def test_a_stale_attempt_is_never_run_when_its_worker_beat_the_distributor(conn):
    ti, _ = _stale(conn, "I")
    result = log_running(conn, ti, "node", 1, timedelta(minutes=5))
    assert (result.outcome, result.status.value) == ("stale", "F")  # the worker runs nothing


def test_instantiate_finishes_a_stale_attempt_already_instantiated(conn):
    ti, _ = _stale(conn, "I")
    (row,) = instantiate_task_instances(conn, [ti])
    assert (row.outcome, row.status.value) == ("stale", "F")


# ---------------------------------------------------------------------------
# 3. num_attempts <= max_attempts, and max_attempts >= 1
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("num", "maximum"), [(0, 0), (0, -1), (2, 1)])
def test_a_task_with_attempts_above_its_maximum_cannot_exist(conn, num, maximum):
    conn.execute("insert into jobmon.workflow (name) values ('w')")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "insert into jobmon.task (workflow_id, num_attempts, max_attempts)"
            " select id, %s, %s from jobmon.workflow limit 1",
            (num, maximum),
        )


def test_a_task_is_queued_as_often_as_its_maximum_and_never_more(conn):
    array_id, run_id, resources = make_array(conn)
    (task,) = make_array_tasks(conn, array_id, ["G"], max_attempts=1)
    (row,) = queue_task_batch(conn, [task], array_id, resources, run_id)
    assert (row.outcome, row.num_attempts) == ("applied", 1)
    # An admin's direct write back to G with the attempt used cannot make it queue a second time.
    conn.execute("update jobmon.task set status = 'G' where id = %s", (task,))
    (row,) = queue_task_batch(conn, [task], array_id, resources, run_id)
    assert (row.outcome, row.num_attempts) == ("invalid", 1)


# ---------------------------------------------------------------------------
# 4. A 1 MB value of any text argument of any public function is never echoed whole
# ---------------------------------------------------------------------------

MEGABYTE = 1_000_000
BOUND = 2_000  # characters of message, detail, hint and context together


def _public_text_arguments(conn: psycopg.Connection[Any]) -> list[tuple[str, str, int]]:
    """(function signature, argument name, argument position) of every text or text[] argument."""
    rows = conn.execute(
        """
        select p.oid::regprocedure::text, a.name, a.n::integer
          from pg_proc p
         cross join lateral unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) with ordinality a(name, type, n)
         where p.pronamespace = 'jobmon'::regnamespace and p.proname !~ '^_' and p.prokind = 'f'
           and a.type in ('text'::regtype, 'text[]'::regtype)
         order by 1, 3
        """
    ).fetchall()
    return [(signature, name, n) for signature, name, n in rows]


def _value(type_name: str, ti: int, huge: bool) -> Any:
    """A plausible argument of the type (the existing instance for an id), or the 1 MB text."""
    if huge:
        return ["x" * MEGABYTE] if type_name.endswith("[]") else "x" * MEGABYTE
    return {
        "bigint": ti, "integer": 1, "boolean": False, "interval": timedelta(minutes=1),
        "text": "E", "text[]": ["E"], "bigint[]": [ti], "integer[]": [0], "boolean[]": [False],
    }[type_name]  # fmt: skip


def _server_log(conn: psycopg.Connection[Any]) -> str | None:
    return conn.execute("select pg_current_logfile()").fetchone()[0]


def test_the_search_finds_the_text_arguments(conn):
    found = {(s.split("(")[0], a) for s, a, _ in _public_text_arguments(conn)}
    assert {("jobmon.transition_task_instance", "new_status"), ("jobmon.log_error", "description"),
            ("jobmon.log_array_distributor_ids", "distributor_ids")} <= found  # fmt: skip


def test_no_function_echoes_a_megabyte_of_text_input(conn):
    ti, _ = make_call_site_instance(conn, "R")
    log = _server_log(conn)
    log_before = conn.execute("select (pg_stat_file(%s)).size", (log,)).fetchone()[0] if log else None
    oversized = []
    for signature, argument, position in _public_text_arguments(conn):
        types = signature.split("(", 1)[1].rstrip(")").split(",")
        params = [_value(t.strip(), ti, huge=(n == position)) for n, t in enumerate(types, start=1)]
        call = sql.SQL("select * from {}({})").format(
            sql.SQL(signature.split("(")[0]),
            sql.SQL(", ").join(sql.SQL("%s::{}").format(sql.SQL(t.strip())) for t in types),
        )
        try:
            with conn.transaction(force_rollback=True):
                returned = len(str(conn.execute(call, params).fetchall()))
        except psycopg.Error as error:
            diag = error.diag
            fields = (diag.message_primary, diag.message_detail, diag.message_hint, diag.context)
            returned = sum(len(f or "") for f in fields)
        if returned > BOUND:
            oversized.append((signature, argument, returned))
    assert oversized == []
    if log is not None:  # the server log grew by far less than one echo of the value
        grown = conn.execute("select (pg_stat_file(%s)).size", (log,)).fetchone()[0] - log_before
        assert grown < MEGABYTE


def test_an_unknown_status_of_twenty_megabytes_is_named_by_its_length(conn):
    ti, _ = make_call_site_instance(conn, "R")
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("select * from jobmon.transition_task_instance(%s, %s)", (ti, "y" * 20_000_000))
    assert raised.value.diag.message_primary == f"Unknown task instance status: '{'y' * 200}... (20000000 characters)'"


# ---------------------------------------------------------------------------
# The catalogue of docs/errors.md, "Limits, parents and intervals": each call and its error
# ---------------------------------------------------------------------------

#: (call after `select * from jobmon.`, SQLSTATE, message, Python exception). In the calls, {ti} is
#: a task instance (R), {array}/{run}/{res} an array, a run of its workflow and task resources,
#: {other_run} a run of another workflow, {task} a task of the array in G.
LIMIT_CASES = [
    ("queue_task_batch(array[{task}], {array}, 999999, {run})", "JM012", "TaskResources id: 999999 not found",
     "TaskResourcesNotFound"),
    ("queue_task_batch(array[{task}], {array}, {res}, 999999)", "JM010", "WorkflowRun id: 999999 not found",
     "WorkflowRunNotFound"),
    ("queue_task_batch(array[{task}], {array}, {res}, {other_run})", "JM013",
     "WorkflowRun id: {other_run} belongs to Workflow id: {other_workflow}, not to Workflow id: {workflow} of"
     " Array id: {array}", "WorkflowMismatch"),
    ("queue_task_batch(array_fill(1::bigint, array[1000001]), {array}, {res}, {run})", "54000",
     "task_ids has 1000001 elements, at most 1000000 are accepted in one call", "LimitExceeded"),
    ("instantiate_task_instances(array_fill(1::bigint, array[1000001]))", "54000",
     "task_instance_ids has 1000001 elements, at most 1000000 are accepted in one call", "LimitExceeded"),
    ("log_heartbeats(array_fill(1::bigint, array[1000001]), '1 minute')", "54000",
     "task_instance_ids has 1000001 elements, at most 1000000 are accepted in one call", "LimitExceeded"),
    ("kill_task_instances(array_fill(1::bigint, array[1000001]))", "54000",
     "task_instance_ids has 1000001 elements, at most 1000000 are accepted in one call", "LimitExceeded"),
    ("distributor_task_instances(array_fill(1::bigint, array[1000001]))", "54000",
     "task_instance_ids has 1000001 elements, at most 1000000 are accepted in one call", "LimitExceeded"),
    ("log_array_distributor_ids({array}, 1, array_fill(0, array[1000001]), array_fill('j'::text, array[1000001]))",
     "54000", "array_step_ids has 1000001 elements, at most 1000000 are accepted in one call", "LimitExceeded"),
    ("log_error({ti}, 'E', repeat('x', 65536))", "22001",
     "description is too long: 65536 characters, at most 65535 are stored", "InvalidArgument"),
    ("log_done({ti}, stderr_log => repeat('x', 65536))", "22001",
     "stderr_log is too long: 65536 characters, at most 65535 are stored", "InvalidArgument"),
    ("log_heartbeat({ti}, '300000 years')", "22023",
     "next_report_increment must be at most 100 years, not 300000 years", "UnknownStatus"),
    ("log_heartbeats(array[{ti}], '300000 years')", "22023",
     "next_report_increment must be at most 100 years, not 300000 years", "UnknownStatus"),
    ("log_heartbeats(array[{ti}], '0')", "22023", "next_report_increment must be positive, not 00:00:00",
     "UnknownStatus"),
    ("launch_array_batch({array}, 1, '300000 years')", "22023",
     "next_report_increment must be at most 100 years, not 300000 years", "UnknownStatus"),
    ("triage_overdue({run}, '300000 years')", "22023", "launched_grace must be at most 100 years, not 300000 years",
     "UnknownStatus"),
]  # fmt: skip


@pytest.fixture
def parents(conn: psycopg.Connection[Any]) -> dict[str, int]:
    array_id, run_id, resources = make_array(conn)
    (task,) = make_array_tasks(conn, array_id, ["G"])
    workflow = conn.execute("select workflow_id from jobmon.array where id = %s", (array_id,)).fetchone()[0]
    other_workflow, other_run = conn.execute(
        "with wf as (insert into jobmon.workflow (name) values ('other') returning id)"
        " insert into jobmon.workflow_run (workflow_id) select id from wf returning workflow_id, id"
    ).fetchone()
    ti, _ = make_call_site_instance(conn, "R")
    return {"array": array_id, "run": run_id, "res": resources, "task": task, "workflow": workflow,
            "other_workflow": other_workflow, "other_run": other_run, "ti": ti}  # fmt: skip


@pytest.mark.parametrize(("call", "sqlstate", "message", "exception"), LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_a_bad_parent_limit_or_interval_gets_its_error_and_changes_nothing(conn, parents, call, sqlstate, message,
                                                                           exception):  # fmt: skip
    before = everything(conn)
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(f"select * from jobmon.{call.format(**parents)}")
    diag = raised.value.diag
    assert (diag.sqlstate, diag.message_primary) == (sqlstate, message.format(**parents))
    assert "Nothing was changed" in (diag.message_hint or "")
    assert type(translate(raised.value)).__name__ == exception
    assert everything(conn) == before


DOC_PARENTS = {"array": 1, "run": 2, "res": 3, "task": 4, "workflow": 5, "other_workflow": 6, "other_run": 7,
               "ti": 42}  # fmt: skip


def test_docs_show_every_limit_parent_and_interval_case():
    section = DOC.split("## Limits, parents and intervals\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    shown = {tuple(re.sub(r"^`(.*)`$", r"\1", c.strip()) for c in row.strip("|").split(" | ")) for row in rows}
    expected = {(c.format(**DOC_PARENTS), s, m.format(**DOC_PARENTS), e) for c, s, m, e in LIMIT_CASES}
    assert shown == expected


def test_the_python_wrappers_raise_the_mapped_exceptions(conn, parents):
    with pytest.raises(TaskResourcesNotFound):
        queue_task_batch(conn, [parents["task"]], parents["array"], 999999, parents["run"])
    with pytest.raises(WorkflowRunNotFound):
        queue_task_batch(conn, [parents["task"]], parents["array"], parents["res"], 999999)
    with pytest.raises(WorkflowMismatch):
        queue_task_batch(conn, [parents["task"]], parents["array"], parents["res"], parents["other_run"])
    with pytest.raises(LimitExceeded) as raised:
        instantiate_task_instances(conn, range(1, 1_000_002))
    assert isinstance(raised.value, InvalidArgument) and raised.value.sqlstate == "54000"
    with pytest.raises(UnknownStatus):
        launch_array_batch(conn, parents["array"], 1, timedelta(days=999999999))


def test_a_batch_of_the_largest_size_passes(conn):
    rows = conn.execute("select count(*) from jobmon.log_heartbeats(array(select generate_series(1, 1000000)::bigint),"
                        " '1 minute')").fetchone()  # fmt: skip
    assert rows == (1_000_000,)  # every id not_found, none refused


# ---------------------------------------------------------------------------
# 6. One rule for report-by increments, checked before anything is read
# ---------------------------------------------------------------------------

INCREMENT_CALLS: dict[str, Callable[[str], str]] = {
    "log_running": lambda i: f"log_running(0, 'n', 1, {i})",
    "log_heartbeat": lambda i: f"log_heartbeat(0, {i})",
    "log_distributor_id": lambda i: f"log_distributor_id(0, 'j', {i})",
    "log_heartbeats": lambda i: f"log_heartbeats('{{0}}', {i})",
    "launch_array_batch": lambda i: f"launch_array_batch(0, 1, {i})",
}


@pytest.mark.parametrize("increment", ["'0'", "'-1 second'", "'300000 years'", "'999999999 days'"])
@pytest.mark.parametrize("function", INCREMENT_CALLS)
def test_an_unusable_increment_is_refused_the_same_way_by_every_function(conn, function, increment):
    # Id 0 exists nowhere: the interval is refused before anything is read.
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(f"select * from jobmon.{INCREMENT_CALLS[function](increment + '::interval')}")
    assert raised.value.diag.sqlstate == "22023"
    assert re.fullmatch(r"next_report_increment must be (positive|at most 100 years), not .*",
                        raised.value.diag.message_primary or "")  # fmt: skip


def test_triage_refuses_a_grace_that_overflows_whatever_the_data(conn):
    _, run_id, _ = make_array(conn)
    with pytest.raises(UnknownStatus, match="launched_grace must be at most 100 years"):
        from jobmon_db import triage_overdue

        triage_overdue(conn, run_id, timedelta(days=999999999))


# ---------------------------------------------------------------------------
# 7. One rule for recording distributor ids
# ---------------------------------------------------------------------------


def test_a_recorded_distributor_id_is_kept_by_the_array_route_as_by_the_single_one(conn):
    array_id, _, _ = make_array(conn)
    ((launched, _), (blank, _)) = make_array_batch(conn, array_id, [("O", "O"), ("O", "O")])
    conn.execute("update jobmon.task_instance set distributor_id = '111' where id = %s", (launched,))

    rows = {r.array_step_id: r for r in log_array_distributor_ids(conn, array_id, 1, {0: "222", 1: "  "})}
    assert (rows[0].outcome, rows[0].distributor_id) == ("ignored", "111")
    assert (rows[1].outcome, rows[1].distributor_id) == ("invalid", None)
    single = log_distributor_id(conn, launched, "333", timedelta(minutes=1))
    assert (single.outcome, single.distributor_id) == ("ignored", "111")


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
def test_a_blank_distributor_id_is_refused(conn, blank):
    ti, _ = make_call_site_instance(conn, "I")
    with pytest.raises(UnknownStatus, match="distributor_id must not be blank"):
        log_distributor_id(conn, ti, blank, timedelta(minutes=1))


# ---------------------------------------------------------------------------
# 10. The batch counter is written by the functions only
# ---------------------------------------------------------------------------


def test_the_application_cannot_write_the_batch_counter(conn):
    array_id, _, _ = make_array(conn)
    app = conn.execute("select role_name from jobmon.deployment_role where actor = 'app'").fetchone()[0]
    conn.execute(sql.SQL("set role {}").format(sql.Identifier(app)))
    try:
        for statement in (
            "update jobmon.array set next_batch_num = 1 where id = %s",
            "insert into jobmon.array (workflow_id, next_batch_num) select workflow_id, 2147483647"
            " from jobmon.array where id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(statement, (array_id,))
        conn.execute("update jobmon.array set name = 'renamed' where id = %s", (array_id,))
    finally:
        conn.execute("reset role")


# ---------------------------------------------------------------------------
# 11. migrate refuses existing roles with attributes the deployment did not ask for
# ---------------------------------------------------------------------------

ACTORS = ("owner", "app", "readonly", "worker_node", "distributor", "swarm")


@pytest.mark.parametrize("attributes", ["login password 'secret'", "superuser", "createrole", "bypassrls"])
def test_migrate_refuses_an_existing_role_with_attributes_it_did_not_ask_for(server_dsn, attributes):
    prefix = f"jm{uuid.uuid4().hex[:6]}"
    database = f"jobmon_test_adopt_{prefix}"
    role = f"{prefix}_{'owner' if 'login' in attributes else 'app'}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
        admin.execute(sql.SQL(f"create role {{}} {attributes}").format(sql.Identifier(role)))
    dsn = psycopg.conninfo.make_conninfo(server_dsn, dbname=database)
    try:
        with pytest.raises(UnexpectedRoleAttributes) as raised:
            migrate(dsn, role_prefix=prefix)
        assert role in raised.value.message and "--adopt-roles" in (raised.value.hint or "")
        assert main(["--dsn", dsn, "migrate", "--role-prefix", prefix]) == 1
        with psycopg.connect(dsn) as conn:  # nothing was applied
            assert conn.execute("select to_regnamespace('jobmon')").fetchone() == (None,)
        assert migrate(dsn, role_prefix=prefix, adopt_roles=True).migrations  # on purpose: adopted
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))
            for actor in ACTORS:
                name = sql.Identifier(f"{prefix}_{actor}")
                if admin.execute("select 1 from pg_roles where rolname = %s", (f"{prefix}_{actor}",)).fetchone():
                    admin.execute(sql.SQL("drop owned by {}").format(name))
                    admin.execute(sql.SQL("drop role {}").format(name))


def test_migrate_adopts_existing_nologin_roles_of_another_database_silently(db_dsn):
    # The test database was cloned from a template migrated with the same roles: migrating again is quiet.
    assert migrate(db_dsn).migrations == []


# ---------------------------------------------------------------------------
# 12. The helpers docs/sql-api.md lists as public can be called by app and readonly
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["app", "readonly"])
def test_the_public_helpers_answer_the_reading_roles(conn, actor):
    role = conn.execute("select role_name from jobmon.deployment_role where actor = %s", (actor,)).fetchone()[0]
    conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
    try:
        assert conn.execute("select jobmon.task_moves_on_entering('E', 3, 3)").fetchone() == (["E", "F"],)
        assert conn.execute("select jobmon.describe_statuses('{I,K}')").fetchone() == (
            "I (INSTANTIATED), K (KILL_SELF)",
        )
        assert (
            "Valid transitions from Q"
            in conn.execute("select jobmon.describe_task_instance_transitions_from('Q')").fetchone()[0]
        )
        with pytest.raises(psycopg.Error) as raised:
            conn.execute("select jobmon.require_task_instance_status('running')")
        assert (raised.value.diag.sqlstate, raised.value.diag.message_hint) == (
            "22023",
            "Use the one-character code: R (RUNNING).",
        )
    finally:
        conn.execute("reset role")
