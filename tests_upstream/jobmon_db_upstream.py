"""pytest plugin: upstream Jobmon's own tests against `jobmon-db jobmon-server` on PostgreSQL.

Loaded with `-p jobmon_db_upstream` (this directory on PYTHONPATH) from the root
of upstream's unpacked test tree, as `.ci/upstream-tests` does. Upstream's files
stay as they are: before upstream's conftest imports its fixtures, this plugin
puts its own in their place, under the same names, in upstream's fixture modules:

- `setup_test_environment`: a fresh database for this process (one per pytest-xdist
  worker), migrated by `jobmon-db migrate`, with a login role that has only the
  application role;
- `db_engine`: a SQLAlchemy engine on it as the owner, search_path
  `jobmon_upstream, jobmon` (upstream's tables, then jobmon-db's shared ones);
- `web_server_process`: `jobmon-db jobmon-server --prepare-only` as the owner, then
  `jobmon-db jobmon-server --no-prepare` as the login role, on a free port.

The test process applies the bridge's PostgreSQL fixes too (upstream's tests
build `now() - seconds` with upstream's helpers). The tests listed in
`expected-failures.txt` (see docs/upstream-tests.md) are marked xfail; a test of
kind `deliberate` must fail (strict), the others may pass.

The PostgreSQL server: $JOBMON_DB_TEST_DSN, else libpq's defaults
(127.0.0.1:5432 as postgres when unset).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from jobmon_db.processes import free_port, stop

HERE = Path(__file__).resolve().parent
EXPECTED_FAILURES = HERE / "expected-failures.txt"
KINDS = ("deliberate", "upstream", "bug")
BIN = Path(sys.executable).parent
NAME = f"jobmon_upstream_{os.getpid()}"
SERVER_START_SECONDS = 120


@dataclass(frozen=True)
class ExpectedFailure:
    nodeid: str
    kind: str
    reason: str


def read_expected_failures(path: Path = EXPECTED_FAILURES) -> list[ExpectedFailure]:
    """The list's lines `nodeid | kind | reason` (blank lines and # comments skipped)."""
    found: list[ExpectedFailure] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or parts[1] not in KINDS or not parts[0] or not parts[2]:
            raise ValueError(f"{path.name}:{number}: expected `nodeid | {'/'.join(KINDS)} | reason`, got {line!r}")
        found.append(ExpectedFailure(*parts))
    return found


def _server_params() -> dict[str, Any]:
    configured = os.environ.get("JOBMON_DB_TEST_DSN")
    params = {k: v for k, v in conninfo_to_dict(configured or "").items() if v is not None}
    params.setdefault("host", os.environ.get("PGHOST", "127.0.0.1"))
    params.setdefault("port", os.environ.get("PGPORT", "5432"))
    params.setdefault("user", os.environ.get("PGUSER", "postgres"))
    params["dbname"] = "postgres"
    return params


def _jobmon_db(*args: str, **kwargs: Any) -> Any:
    return subprocess.run([str(BIN / "jobmon-db"), *args], capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def setup_test_environment() -> Iterator[str]:
    """A fresh migrated database and a login role with only the application role; yields the owner's DSN."""
    from jobmon_db.jobmon_server import sqlalchemy_url
    from jobmon_db.jobmon_server.prepare import search_path

    admin = make_conninfo(**_server_params())
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(NAME)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(NAME)))
    owner = make_conninfo(admin, dbname=NAME)
    migrated = _jobmon_db("--dsn", owner, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    with psycopg.connect(owner, autocommit=True) as conn:
        row = conn.execute("select role_name from jobmon.deployment_role where actor = 'app'").fetchone()
        assert row is not None
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(NAME)))
        conn.execute(sql.SQL("create role {} login").format(sql.Identifier(NAME)))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(row[0]), sql.Identifier(NAME)))
    # In-process users of upstream's configuration see this database, not the SQLite placeholder.
    os.environ["JOBMON__DB__SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(
        make_conninfo(owner, options=f"-csearch_path={search_path().replace(' ', '')}")
    )
    try:
        yield owner
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(NAME)))
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(NAME)))


@pytest.fixture(scope="session")
def db_engine(setup_test_environment: str) -> Iterator[Any]:
    """The owner's engine on the database, upstream's tables prepared (by the server fixture's first step)."""
    from sqlalchemy import create_engine, event, text

    prepared = _jobmon_db("--dsn", setup_test_environment, "jobmon-server", "--prepare-only", env=_server_env())
    assert prepared.returncode == 0, prepared.stderr
    engine = create_engine(os.environ["JOBMON__DB__SQLALCHEMY_DATABASE_URI"])
    event.listen(engine, "before_cursor_execute", _test_sql_for_postgresql, retval=True)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from workflow_status")).scalar_one() > 0
    yield engine
    engine.dispose()


# Upstream's tests write MySQL in raw SQL: `FROM array` (ARRAY is reserved in PostgreSQL) and
# `SET status="F"` (a string in MySQL, an identifier in PostgreSQL). They also compare integer ids
# with strings (`filter_by(id=args.task_instance_id)`), which SQLAlchemy casts `::VARCHAR` and
# PostgreSQL refuses (bigint = varchar): such a parameter is left untyped, for PostgreSQL to infer.
_ARRAY_TABLE = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+array\b", re.IGNORECASE)
_STATUS_LITERAL = re.compile(r'\bstatus\s*=\s*"([A-Z])"')
_VARCHAR_PARAMETER = re.compile(r"(%\(\w+\)s)::VARCHAR\b")


def _test_sql_for_postgresql(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> Any:
    statement = _ARRAY_TABLE.sub(r'\1 "array"', statement)
    statement = _VARCHAR_PARAMETER.sub(r"\1", statement)
    return _STATUS_LITERAL.sub(r"status = '\1'", statement), parameters


def _server_env() -> dict[str, str]:
    # The distributor the tests start looks for worker_node_entry_point on the PATH.
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="session")
def web_server_process(db_engine: Any, setup_test_environment: str, tmp_path_factory: Any) -> Iterator[dict[str, str]]:
    """`jobmon-db jobmon-server` as the login role, until the session ends."""
    params = conninfo_to_dict(setup_test_environment)
    params.pop("password", None)
    login = make_conninfo(**{**params, "user": NAME})
    port = free_port()
    log = tmp_path_factory.mktemp("jobmon_db_server") / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(BIN / "jobmon-db"), "--dsn", login, "jobmon-server", "--no-prepare", "--port", str(port)],
            env=_server_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v3/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"jobmon-db jobmon-server did not start: {log.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield {"JOBMON_HOST": "127.0.0.1", "JOBMON_PORT": str(port)}
    finally:
        stop(server)
        keep = os.environ.get("JOBMON_DB_UPSTREAM_SERVER_LOG")
        if keep:
            shutil.copy(log, keep)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: Any, args: list[str]) -> None:
    """Before upstream's conftest imports its fixtures: ours in their place, the bridge's fixes applied."""
    import tests.fixtures.database as database  # upstream's, from the test tree's root
    import tests.fixtures.server as server

    from jobmon_db.jobmon_server import postgresql

    database.setup_test_environment = setup_test_environment  # type: ignore[attr-defined]
    database.db_engine = db_engine  # type: ignore[attr-defined]
    server.web_server_process = web_server_process  # type: ignore[attr-defined]
    postgresql.apply()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expected = {entry.nodeid: entry for entry in read_expected_failures()}
    for item in items:
        entry = expected.get(item.nodeid)
        if entry is not None:
            reason = f"{entry.kind}: {entry.reason} (docs/upstream-tests.md)"
            item.add_marker(pytest.mark.xfail(reason=reason, strict=entry.kind == "deliberate"))
