"""What the migration derives from the lookup tables equals them, and the
set-based core answers every case exactly as the single-row function does.

Both are compared with tests/spec_model.py, the specification written
independently of the database.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import psycopg
import pytest
from psycopg import sql as psql

from tests.factories import make_task_instance, snapshot
from tests.spec_model import TASK_INSTANCE_STATUSES, TASK_STATUSES, UNTIMELY, VALID, expected, walk_task

# The set-based core's outcome for each answer of the single-row function.
SET_OUTCOME = {"applied": "applied", "untimely": "untimely", "JM001": "invalid", "JM002": "refused"}


def _status_check(conn, table: str, constraint: str) -> str:
    row = conn.execute(
        "select pg_catalog.pg_get_expr(conbin, conrelid) from pg_constraint"
        " where conrelid = %s::regclass and conname = %s",
        (table, constraint),
    ).fetchone()
    assert row is not None, f"{table} has no CHECK {constraint}"
    return str(row[0])


def test_status_checks_list_exactly_the_codes_of_the_lookup_tables(conn):
    for table, lookup in (("task_instance", "task_instance_status"), ("task", "task_status")):
        codes = {r[0] for r in conn.execute(f"select id from jobmon.{lookup}")}
        check = _status_check(conn, f"jobmon.{table}", f"{lookup}_code")
        evaluate = psql.SQL("select {} from (select %s::text as status) as candidate").format(psql.SQL(check))
        allowed = {
            code for code in map(chr, range(ord("A"), ord("Z") + 1)) if conn.execute(evaluate, (code,)).fetchone()[0]
        }
        assert allowed == codes


def test_status_checks_hold_their_codes_as_one_array_constant(conn):
    """Every UPDATE reads its CHECKs again: one constant, not ARRAY[...] folded on every statement."""
    one_constant = re.compile(r"\(status = ANY \('\{[A-Z](,[A-Z])*\}'::text\[\]\)\)")
    for table, lookup in (("task_instance", "task_instance_status"), ("task", "task_status")):
        assert one_constant.fullmatch(_status_check(conn, f"jobmon.{table}", f"{lookup}_code"))


def test_no_status_column_is_a_foreign_key_to_a_shared_row(conn):
    foreign_keys = conn.execute(
        "select conrelid::regclass::text from pg_constraint where contype = 'f'"
        " and confrelid in ('jobmon.task_status'::regclass, 'jobmon.task_instance_status'::regclass)"
        " and conrelid in ('jobmon.task'::regclass, 'jobmon.task_instance'::regclass)"
    ).fetchall()
    assert foreign_keys == []


def test_even_the_owner_cannot_write_a_code_the_lookup_table_lacks(conn):
    ti, task = make_task_instance(conn, "R", "R")
    for sql, arg in (
        ("update jobmon.task_instance set status = 'Y' where id = %s", ti),
        ("update jobmon.task set status = 'Q2' where id = %s", task),
    ):
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(sql, (arg,))
    assert snapshot(conn, ti)[0] == "R"


def test_a_new_status_code_is_accepted_once_the_lookup_table_has_it_and_a_code_in_use_cannot_go(conn):
    with pytest.raises(psycopg.errors.CheckViolation):
        make_task_instance(conn, "Y", "G")
    conn.execute("insert into jobmon.task_instance_status values ('Y', 'EXTRA', 'a code added for this test')")
    ti, _ = make_task_instance(conn, "Y", "G")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("delete from jobmon.task_instance_status where id = 'Y'")
    conn.execute("delete from jobmon.task_instance where id = %s", (ti,))
    conn.execute("delete from jobmon.task_instance_status where id = 'Y'")
    with pytest.raises(psycopg.errors.CheckViolation):
        make_task_instance(conn, "Y", "G")


def _spec_moves() -> set[tuple[Any, ...]]:
    rows = set()
    for (status, requested), task_status, left in itertools.product(VALID | UNTIMELY, TASK_STATUSES, (True, False)):
        num_attempts, max_attempts = (0, 1) if left else (1, 1)
        if (status, requested) in UNTIMELY:
            rows.add((status, requested, task_status, left, "untimely", task_status, False, None))
            continue
        walk = walk_task(requested, task_status, num_attempts, max_attempts)
        if walk.refused_move is None:
            adds_attempt = walk.num_attempts > num_attempts
            rows.add((status, requested, task_status, left, "valid", walk.status, adds_attempt, None))
        else:
            rows.add((status, requested, task_status, left, "valid", None, False, walk.refused_move))
    return rows


def test_the_move_lookup_is_the_specification_walked_out(conn):
    rows = conn.execute(
        "select from_status, to_status, task_status, attempts_left, kind, task_to_status, adds_attempt,"
        " refused_task_from || '->' || refused_task_to from jobmon.task_instance_move"
    ).fetchall()
    assert set(rows) == _spec_moves()
    assert len(rows) == (25 + 12) * 9 * 2


def test_the_move_lookup_follows_a_change_of_the_rule_tables(conn):
    conn.execute("delete from jobmon.task_transition where from_status = 'E' and to_status = 'G'")
    refused = conn.execute(
        "select refused_task_from, refused_task_to from jobmon.task_instance_move"
        " where from_status = 'R' and to_status = 'E' and task_status = 'R' and attempts_left"
    ).fetchone()
    assert refused == ("E", "G")
    conn.execute("insert into jobmon.task_transition values ('E', 'G', 'retry: register the task again', 'cascade')")
    assert conn.execute(
        "select task_to_status from jobmon.task_instance_move"
        " where from_status = 'R' and to_status = 'E' and task_status = 'R' and attempts_left"
    ).fetchone() == ("G",)


def test_the_single_row_move_follows_a_change_of_the_rule_tables_also_in_cached_plans(conn):
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    # This session has cached the single-row move's plans.
    other, _ = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=3)
    conn.execute("select jobmon.transition_task_instance(%s, 'E')", (other,))
    conn.execute("delete from jobmon.task_transition where from_status = 'E' and to_status = 'G'")
    with pytest.raises(psycopg.Error) as refused:
        conn.execute("select jobmon.transition_task_instance(%s, 'E')", (ti,))
    assert refused.value.sqlstate == "JM002"
    conn.execute("insert into jobmon.task_transition values ('E', 'G', 'retry: register the task again', 'cascade')")
    moved = conn.execute("select outcome, task_status from jobmon.transition_task_instance(%s, 'E')", (ti,))
    assert moved.fetchone() == ("applied", "G")


ATTEMPTS = {"left": (1, 3), "used_up": (3, 3)}
CASES = list(itertools.product(TASK_INSTANCE_STATUSES, TASK_INSTANCE_STATUSES, TASK_STATUSES, ATTEMPTS))


def test_attempts_left_is_decided_by_one_function_that_every_other_asks(conn):
    """num_attempts < max_attempts is written once, in jobmon._attempts_left(); no other body compares the two."""
    assert conn.execute(
        "select jobmon._attempts_left(0, 1), jobmon._attempts_left(1, 1), jobmon._attempts_left(2, 1),"
        " jobmon._attempts_left(0, 0), jobmon._attempts_left(1, 3)"
    ).fetchone() == (True, False, False, False, True)
    comparing = conn.execute(
        r"""
        select p.proname from pg_proc p
         where p.pronamespace = 'jobmon'::regnamespace
           and p.prosrc ~ 'num_attempts\s*[<>]=?\s*[a-z_.]*max_attempts|max_attempts\s*[<>]=?\s*[a-z_.]*num_attempts'
        """
    ).fetchall()
    assert comparing == []
    callers = {
        name
        for (name,) in conn.execute(
            "select p.proname from pg_proc p where p.pronamespace = 'jobmon'::regnamespace"
            " and p.prosrc like '%jobmon._attempts_left(%'"
        )
    }
    assert {
        "task_moves_on_entering",
        "_transition_task_instance",
        "_move_task_instances",
    } <= callers


def test_the_set_based_core_answers_every_case_as_the_specification(conn):
    """All 3042 cases in one call per requested status, each row checked against the oracle."""
    conn.execute("set synchronous_commit = off")
    ids = {}
    for case in CASES:
        status, _, task_status, attempts = case
        num, most = ATTEMPTS[attempts]
        ids[case] = make_task_instance(conn, status, task_status, num, most)[0]
    for requested in TASK_INSTANCE_STATUSES:
        cases = [c for c in CASES if c[1] == requested]
        rows = conn.execute(
            "select task_instance_id, outcome, previous_status, status, task_previous_status, task_status,"
            " task_num_attempts, stale from jobmon._move_task_instances(%s, %s)",
            ([ids[c] for c in cases], requested),
        ).fetchall()
        by_id = {row[0]: row[1:] for row in rows}
        assert len(by_id) == len(cases)
        for case in cases:
            status, _, task_status, attempts = case
            want = expected(status, requested, task_status, *ATTEMPTS[attempts])
            outcome = "unchanged" if status == requested else SET_OUTCOME[want.outcome]
            got = by_id[ids[case]]
            assert got == (outcome, status, want.status, task_status, want.task_status, want.num_attempts, False), case
            after = snapshot(conn, ids[case])
            assert (after[0], after[2], after[3]) == (want.status, want.task_status, want.num_attempts), case


def _stale_instance(conn: psycopg.Connection[Any], status: str, task_status: str) -> tuple[int, int]:
    """A task instance of a task that has moved on to a newer attempt."""
    ti, task = make_task_instance(conn, status, task_status, num_attempts=1, max_attempts=3)
    conn.execute("update jobmon.task set current_attempt_from = %s where id = %s", (ti + 1, task))
    return ti, task


@pytest.mark.parametrize(("status", "requested"), [("K", "F"), ("K", "D"), ("R", "E"), ("R", "D")])
def test_a_stale_attempt_moves_alone_through_both_doors(conn, status, requested):
    ti, task = _stale_instance(conn, status, "R")
    row = conn.execute(
        "select outcome, status, task_status, stale from jobmon.transition_task_instance(%s, %s)", (ti, requested)
    ).fetchone()
    assert row == ("applied", requested, "R", True)
    ti2, _ = _stale_instance(conn, status, "R")
    row = conn.execute(
        "select outcome, status, task_status, stale from jobmon._move_task_instances(%s, %s)", ([ti2], requested)
    ).fetchone()
    assert row == ("applied", requested, "R", True)
    for moved in (ti, ti2):
        assert snapshot(conn, moved)[2:4] == ("R", 1)


def test_a_stale_attempt_still_obeys_the_task_instance_rules(conn):
    ti, _ = _stale_instance(conn, "Q", "R")
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("select * from jobmon.transition_task_instance(%s, 'D')", (ti,))
    assert raised.value.sqlstate == "JM001"
    ti, _ = _stale_instance(conn, "U", "R")
    assert conn.execute("select outcome, stale from jobmon.transition_task_instance(%s, 'D')", (ti,)).fetchone() == (
        "untimely",
        True,
    )


def test_the_live_statuses_are_those_with_a_valid_move_out_and_the_live_index_lists_them(conn):
    from jobmon_db.inspect import live_task_instance_statuses

    live = live_task_instance_statuses(conn)
    assert live == {status for status, _ in VALID}
    # The partial index of the live instances writes them literally (the queries name them, test_write_path.py).
    predicate = conn.execute(
        "select pg_get_expr(i.indpred, i.indrelid) from pg_index i"
        " where i.indexrelid = 'jobmon.ix_task_instance_live_by_run'::regclass"
    ).fetchone()[0]
    assert set(re.findall(r"'([A-Z])'", predicate)) == live
