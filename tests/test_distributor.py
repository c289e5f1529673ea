"""The distributor's call-site functions from every task-instance status, against tables written from the spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import log_distributor_id, log_unknown_error
from tests import call_site_cases as cases
from tests.factories import make_call_site_instance, task_instance_row


@pytest.fixture
def conn(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(module_db_dsn, autocommit=True) as connection:
        yield connection


TABLES = {
    "log_unknown_error": cases.LOG_UNKNOWN_ERROR,
    "log_distributor_id": cases.LOG_DISTRIBUTOR_ID,
    "log_no_distributor_id": cases.LOG_NO_DISTRIBUTOR_ID,
}
CASES = [(call, status, expected) for call, table in TABLES.items() for status, expected in table.items()]


@pytest.mark.parametrize(("call", "status", "expected"), CASES, ids=[f"{c}-from-{s}" for c, s, _ in CASES])
def test_call_from_every_status_matches_the_expected_table(conn, call, status, expected):
    cases.check(conn, call, status, expected)


@pytest.mark.parametrize("status", list(cases.LOG_UNKNOWN_ERROR_NOT_OVERDUE))
def test_unknown_error_changes_nothing_once_a_heartbeat_pushed_the_deadline(conn, status):
    cases.check(conn, "log_unknown_error", status, cases.LOG_UNKNOWN_ERROR_NOT_OVERDUE[status], overdue=False)


def test_log_distributor_id_keeps_the_id_an_instance_already_has(conn):
    ti, _ = make_call_site_instance(conn, "R")
    conn.execute("update jobmon.task_instance set distributor_id = 'from-worker' where id = %s", (ti,))
    other = log_distributor_id(conn, ti, "other", timedelta(seconds=60))
    same = log_distributor_id(conn, ti, "from-worker", timedelta(seconds=60))
    assert (other.outcome, same.outcome) == ("ignored", "unchanged")
    assert task_instance_row(conn, ti)["distributor_id"] == "from-worker"


def test_log_distributor_id_repeated_changes_nothing(conn):
    ti, _ = make_call_site_instance(conn, "I")
    first = log_distributor_id(conn, ti, "job-9", timedelta(seconds=60))
    after_first = task_instance_row(conn, ti)
    again = log_distributor_id(conn, ti, "job-9", timedelta(seconds=60))
    assert (first.outcome, again.outcome) == ("applied", "unchanged")
    assert task_instance_row(conn, ti) == after_first


def test_log_unknown_error_repeated_adds_one_error_log_row(conn):
    ti, _ = make_call_site_instance(conn, "T")
    outcomes = [log_unknown_error(conn, ti, "no exit status").outcome for _ in range(3)]
    assert outcomes == ["applied", "unchanged", "unchanged"]
    assert task_instance_row(conn, ti)["error_log_rows"] == 1
