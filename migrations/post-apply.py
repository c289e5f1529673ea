"""Apply the SQL files in sql/ (functions, in file-name order) when they need it, then secure the schema.

`jobmon-db migrate` runs this step after every run, also when no versioned
migration was pending; yoyo never records it as applied. When anything
differs from the release (a file's sha256 from the one kept in
jobmon.repeatable_sql, a function it creates gone or changed by hand, the
recorded release, a derived rule), every file is run again in order and the
functions the release no longer creates are dropped (see
jobmon_db.sqlfiles), so migrating twice changes nothing and an upgraded
database equals a fresh one. Files must be safe to re-run (`create or
replace`). Then jobmon._secure_schema(), when it exists, gives every object
to the owner role and applies the grants (it changes nothing when nothing
needs changing), and the release is recorded.

The names of the files run are left in the session setting
jobmon_db.applied_sql_files (comma-separated) for `migrate` to report.
"""

from pathlib import Path

from yoyo import step

from jobmon_db import __version__
from jobmon_db.sqlfiles import apply_sql_files, record_release, secure_schema

__transactional__ = True

MIGRATIONS_DIR = Path(__file__).resolve().parent
SQL_DIR = MIGRATIONS_DIR.parent / "sql"


def apply_sql_and_secure_schema(conn):
    cursor = conn.cursor()
    applied = apply_sql_files(cursor, SQL_DIR, MIGRATIONS_DIR, __version__)
    secure_schema(cursor)
    record_release(cursor, __version__)
    # Not local: it must outlive this transaction; rolled back with it on failure.
    cursor.execute("select set_config('jobmon_db.applied_sql_files', %s, false)", (",".join(applied),))


steps = [step(apply_sql_and_secure_schema)]
