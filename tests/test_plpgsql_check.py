"""plpgsql_check over every PL/pgSQL function of schema jobmon: no error, no warning that is not allowed.

The functions are found in pg_proc, so a function added to sql/ is checked
without touching this file. CI installs the extension (Debian:
postgresql-<version>-plpgsql-check); the test is skipped only when the server
does not have it.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

#: (function name, start of the message) -> why the finding is acceptable. Keep every entry justified.
ALLOWED: dict[tuple[str, str], str] = {
    ("_ensure_trigger", "text type variable is not sanitized"): (
        "owner-only: its definition is a CREATE TRIGGER statement written in the sql/ files, never caller input"
    ),
    ("_secure_schema", "text type variable is not sanitized"): (
        "it takes no argument: its EXECUTEs splice object names printed by regclass, regprocedure and regtype"
        " (always quoted) and role names quoted by quote_ident or %I"
    ),
    ("set_history", "routine is marked as VOLATILE, should be STABLE"): (
        "its only statements are dynamic ALTER TABLE ... ENABLE/DISABLE TRIGGER, which plpgsql_check cannot see"
        " into: the function changes the database, so VOLATILE is right"
    ),
    ("_lock_tasks", "routine is marked as VOLATILE, should be STABLE"): (
        "it only reads, but with FOR NO KEY UPDATE, which PostgreSQL refuses in a non-volatile function"
        " (SELECT FOR NO KEY UPDATE is not allowed in a non-volatile function)"
    ),
}

FUNCTIONS_SQL = """
select p.oid, p.oid::regprocedure::text, p.proname, t.tgrelid as trigger_relid,
       p.prorettype = 'trigger'::regtype as is_trigger, t.tgoldtable, t.tgnewtable
  from pg_proc p join pg_language l on l.oid = p.prolang
 -- A trigger function is checked with its table and transition tables (the trigger that has the most).
  left join lateral (select g.tgrelid, g.tgoldtable, g.tgnewtable from pg_trigger g where g.tgfoid = p.oid
                      order by (g.tgoldtable is not null)::int + (g.tgnewtable is not null)::int desc limit 1) t on true
 where p.pronamespace = 'jobmon'::regnamespace and l.lanname = 'plpgsql'
 order by 2
"""

CHECK_SQL = """
select level, sqlstate, message, lineno, statement, detail, hint
  from plpgsql_check_function_tb(%s::regprocedure, relid => coalesce(%s, 0)::oid, all_warnings => true,
                                 oldtable => %s, newtable => %s)
"""


@pytest.fixture
def checked_conn(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    available = conn.execute("select 1 from pg_available_extensions where name = 'plpgsql_check'").fetchone()
    if available is None:
        pytest.skip("the server has no plpgsql_check extension (Debian: apt-get install postgresql-15-plpgsql-check)")
    conn.execute("create extension if not exists plpgsql_check")  # in this test's own clone only
    return conn


def test_every_plpgsql_function_passes_plpgsql_check(checked_conn):
    functions = checked_conn.execute(FUNCTIONS_SQL).fetchall()
    assert functions, "schema jobmon has no PL/pgSQL function: is the database migrated?"
    findings = []
    for oid, signature, name, trigger_relid, is_trigger, old_table, new_table in functions:
        if is_trigger and trigger_relid is None:
            if (name, "trigger function without a trigger") not in ALLOWED:
                findings.append(f"{signature}: trigger function without a trigger: plpgsql_check needs its table")
            continue
        for level, sqlstate, message, lineno, statement, detail, hint in checked_conn.execute(
            CHECK_SQL, (oid, trigger_relid, old_table, new_table)
        ):
            if any(name == fn and message.startswith(start) for fn, start in ALLOWED):
                continue
            findings.append(
                f"{signature} line {lineno} ({statement}): {level} {sqlstate}: {message}"
                + (f" DETAIL: {detail}" if detail else "")
                + (f" HINT: {hint}" if hint else "")
            )
    assert findings == [], "plpgsql_check found (fix it, or allow it in ALLOWED with a reason):\n" + "\n".join(findings)


def test_the_check_catches_a_broken_function(checked_conn):
    """The check is live: a reference to a missing column is reported."""
    checked_conn.execute(
        "create function jobmon.broken_for_test() returns int language plpgsql as"
        " $$ begin return (select no_such_column from jobmon.task limit 1); end $$"
    )
    rows = checked_conn.execute(CHECK_SQL, ("jobmon.broken_for_test()", None, None, None)).fetchall()
    assert any(level == "error" and "no_such_column" in message for level, _, message, *_ in rows)
