"""The repeatable SQL files in sql/: which need applying, and applying them.

Shared by `jobmon-db status` (read only) and migrations/post-apply.py, so
that both agree on what "applied" means: a file is applied again when its
sha256 differs from the one recorded in jobmon.repeatable_sql, or when a
function it creates is gone (dropped by hand, or by a rollback).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

# `create [or replace] function|procedure jobmon.name(`; names may be quoted.
_CREATED_ROUTINE = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure)\s+jobmon\s*\.\s*\"?(\w+)\"?\s*\(",
    re.IGNORECASE,
)

#: States of an sql/ file: applied, or the reason it will be applied by the next migrate.
APPLIED, CHANGED, MISSING, PENDING = "applied", "changed", "missing", "pending"


def sql_files(sql_dir: Path) -> list[Path]:
    """The files in file-name order, the order they are applied in."""
    return sorted(sql_dir.glob("*.sql"))


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def routines_created(sql: str) -> list[str]:
    """Names of the jobmon functions and procedures an SQL text creates."""
    return sorted({match.group(1).lower() for match in _CREATED_ROUTINE.finditer(sql)})


def recorded_checksums(cursor: Any) -> dict[str, str]:
    """file -> sha256 as last applied; empty when the schema is not installed."""
    cursor.execute("select to_regclass('jobmon.repeatable_sql') is not null")
    if not cursor.fetchone()[0]:
        return {}
    cursor.execute("select file, sha256 from jobmon.repeatable_sql")
    return dict(cursor.fetchall())


def missing_routines(cursor: Any, names: list[str]) -> list[str]:
    """The names that no function or procedure of schema jobmon has."""
    if not names:
        return []
    cursor.execute(
        "select n from unnest(%s::text[]) n where not exists ("
        " select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace s on s.oid = p.pronamespace"
        " where s.nspname = 'jobmon' and p.proname = n) order by n",
        (names,),
    )
    return [row[0] for row in cursor.fetchall()]


def file_states(cursor: Any, sql_dir: Path) -> list[tuple[Path, str]]:
    """Every sql/ file with its state: applied, changed, missing (a function it creates is gone) or pending."""
    recorded = recorded_checksums(cursor)
    states = []
    for path in sql_files(sql_dir):
        known = recorded.get(path.name)
        if known is None:
            state = PENDING
        elif known != checksum(path):
            state = CHANGED
        elif missing_routines(cursor, routines_created(path.read_text(encoding="utf-8"))):
            state = MISSING
        else:
            state = APPLIED
        states.append((path, state))
    return states


def apply_sql_files(cursor: Any, sql_dir: Path) -> list[str]:
    """Run every file that is not applied, record its checksum; returns the file names run."""
    applied = []
    for path, state in file_states(cursor, sql_dir):
        if state == APPLIED:
            continue
        cursor.execute(path.read_text(encoding="utf-8"))
        cursor.execute(
            "insert into jobmon.repeatable_sql (file, sha256) values (%s, %s)"
            " on conflict (file) do update set sha256 = excluded.sha256, applied_at = now()",
            (path.name, checksum(path)),
        )
        applied.append(path.name)
    return applied


def secure_schema(cursor: Any) -> bool:
    """Run jobmon._secure_schema() when it exists (owner and grants of every object); True if it ran.

    It runs after every migrate, not only when an sql/ file changed, so that
    objects a migration created are given to the owner role and granted too.
    """
    cursor.execute("select to_regprocedure('jobmon._secure_schema()') is not null")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("select jobmon._secure_schema()")
    return True
