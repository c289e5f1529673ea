"""The result classes against the database: each class's fields are its function's result columns, in order.

The executor builds rows by position, so a column added, dropped or moved in
SQL must move in jobmon_db/results.py too; every outcome a function can
return is a member of Outcome; every declared call names the function's
own arguments.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobmon_db import distributor, history, swarm, tasks, transitions, worker_node
from jobmon_db.executor import SqlFunction
from jobmon_db.results import Outcome

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# Public functions with rows that no wrapper calls (none: a new one needs its wrapper or a reason here).
UNWRAPPED: set[str] = set()

CALLS: list[SqlFunction[Any]] = [
    value
    for module in (transitions, worker_node, distributor, swarm, tasks, history)
    for value in vars(module).values()
    if isinstance(value, SqlFunction)
]

# The function's input arguments, its result columns (a composite type's attributes or its OUT/TABLE columns), and
# the result type (a composite or record, with the function for a record).
SIGNATURE_SQL = """
select coalesce((select array_agg(u.name::text order by u.n) from unnest(p.proargnames, p.proargmodes)
                        with ordinality u(name, mode, n) where u.mode in ('i', 'b', 'v')),
                p.proargnames[1:p.pronargs]::text[], '{}') as arguments,
       coalesce((select array_agg(a.attname::text order by a.attnum) from pg_catalog.pg_attribute a
                  where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped),
                (select array_agg(u.name::text order by u.n) from unnest(p.proargnames, p.proargmodes)
                        with ordinality u(name, mode, n) where u.mode in ('o', 'b', 't'))) as columns,
       case when t.typrelid <> 0 then p.prorettype::regtype::text else p.oid::regprocedure::text end as result_type
  from pg_catalog.pg_proc p join pg_catalog.pg_type t on t.oid = p.prorettype
 where p.pronamespace = 'jobmon'::regnamespace and p.proname = %s
"""


def _signature(conn: psycopg.Connection[Any], name: str) -> tuple[list[str], list[str] | None, str]:
    rows = conn.execute(SIGNATURE_SQL, (name,)).fetchall()
    assert len(rows) == 1, f"jobmon.{name}() has {len(rows)} forms"
    return rows[0]


def test_every_public_function_with_rows_has_one_declared_call(conn):
    wrapped = [c.name for c in CALLS]
    with_rows = {r[0] for r in conn.execute(
        "select p.proname::text from pg_catalog.pg_proc p join pg_catalog.pg_type t on t.oid = p.prorettype"
        " where p.pronamespace = 'jobmon'::regnamespace and p.proname !~ '^_' and p.prokind = 'f'"
        " and (t.typrelid <> 0 or t.oid = 'record'::regtype)")}  # fmt: skip
    assert len(wrapped) == len(set(wrapped))
    assert with_rows - set(wrapped) == UNWRAPPED


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.name)
def test_result_class_fields_are_the_functions_result_columns_in_order(conn, call):
    _, columns, _ = _signature(conn, call.name)
    if not dataclasses.is_dataclass(call.result_type):
        assert columns is None, f"jobmon.{call.name}() returns rows, not one {call.result_type.__name__}"
        return
    fields = [f.name for f in dataclasses.fields(call.result_type)]
    assert fields == columns, f"{call.result_type.__name__} against jobmon.{call.name}()"


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.name)
def test_declared_arguments_are_the_functions_arguments(conn, call):
    arguments, _, _ = _signature(conn, call.name)
    assert [a.name for a in call.arguments] == arguments


def test_one_result_class_per_sql_result_type(conn):
    classes: dict[str, set[type]] = {}
    for call in CALLS:
        if dataclasses.is_dataclass(call.result_type):
            classes.setdefault(_signature(conn, call.name)[2], set()).add(call.result_type)
    assert {t: c for t, c in classes.items() if len(c) > 1} == {}
    by_class: dict[type, set[str]] = {}
    for result_type, found in classes.items():
        for cls in found:
            by_class.setdefault(cls, set()).add(result_type)
    assert {c.__name__: t for c, t in by_class.items() if len(t) > 1} == {}


def _sql_outcomes() -> tuple[set[str], set[str]]:
    """The literals the move and route files return as outcomes, and those chosen in a CASE (outcomes and others)."""
    files = [p for p in sorted(SQL_DIR.glob("*.sql")) if "20" <= p.name[:2] < "80"]  # the move and the routes
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    assigned = re.findall(r"outcome\s+(?:text\s+)?:=\s+'(\w+)'", text)
    chosen = re.findall(r"\bthen '([a-z_]+)'", text)
    returned = re.findall(r"return \(ti_id, ti_task_id, '(\w+)'", text)
    missing = re.findall(r"coalesce\(d\.decision, '(\w+)'\)", text)
    return set(assigned + returned + missing), set(chosen)


# CASE answers in those files that are no outcome: the NULL argument a message names, a mode, and
# jobmon._distributor_id_outcome()'s own answer 'record' (its callers turn it into an outcome).
NOT_OUTCOMES = {"record", "hot", "cold"}


def test_every_outcome_the_functions_return_is_an_outcome_member(conn):
    arguments = {r[0] for r in conn.execute(
        "select distinct unnest(p.proargnames)::text from pg_catalog.pg_proc p"
        " where p.pronamespace = 'jobmon'::regnamespace and p.proargnames is not null")}  # fmt: skip
    outcomes, chosen = _sql_outcomes()
    found = outcomes | (chosen - arguments - NOT_OUTCOMES)
    assert found == {o.value for o in Outcome}


def test_outcome_reads_as_its_value():
    assert str(Outcome.APPLIED) == f"{Outcome.APPLIED}" == "applied" and Outcome.APPLIED == "applied"
    assert f"{Outcome.NOT_FOUND:>10}" == " not_found"
    import json

    assert json.dumps({"outcome": Outcome.STALE}) == '{"outcome": "stale"}'
