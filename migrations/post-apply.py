"""Apply the SQL files in sql/ (functions, in file-name order) that changed.

yoyo runs post-apply migrations after every migration run and never records
them as applied; `jobmon-db migrate` also runs this step when no versioned
migration was pending. Each file's sha256 is kept in jobmon.repeatable_sql,
so an unchanged file is not executed again and migrating twice changes
nothing. Files must be safe to re-run (`create or replace`).
"""

import hashlib
from pathlib import Path

from yoyo import step

__transactional__ = True

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def apply_changed_sql_files(conn):
    cursor = conn.cursor()
    for path in sorted(SQL_DIR.glob("*.sql")):
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        cursor.execute("select sha256 from jobmon.repeatable_sql where file = %s", (path.name,))
        row = cursor.fetchone()
        if row is not None and row[0] == digest:
            continue
        cursor.execute(raw.decode("utf-8"))
        cursor.execute(
            "insert into jobmon.repeatable_sql (file, sha256) values (%s, %s)"
            " on conflict (file) do update set sha256 = excluded.sha256, applied_at = now()",
            (path.name, digest),
        )


def secure_schema(conn):
    """Give every object to the owner role and apply the grants (writes only what differs)."""
    cursor = conn.cursor()
    cursor.execute("select to_regprocedure('jobmon._secure_schema()') is not null")
    if cursor.fetchone()[0]:
        cursor.execute("select jobmon._secure_schema()")


steps = [step(apply_changed_sql_files), step(secure_schema)]
