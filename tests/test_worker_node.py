"""The worker node's call-site functions from every task-instance status, against tables written from the spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import InvalidStateTransition, TaskInstanceStatus, log_done, log_error, log_heartbeat, log_running
from tests import call_site_cases as cases
from tests.factories import make_call_site_instance, task_instance_row


@pytest.fixture
def conn(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(module_db_dsn, autocommit=True) as connection:
        yield connection


TABLES = {
    "log_running": cases.LOG_RUNNING,
    "log_heartbeat": cases.LOG_HEARTBEAT,
    "log_done": cases.LOG_DONE,
    "log_error_E": cases.LOG_ERROR_E,
    "log_error_Z": cases.LOG_ERROR_Z,
    "log_error_F": cases.LOG_ERROR_F,
}
CASES = [(call, status, expected) for call, table in TABLES.items() for status, expected in table.items()]


@pytest.mark.parametrize(("call", "status", "expected"), CASES, ids=[f"{c}-from-{s}" for c, s, _ in CASES])
def test_call_from_every_status_matches_the_expected_table(conn, call, status, expected):
    cases.check(conn, call, status, expected)


def test_log_running_returns_the_worker_node_wire_form(conn):
    ti, task = make_call_site_instance(conn, "O")
    resources = conn.execute(
        """insert into jobmon.task_resources (requested_resources) values ('{"stdout": "/logs/o", "stderr": "/logs/e"}')
           returning id"""
    ).fetchone()
    conn.execute("update jobmon.task_instance set task_resources_id = %s where id = %s", (resources[0], ti))
    conn.execute("update jobmon.task set name = 'n', command = 'echo hi' where id = %s", (task,))
    result = log_running(conn, ti, "node-7", 4242, timedelta(seconds=279))
    assert result.may_run and result.outcome == "applied"
    assert result.previous_status is TaskInstanceStatus.LAUNCHED
    row = task_instance_row(conn, ti)
    workflow = conn.execute("select workflow_id from jobmon.task where id = %s", (task,)).fetchone()
    assert result.to_wire() == (ti, "R", None, task, "n", "echo hi", workflow[0], "/logs/o", "/logs/e")
    assert row["distributor_id"] is None, "distributor_id is written only when given"
    assert row["report_by_date"] > row["status_date"] + timedelta(seconds=270)


def test_log_running_from_kill_self_tells_the_worker_to_stop(conn):
    ti, _ = make_call_site_instance(conn, "K")
    result = log_running(conn, ti, "node-7", 4242, timedelta(seconds=279))
    assert not result.may_run and result.status is TaskInstanceStatus.ERROR_FATAL


def test_log_heartbeat_tells_a_worker_in_kill_self_to_stop(conn):
    ti, _ = make_call_site_instance(conn, "K")
    result = log_heartbeat(conn, ti, timedelta(seconds=279))
    assert (result.outcome, result.status) == ("ignored", TaskInstanceStatus.KILL_SELF)


def test_a_null_usage_argument_leaves_its_column_as_it_is(conn):
    ti, _ = make_call_site_instance(conn, "R")
    conn.execute("update jobmon.task_instance set nodename = 'first', maxrss = '5G' where id = %s", (ti,))
    log_done(conn, ti, maxrss="6G")
    row = task_instance_row(conn, ti)
    assert (row["nodename"], row["maxrss"]) == ("first", "6G")


def test_log_done_after_a_resume_reset_the_task_is_refused_and_writes_nothing(conn):
    ti, task = make_call_site_instance(conn, "K", task_status="G")  # K -> D would move the task G -> D
    before = task_instance_row(conn, ti)
    with pytest.raises(InvalidStateTransition) as raised:
        log_done(conn, ti, **cases.USAGE)
    assert (raised.value.sqlstate, raised.value.model) == ("JM002", "Task")
    assert task_instance_row(conn, ti) == before


def test_a_stale_attempt_is_moved_alone_and_still_gets_its_columns(conn):
    ti, task = make_call_site_instance(conn, "R")
    conn.execute("update jobmon.task set current_attempt_from = %s + 1, status = 'Q' where id = %s", (ti, task))
    result = log_error(conn, ti, "E", "late report of an old attempt", maxrss="1G")
    assert (result.outcome, result.status.value, result.task_status.value, result.stale) == ("applied", "E", "Q", True)
    assert task_instance_row(conn, ti)["maxrss"] == "1G"


@pytest.mark.parametrize("error_state", ["Z", "U", "F"])
def test_log_error_from_triaging_ends_in_the_error_state_with_one_error_log_row(conn, error_state):
    ti, _ = make_call_site_instance(conn, "T")
    result = log_error(conn, ti, error_state, "found by triage")
    assert (result.outcome, result.previous_status.value, result.status.value) == ("applied", "T", error_state)
    assert task_instance_row(conn, ti)["error_log_rows"] == 1
