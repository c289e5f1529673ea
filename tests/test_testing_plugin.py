"""jobmon_db.testing works for a downstream project: a throwaway project runs its own tests with it."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import requires
from typing import Any

from psycopg.conninfo import make_conninfo

from jobmon_db.testing import DBNAME, module_suffix

DOWNSTREAM_TEST = """
from jobmon_db import transition_task_instance


def _task_instance(conn):
    return conn.execute(
        "with wf as (insert into jobmon.workflow (name) values ('downstream') returning id),"
        " t as (insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)"
        " select id, 'Q', 1, 2 from wf returning id)"
        " insert into jobmon.task_instance (task_id) select id from t returning id"
    ).fetchone()[0]


def test_a_task_instance_moves(jobmon_db_conn):
    assert transition_task_instance(jobmon_db_conn, _task_instance(jobmon_db_conn), "I").applied


def test_each_test_gets_a_fresh_database(jobmon_db_conn, jobmon_db_dsn):
    assert jobmon_db_conn.info.dbname in jobmon_db_dsn
    assert jobmon_db_conn.execute("select count(*) from jobmon.task_instance").fetchone()[0] == 0
"""


def test_a_downstream_project_gets_migrated_databases_per_test(postgresql_server: Any, tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["jobmon_db.testing"]\n')
    (tmp_path / "test_downstream.py").write_text(DOWNSTREAM_TEST)
    server = postgresql_server
    env = {
        **os.environ,
        "JOBMON_DB_TEST_DSN": make_conninfo(
            host=server.host, port=server.port, user=server.user, password=server.password
        ),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_server_is_chosen_when_the_fixture_runs_not_when_the_plugin_is_imported(postgresql_server: Any, tmp_path):
    """The environment at import points nowhere (port 1); a hook sets the real server before the tests."""
    server = postgresql_server
    dsn = make_conninfo(host=server.host, port=server.port, user=server.user, password=server.password)
    (tmp_path / "conftest.py").write_text(
        'import os\n\npytest_plugins = ["jobmon_db.testing"]\n\n\n'
        f"def pytest_sessionstart(session):\n    os.environ['JOBMON_DB_TEST_DSN'] = {dsn!r}\n"
    )
    (tmp_path / "test_downstream.py").write_text(DOWNSTREAM_TEST)
    env = {key: value for key, value in os.environ.items() if key != "JOBMON_DB_TEST_DSN"}
    env.update(PGHOST="127.0.0.1", PGPORT="1")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


MODULE_DB_TEST = """
import os


def test_the_module_database_is_named_for_this_module(jobmon_db_module_dsn):
    import psycopg

    with psycopg.connect(jobmon_db_module_dsn) as conn:
        name = conn.info.dbname
        assert conn.execute("select count(*) from jobmon.task_instance").fetchone()[0] == 0
    with open(os.environ["MODULE_DB_NAMES"], "a") as names:
        names.write(name + "\\n")
"""


def test_two_packages_test_modules_of_one_name_get_databases_of_different_names(postgresql_server: Any, tmp_path):
    project = tmp_path / "project"
    for package in ("one", "two"):
        (project / package / "tests").mkdir(parents=True)
        (project / package / "tests" / "test_workflows.py").write_text(MODULE_DB_TEST)
    (project / "conftest.py").write_text('pytest_plugins = ["jobmon_db.testing"]\n')
    names = tmp_path / "names.txt"
    server = postgresql_server
    env = {
        **os.environ,
        "MODULE_DB_NAMES": str(names),
        "JOBMON_DB_TEST_DSN": make_conninfo(
            host=server.host, port=server.port, user=server.user, password=server.password
        ),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    made = names.read_text().split()
    assert len(made) == 2 and len(set(made)) == 2, made
    assert all("test_workflows_" in name for name in made), made


def test_module_databases_of_two_packages_never_share_a_name():
    first = module_suffix("/src/one/tests/test_workflows.py")
    second = module_suffix("/src/two/tests/test_workflows.py")
    assert first != second and first.startswith("test_workflows_")
    assert module_suffix("/src/tests/test_x.py", "one.test_x") != module_suffix("/src/tests/test_x.py", "two.test_x")
    longest = f"{DBNAME}_{module_suffix('/x/' + 'a' * 200 + '.py')}"
    assert len(longest) <= 63


def test_the_testing_extra_brings_pytest_and_pytest_postgresql_only():
    extra = [r.split(";")[0] for r in requires("jobmon-db") or [] if r.endswith("extra == 'testing'")]
    assert sorted(requirement.split(">")[0] for requirement in extra) == ["pytest", "pytest-postgresql"]
