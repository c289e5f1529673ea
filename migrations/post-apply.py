"""Apply the SQL files in sql/ (functions, in file-name order) that need it, then secure the schema.

`jobmon-db migrate` runs this step after every run, also when no versioned
migration was pending; yoyo never records it as applied. A file is run again
when its sha256 differs from the one kept in jobmon.repeatable_sql or when a
function it creates no longer exists, so migrating twice changes nothing and
a function dropped by hand comes back. Files must be safe to re-run
(`create or replace`). Then jobmon._secure_schema(), when it exists, gives
every object to the owner role and applies the grants (it changes nothing
when nothing needs changing).

The names of the files run are left in the session setting
jobmon_db.applied_sql_files (comma-separated) for `migrate` to report.
"""

from pathlib import Path

from yoyo import step

from jobmon_db.sqlfiles import apply_sql_files, secure_schema

__transactional__ = True

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def apply_sql_and_secure_schema(conn):
    cursor = conn.cursor()
    applied = apply_sql_files(cursor, SQL_DIR)
    secure_schema(cursor)
    # Not local: it must outlive this transaction; rolled back with it on failure.
    cursor.execute("select set_config('jobmon_db.applied_sql_files', %s, false)", (",".join(applied),))


steps = [step(apply_sql_and_secure_schema)]
