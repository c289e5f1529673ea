"""Write the schema a fresh `migrate` makes, as a normalised pg_dump, to schema/schema.sql.

    python -m jobmon_db.schema_dump [--dsn SERVER_DSN] [--output schema/schema.sql]

Run it after changing sql/ or migrations/ and commit the result: reviews see
the schema change, and CI fails when the committed dump is stale. It creates
a scratch database on the server (named jobmon_schema_dump_<pid>), migrates
it, dumps schema jobmon with pg_dump of the server's major version, and
drops it. The dump keeps grants, drops owners (they differ between machines)
and the version comments and SET lines that change with the pg_dump build.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from .connection import resolve_dsn
from .migrate import migrate

DEFAULT_OUTPUT = Path("schema") / "schema.sql"
HEADER = "-- The jobmon schema as a fresh `jobmon-db migrate` makes it. Generated: python -m jobmon_db.schema_dump\n"
_NOISE = re.compile(
    r"^(-- Dumped (from|by) .*|SET \w+ = .*;|SELECT pg_catalog\.set_config\('search_path'.*;|\\(un)?restrict .*)$"
)


def find_pg_dump(server_version_num: int) -> str:
    """A pg_dump of the server's major version: $PG_DUMP, then PostgreSQL's usual bin dirs, then PATH."""
    major = server_version_num // 10000
    candidates = [os.environ.get("PG_DUMP", "")]
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/{major}/bin/pg_dump"))  # Debian, Ubuntu
    candidates += sorted(glob.glob(f"/usr/pgsql-{major}/bin/pg_dump"))  # RHEL, Fedora
    candidates.append(shutil.which("pg_dump") or "")
    for candidate in filter(None, candidates):
        reported = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False).stdout
        found = re.search(r"\s(\d+)", reported)
        if found is not None and int(found.group(1)) == major:
            return candidate
    raise RuntimeError(f"no pg_dump of PostgreSQL {major} found: install it, or set PG_DUMP to its path")


def normalise(dump: str) -> str:
    """Drop lines that depend on the pg_dump build or the session, and runs of blank lines."""
    kept = [line for line in dump.splitlines() if not _NOISE.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return HEADER + "\n" + text + "\n"


def dump_schema(dsn: str) -> str:
    """The normalised schema-only dump of schema jobmon of the database at `dsn`."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("select current_setting('server_version_num')::int").fetchone()
    assert row is not None
    params = conninfo_to_dict(dsn)
    # pg_dump reads the connection from the environment, so that passwords stay off the command line.
    libpq_env = {f"PG{key.upper()}": str(params[key]) for key in ("host", "port", "user", "password") if key in params}
    env = {**os.environ, **libpq_env}
    command = [find_pg_dump(row[0]), "--schema-only", "--no-owner", "--schema=jobmon", "--dbname", dsn]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {done.stderr.strip()}")
    return normalise(done.stdout)


@contextmanager
def scratch_database(server_dsn: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards; yields its DSN."""
    name = f"jobmon_schema_dump_{os.getpid()}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("create database {} template template0").format(sql.Identifier(name)))
        try:
            yield make_conninfo(server_dsn, dbname=name)
        finally:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobmon_db.schema_dump", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", help="server to use (default: $JOBMON_DB_DSN, then libpq's defaults)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    with scratch_database(resolve_dsn(args.dsn)) as dsn:
        migrate(dsn)
        text = dump_schema(dsn)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
