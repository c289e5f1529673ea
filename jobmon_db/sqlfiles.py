"""The repeatable SQL files in sql/: which need applying, and applying them.

Shared by `jobmon-db status` (read only) and migrations/post-apply.py, so
that both agree on what "applied" means. A file needs applying when its
sha256 differs from the one recorded in jobmon.repeatable_sql, or when a
function it creates is gone (dropped by hand, or by a rollback).

When anything differs from the release (a file, the recorded release, a
function's definition since the last migrate, a rule derived from the lookup
tables), every file is applied again in order, not only the one that
changed: a later file may derive something from an earlier one (sql/15
derives the move table from the cascade in sql/10), so re-running one file
alone can leave what depends on it behind. Then the functions that no file
and no migration of the release creates are dropped, the derived rules are
refreshed, and the release is recorded (jobmon.installed_release, and a
fingerprint of every function in jobmon.installed_routine), so that an
upgraded database is what a fresh migrate of the same release makes.
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

#: States of an sql/ file: applied, or the reason the next migrate applies the files (removed: by the release).
APPLIED, CHANGED, MISSING, PENDING, REMOVED = "applied", "changed", "missing", "pending", "removed"


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
    """Every sql/ file with its state: applied, changed, missing (a function it creates is gone) or pending.

    A file applied before that the release no longer has comes last, as removed.
    """
    recorded = recorded_checksums(cursor)
    files = sql_files(sql_dir)
    states = []
    for path in files:
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
    states += [(sql_dir / name, REMOVED) for name in sorted(set(recorded) - {path.name for path in files})]
    return states


# md5 of a function's definition, privileges and comment: what jobmon.installed_routine keeps.
_ROUTINE_FINGERPRINTS = """
select p.oid::regprocedure::text,
       md5(concat_ws(E'\\n', pg_get_functiondef(p.oid), p.proacl::text, obj_description(p.oid, 'pg_proc')))
  from pg_catalog.pg_proc p
 where p.pronamespace = 'jobmon'::regnamespace and p.prokind in ('f', 'p')
"""


def _exists(cursor: Any, regclass: str) -> bool:
    cursor.execute("select to_regclass(%s) is not null", (regclass,))
    return bool(cursor.fetchone()[0])


def recorded_release(cursor: Any) -> str | None:
    """The release the last migrate recorded; None for a database of 0.1.0 (or none installed)."""
    if not _exists(cursor, "jobmon.installed_release"):
        return None
    cursor.execute("select version from jobmon.installed_release")
    row = cursor.fetchone()
    return None if row is None else str(row[0])


def routine_drift(cursor: Any) -> list[tuple[str, str]]:
    """(signature, 'changed' | 'missing' | 'extra') of every function that differs from what the last migrate left."""
    if not _exists(cursor, "jobmon.installed_routine"):
        return []
    cursor.execute("select signature, definition_md5 from jobmon.installed_routine")
    recorded = dict(cursor.fetchall())
    if not recorded:
        return []
    cursor.execute(_ROUTINE_FINGERPRINTS)
    current = dict(cursor.fetchall())
    drift = [(sig, "missing") for sig in recorded if sig not in current]
    drift += [(sig, "extra") for sig in current if sig not in recorded]
    drift += [(sig, "changed") for sig, md5 in current.items() if sig in recorded and recorded[sig] != md5]
    return sorted(drift)


def derived_drift(cursor: Any) -> list[str]:
    """What derived from the lookup tables differs from them (see jobmon.derived_rules_drift())."""
    cursor.execute(
        "select case when to_regprocedure('jobmon.derived_rules_drift()') is not null"
        " then has_function_privilege('jobmon.derived_rules_drift()', 'EXECUTE') else false end"
    )
    if not cursor.fetchone()[0]:  # not installed, or a reader without the readonly role: not asked
        return []
    cursor.execute("select * from jobmon.derived_rules_drift() order by 1")
    return [row[0] for row in cursor.fetchall()]


def release_routines(sql_dir: Path, migrations_dir: Path) -> list[str]:
    """Names of the functions that the sql/ files and the migrations (not their rollbacks) of a release create."""
    texts = [path.read_text(encoding="utf-8") for path in sql_files(sql_dir)]
    texts += [
        path.read_text(encoding="utf-8")
        for path in sorted(migrations_dir.glob("*.sql"))
        if not path.name.endswith(".rollback.sql")
    ]
    return routines_created("\n".join(texts))


def needs_applying(cursor: Any, sql_dir: Path, version: str) -> bool:
    """Whether anything differs from the release: then apply_sql_files() re-applies every file."""
    return (
        any(state != APPLIED for _, state in file_states(cursor, sql_dir))
        or recorded_release(cursor) != version
        or bool(routine_drift(cursor))
        or bool(derived_drift(cursor))
    )


def apply_sql_files(cursor: Any, sql_dir: Path, migrations_dir: Path, version: str) -> list[str]:
    """Re-apply every file when anything differs from the release; returns the file names run (empty: none)."""
    if _exists(cursor, "jobmon.installed_release") and not needs_applying(cursor, sql_dir, version):
        return []
    applied = []
    for path in sql_files(sql_dir):
        cursor.execute(path.read_text(encoding="utf-8"))
        cursor.execute(
            "insert into jobmon.repeatable_sql (file, sha256) values (%s, %s)"
            " on conflict (file) do update set sha256 = excluded.sha256, applied_at = now()",
            (path.name, checksum(path)),
        )
        applied.append(path.name)
    cursor.execute("delete from jobmon.repeatable_sql where file <> all(%s)", (applied,))
    _drop_routines_outside(cursor, release_routines(sql_dir, migrations_dir))
    cursor.execute("select jobmon._refresh_derived_rules()")
    return applied


def _drop_routines_outside(cursor: Any, kept: list[str]) -> None:
    """Drop the jobmon functions of an earlier release that this release no longer creates."""
    cursor.execute(
        "select p.oid::regprocedure::text, p.prokind from pg_catalog.pg_proc p"
        " where p.pronamespace = 'jobmon'::regnamespace and p.prokind in ('f', 'p') and p.proname <> all(%s)"
        " order by 1",
        (kept,),
    )
    for signature, kind in cursor.fetchall():
        cursor.execute(f"drop {'procedure' if kind == 'p' else 'function'} {signature}")


def record_release(cursor: Any, version: str) -> None:
    """Record the release and every function's fingerprint, after the grants (they are part of it)."""
    if not _exists(cursor, "jobmon.installed_release"):
        return
    cursor.execute(_ROUTINE_FINGERPRINTS)
    current = cursor.fetchall()
    cursor.execute("select signature, definition_md5 from jobmon.installed_routine")
    if sorted(cursor.fetchall()) != sorted(current):
        cursor.execute("delete from jobmon.installed_routine")
        cursor.executemany("insert into jobmon.installed_routine values (%s, %s)", current)
    if recorded_release(cursor) != version:
        cursor.execute(
            "insert into jobmon.installed_release (version) values (%s)"
            " on conflict (singleton) do update set version = excluded.version, migrated_at = now()",
            (version,),
        )


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
