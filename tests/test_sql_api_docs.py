"""docs/sql-api.md cannot drift from the database: every public function is there, with its real arguments.

The contract of a function is written in SQL (its header and its COMMENT ON);
the reference page names each public function once, in a heading or a table
row, with its argument list as the database has it. A short form is allowed:
names without a type take the type and default of the next named argument
that has one (`a, b, c text default null`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

DOC = (Path(__file__).resolve().parent.parent / "docs" / "sql-api.md").read_text(encoding="utf-8")
# `jobmon.name(arguments)` in a heading or in the first cell of a table row
MENTION = re.compile(r"^(?:#+ |\| )`jobmon\.([a-z_]+)\(([^)]*)\)`", re.M)

Argument = tuple[str, str, str | None]  # name, type, default


def _public_functions(conn: psycopg.Connection[Any]) -> dict[str, list[Argument]]:
    rows = conn.execute(
        "select p.proname, pg_get_function_arguments(p.oid) from pg_proc p"
        " where p.pronamespace = 'jobmon'::regnamespace and p.proname !~ '^_' order by p.proname"
    ).fetchall()
    functions: dict[str, list[Argument]] = {}
    for name, arguments in rows:
        assert name not in functions, f"jobmon.{name} is overloaded: the reference names one signature each"
        functions[name] = [_db_argument(item) for item in arguments.split(", ") if item]
    return functions


def _db_argument(item: str) -> Argument:
    declared, _, default = item.partition(" DEFAULT ")
    name, _, type_ = declared.partition(" ")
    return name, type_, re.sub(r"::[a-z ]+$", "", default).lower() if default else None


def _doc_arguments(text: str) -> list[Argument]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    arguments: list[Argument] = []
    pending: list[str] = []
    for item in items:
        name, _, rest = item.partition(" ")
        if not rest:
            pending.append(name)
            continue
        type_, _, default = rest.partition(" default ")
        for each in [*pending, name]:
            arguments.append((each, type_, default.lower() or None))
        pending = []
    if pending and not arguments:  # names only (a helper's table row)
        return [(name, "", None) for name in pending]
    assert not pending, f"arguments {pending} have no type in {text!r}"
    return arguments


def _mentions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for match in MENTION.finditer(DOC):
        found.setdefault(match.group(1), []).append(match.group(2))
    return found


def test_every_public_function_is_in_the_reference_once_with_its_real_arguments(conn: psycopg.Connection[Any]) -> None:
    functions = _public_functions(conn)
    mentions = _mentions()
    assert sorted(functions) == sorted(mentions), "docs/sql-api.md must name every public function, and nothing else"
    for name, arguments in functions.items():
        assert len(mentions[name]) == 1, f"jobmon.{name} is described {len(mentions[name])} times"
        documented = _doc_arguments(mentions[name][0])
        # A helper's table row may give names only; a heading gives the types too.
        if all(type_ == "" for _, type_, _ in documented) and documented:
            assert [a[0] for a in documented] == [a[0] for a in arguments], name
        else:
            assert documented == arguments, name


def test_every_public_function_has_a_comment(conn: psycopg.Connection[Any]) -> None:
    missing = conn.execute(
        "select p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'jobmon'::regnamespace"
        " and p.proname !~ '^_' and coalesce(obj_description(p.oid, 'pg_proc'), '') = ''"
    ).fetchall()
    assert missing == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a bigint, b, c text default null", [("a", "bigint", None), ("b", "text", "null"), ("c", "text", "null")]),
        ("status, num_attempts", [("status", "", None), ("num_attempts", "", None)]),
        ("", []),
    ],
)
def test_the_short_form_of_an_argument_list(text: str, expected: list[Argument]) -> None:
    assert _doc_arguments(text) == expected
