"""Every request against every state: 13 task-instance statuses x 13 requests x
9 task statuses x (attempts left, attempts used up), through SQL and through
the Python wrapper, each compared with tests/spec_model.py."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from jobmon_db import InvalidStateTransition, transition_task_instance
from tests.factories import snapshot
from tests.spec_model import TASK_INSTANCE_STATUSES, TASK_STATUSES, Expected, expected

ATTEMPTS = {"attempts_left": (1, 3), "attempts_used_up": (3, 3)}
CASES = list(itertools.product(TASK_INSTANCE_STATUSES, TASK_INSTANCE_STATUSES, TASK_STATUSES, ATTEMPTS))
CASE_IDS = [f"{s}->{r}-task_{t}-{a}" for s, r, t, a in CASES]


@pytest.fixture(scope="module")
def matrix_conn(module_db_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        # Durability is not under test here; skipping the flush keeps 6000 commits fast.
        conn.execute("set synchronous_commit = off")
        yield conn


@pytest.fixture(scope="module")
def rows(matrix_conn: psycopg.Connection[Any]) -> dict[tuple[str, str], int]:
    """One task and task instance per (case, route), created in bulk: (case id, route) -> task instance id."""
    keys = [(case_id, route) for case_id in CASE_IDS for route in ("sql", "python")]
    cases = dict(zip(CASE_IDS, CASES, strict=True))
    workflow_id = matrix_conn.execute("insert into jobmon.workflow (name) values ('matrix') returning id").fetchone()
    assert workflow_id is not None
    ti_ids = matrix_conn.execute(
        """
        with spec as (
            select * from unnest(%s::text[], %s::text[], %s::int[], %s::int[]) with ordinality
                   as s(status, task_status, num_attempts, max_attempts, n)),
        tasks as (
            insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)
            select %s, task_status, num_attempts, max_attempts from spec order by n
            returning id)
        insert into jobmon.task_instance (task_id, status)
        select t.id, spec.status
          from (select id, row_number() over (order by id) as n from tasks) t join spec using (n)
         order by n
        returning id
        """,
        (
            [cases[c][0] for c, _ in keys],
            [cases[c][2] for c, _ in keys],
            [ATTEMPTS[cases[c][3]][0] for c, _ in keys],
            [ATTEMPTS[cases[c][3]][1] for c, _ in keys],
            workflow_id[0],
        ),
    ).fetchall()
    return dict(zip(keys, (row[0] for row in ti_ids), strict=True))


def _expected(case: tuple[str, str, str, str]) -> Expected:
    status, requested, task_status, attempts = case
    num_attempts, max_attempts = ATTEMPTS[attempts]
    return expected(status, requested, task_status, num_attempts, max_attempts)


def _check_state_after(conn: psycopg.Connection[Any], ti: int, before: tuple[Any, ...], want: Expected) -> None:
    after = snapshot(conn, ti)
    ti_status, ti_date, task_status, attempts, task_date = after
    assert (ti_status, task_status, attempts) == (want.status, want.task_status, want.num_attempts)
    if want.outcome == "applied":
        assert ti_date > before[1], "status_date of the task instance must be new"
        assert (task_date > before[4]) == (task_status != before[2]), "task status_date changes with its status"
    else:
        assert after == before, "a request that is not applied must change nothing"


@pytest.mark.parametrize(("case_id", "case"), list(zip(CASE_IDS, CASES, strict=True)), ids=CASE_IDS)
def test_sql_function_answers_as_the_specification(case_id, case, matrix_conn, rows):
    want = _expected(case)
    ti = rows[(case_id, "sql")]
    before = snapshot(matrix_conn, ti)
    try:
        row = matrix_conn.execute(
            "select outcome, previous_status, status, task_previous_status, task_status, task_num_attempts"
            " from jobmon.transition_task_instance(%s, %s)",
            (ti, case[1]),
        ).fetchone()
    except psycopg.Error as error:
        assert error.sqlstate == want.outcome, f"unexpected error {error.sqlstate}: {error}"
        model, wrong = ("TaskInstance", ti) if want.outcome == "JM001" else ("Task", None)
        assert error.diag.message_primary is not None
        assert error.diag.message_primary.startswith(f"Cannot transition {model} id: {wrong or ''}")
    else:
        assert row == (want.outcome, case[0], want.status, case[2], want.task_status, want.num_attempts)
    _check_state_after(matrix_conn, ti, before, want)


@pytest.mark.parametrize(("case_id", "case"), list(zip(CASE_IDS, CASES, strict=True)), ids=CASE_IDS)
def test_python_wrapper_answers_as_the_specification(case_id, case, matrix_conn, rows):
    want = _expected(case)
    ti = rows[(case_id, "python")]
    before = snapshot(matrix_conn, ti)
    if want.outcome in ("JM001", "JM002"):
        with pytest.raises(InvalidStateTransition) as raised:
            transition_task_instance(matrix_conn, ti, case[1])
        assert raised.value.sqlstate == want.outcome
        if want.outcome == "JM001":
            assert (raised.value.model, raised.value.id, raised.value.from_status, raised.value.to_status) == (
                "TaskInstance", ti, case[0], case[1])  # fmt: skip
        else:
            assert raised.value.model == "Task" and raised.value.from_status == case[2]
    else:
        result = transition_task_instance(matrix_conn, ti, case[1])
        assert (result.outcome, result.previous_status, result.status) == (want.outcome, case[0], want.status)
        assert (result.task_previous_status, result.task_status) == (case[2], want.task_status)
        assert result.task_num_attempts == want.num_attempts
    _check_state_after(matrix_conn, ti, before, want)
