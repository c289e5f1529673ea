"""Upstream Jobmon's own client running workflows through `jobmon-db jobmon-server`.

The server runs as a login role that has only the application role (the
production set-up: upstream's tables prepared first by `--prepare-only` as the
owner); the client is upstream's, in this process, with its distributor and
workers as the subprocesses it starts. After each workflow every move in
jobmon.transition_history must be credited to a jobmon-db function.

Skipped when upstream Jobmon 3.6 is not installed (`pip install` its wheels,
then `pip install -e '.[jobmon]'`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

pytest.importorskip("jobmon.server.web.api", reason="upstream Jobmon 3.6 is not installed (see docs/jobmon-server.md)")
pytest.importorskip("jobmon.client.tool", reason="upstream Jobmon 3.6's client is not installed")

from jobmon.client.tool import Tool  # noqa: E402

from jobmon_db.cli import main  # noqa: E402
from tests.factories import make_run_instance, make_workflow_run  # noqa: E402

BIN = Path(sys.executable).parent
TASK_SCRIPT = """#!/bin/sh
# $1: ok | flaky (fails once, then succeeds) | fail; $2: a marker file
case "$1" in
  ok) exit 0 ;;
  flaky) [ -e "$2" ] && exit 0; touch "$2"; exit 1 ;;
  *) echo "told to fail" >&2; exit 1 ;;
esac
"""
CLIENT_SETTINGS = {
    "JOBMON__HTTP__ROUTE_PREFIX": "/api/v3",
    "JOBMON__DISTRIBUTOR__POLL_INTERVAL": "1",
    "JOBMON__HEARTBEAT__WORKFLOW_RUN_INTERVAL": "1",
    "JOBMON__HEARTBEAT__TASK_INSTANCE_INTERVAL": "1",
    # a server error fails the test in seconds instead of being retried for five minutes
    "JOBMON__HTTP__RETRIES_ATTEMPTS": "3",
    "JOBMON__HTTP__RETRIES_TIMEOUT": "20",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_login_dsn(module_db_dsn: str) -> Iterator[str]:
    """A login role with only the application role, and the DSN that logs in as it."""
    role = f"jobmon_bridge_test_{os.getpid()}"
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        (app_role,) = conn.execute("select role_name from jobmon.deployment_role where actor = 'app'").fetchone() or ()
        conn.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(app_role), sql.Identifier(role)))
    params = conninfo_to_dict(module_db_dsn)
    params.pop("password", None)
    yield make_conninfo(**{**params, "user": role})
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


@pytest.fixture(scope="module")
def server_url(module_db_dsn: str, app_login_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {**os.environ, "JOBMON__AUTH__ENABLED": "false", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    prepared = subprocess.run(
        [str(BIN / "jobmon-db"), "--dsn", module_db_dsn, "jobmon-server", "--prepare-only"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prepared.returncode == 0, prepared.stderr
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(BIN / "jobmon-db"), "--dsn", app_login_dsn, "jobmon-server", "--no-prepare", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{url}/api/v3/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"the server exited: {log.read_text()[-3000:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"the server did not answer: {log.read_text()[-3000:]}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def client(server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMON__HTTP__SERVICE_URL", server_url)
    for name, value in CLIENT_SETTINGS.items():
        monkeypatch.setenv(name, value)
    # the distributor starts worker_node_entry_point from the PATH
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "task.sh"
    path.write_text(TASK_SCRIPT)
    return path


def _template(cluster: str) -> Any:
    tool = Tool(name=f"bridge-{uuid.uuid4().hex[:8]}")
    tool.set_default_compute_resources_from_dict(cluster_name=cluster, compute_resources={"queue": "null.q"})
    return tool, tool.get_task_template(
        template_name="step",
        command_template="sh {script} {mode} {marker}",
        node_args=["marker"],
        task_args=[],
        op_args=["script", "mode"],  # op args: a resume may change them without changing the workflow
    )


def _moves_not_ours(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select model, object_id, from_status, to_status from jobmon.transition_history"
            " where function_name is null order by id"
        ).fetchall()


def _statuses(dsn: str, workflow_id: int) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("select name, status from jobmon.task where workflow_id = %s", (workflow_id,)))


def _attempts(dsn: str, workflow_id: int) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return dict(
            conn.execute(
                "select t.name, count(ti.id) from jobmon.task t join jobmon.task_instance ti on ti.task_id = t.id"
                " where t.workflow_id = %s group by t.name",
                (workflow_id,),
            )
        )


@pytest.mark.parametrize("cluster", ["sequential", "multiprocess"])
def test_a_dag_with_a_retry_runs_to_done(
    client: None, cluster: str, script: Path, tmp_path: Path, module_db_dsn: str
) -> None:
    tool, template = _template(cluster)
    workflow = tool.create_workflow(name=f"dag-{cluster}", workflow_args=uuid.uuid4().hex)

    def task(name: str, mode: str, upstream: list[Any] | None = None) -> Any:
        return template.create_task(
            name=name, script=script, mode=mode, marker=tmp_path / name, upstream_tasks=upstream or [], max_attempts=2
        )

    first = task("first", "ok")
    flaky = task("flaky", "flaky", [first])
    last = task("last", "ok", [first, flaky])
    workflow.add_tasks([first, flaky, last])
    assert workflow.run(seconds_until_timeout=120) == "D"
    assert _statuses(module_db_dsn, workflow.workflow_id) == {"first": "D", "flaky": "D", "last": "D"}
    assert _attempts(module_db_dsn, workflow.workflow_id) == {"first": 1, "flaky": 2, "last": 1}
    assert _moves_not_ours(module_db_dsn) == []


def test_an_array_on_the_multiprocess_cluster(client: None, script: Path, tmp_path: Path, module_db_dsn: str) -> None:
    tool, template = _template("multiprocess")
    workflow = tool.create_workflow(name="array", workflow_args=uuid.uuid4().hex)
    tasks = template.create_tasks(script=script, mode="ok", marker=[tmp_path / f"m{i}" for i in range(4)])
    workflow.add_tasks(tasks)
    assert workflow.run(seconds_until_timeout=120) == "D"
    with psycopg.connect(module_db_dsn) as conn:
        batches = conn.execute(
            "select count(distinct (ti.array_id, ti.array_batch_num)), count(*) from jobmon.task_instance ti"
            " join jobmon.task t on t.id = ti.task_id where t.workflow_id = %s",
            (workflow.workflow_id,),
        ).fetchone()
    assert batches == (1, 4)  # one batch of the array, four steps
    assert _moves_not_ours(module_db_dsn) == []


@pytest.mark.parametrize("hot", [False, True], ids=["cold", "hot"])
def test_a_fatal_failure_then_a_resume(
    client: None,
    hot: bool,
    script: Path,
    tmp_path: Path,
    module_db_dsn: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tool, template = _template("sequential")
    args = uuid.uuid4().hex

    def build(mode: str) -> tuple[Any, dict[str, Any]]:
        workflow = tool.create_workflow(name="resume", workflow_args=args)
        ok = template.create_task(name="ok", script=script, mode="ok", marker=tmp_path / "ok", max_attempts=1)
        bad = template.create_task(name="bad", script=script, mode=mode, marker=tmp_path / "bad", max_attempts=1)
        after = template.create_task(
            name="after", script=script, mode="ok", marker=tmp_path / "after", upstream_tasks=[bad], max_attempts=1
        )
        workflow.add_tasks([ok, bad, after])
        return workflow, {"ok": ok, "bad": bad, "after": after}

    first, _ = build("fail")
    assert first.run(seconds_until_timeout=120) == "E"
    statuses = _statuses(module_db_dsn, first.workflow_id)
    assert (statuses["ok"], statuses["bad"]) == ("D", "F")
    assert statuses["after"] == "G"  # never ran: its upstream task failed
    # `simulate --check` of this real failed workflow: its invariants hold, "after" is one that never ran.
    assert main(["--dsn", module_db_dsn, "simulate", "--check", str(first.workflow_id)]) == 0
    assert "ok   every task ended D or F: 3 tasks: D 1, F 1, G 1 (1 G never ran" in capsys.readouterr().out

    second, _ = build("ok")
    assert second.run(seconds_until_timeout=120, resume=True, reset_running_jobs=not hot) == "D"
    assert second.workflow_id == first.workflow_id
    assert _statuses(module_db_dsn, second.workflow_id) == {"ok": "D", "bad": "D", "after": "D"}
    assert main(["--dsn", module_db_dsn, "simulate", "--check", str(second.workflow_id)]) == 0, capsys.readouterr()
    assert _attempts(module_db_dsn, second.workflow_id) == {"ok": 1, "bad": 2, "after": 1}
    with psycopg.connect(module_db_dsn) as conn:
        resets = conn.execute(
            "select h.function_name, h.from_status from jobmon.transition_history h"
            " join jobmon.task t on t.id = h.task_id"
            " where t.workflow_id = %s and t.name = 'bad' and h.model = 'Task' and h.to_status = 'G'",
            (second.workflow_id,),
        ).fetchall()
    assert resets and all(function in ("bind_tasks", "reset_tasks_for_resume") for function, _ in resets)
    assert ("bind_tasks", "F") in resets or ("reset_tasks_for_resume", "F") in resets
    assert _moves_not_ours(module_db_dsn) == []


def _retried_by_upstream(status_code: int) -> bool:
    """Whether upstream's requester retries a response with this status (it raises InvalidResponse for it)."""
    import inspect

    from jobmon.core.requester import Requester

    source = inspect.getsource(Requester._send_request)
    assert "if 499 < status_code < 600 or status_code == 423:" in source  # upstream's rule, read from its code
    return 499 < status_code < 600 or status_code == 423


def _post(url: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{url}/api/v3{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_dag_bound_again_is_found_by_its_integer_hash(server_url: str) -> None:
    # The client sends hashes as integers; the second POST finds the dag by comparing its VARCHAR hash with one.
    dag_hash = 600_000_000_000_000_000 + uuid.uuid4().int % 10**17
    first = _post(server_url, "/dag", {"dag_hash": dag_hash})
    assert first[0] == 200, first
    again = _post(server_url, "/dag", {"dag_hash": dag_hash})
    assert again == (200, first[1])


HASH_COMPARISON = """
from sqlalchemy import select
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import configure_mappers
from jobmon.server.web.models import load_model
load_model()
from jobmon.server.web.models.dag import Dag
configure_mappers()
select(Dag).where(Dag.hash == 1).compile(dialect=pg.psycopg.dialect())  # the ORM copies its columns here
from jobmon_db.jobmon_server import postgresql
postgresql.apply()
compiled = select(Dag).where(Dag.hash == 655975722514348221).compile(dialect=pg.psycopg.dialect())
bind = compiled.binds["hash_1"]
print(str(compiled).split("WHERE ")[1], repr(bind.type.process_bind_param(bind.value, compiled.dialect)))
"""


def test_a_hash_compared_with_an_integer_is_compared_as_text_when_the_models_were_mapped_first() -> None:
    # `jobmon-db jobmon-server` maps upstream's models while it prepares their tables, before the fixes apply.
    done = subprocess.run([sys.executable, "-c", HASH_COMPARISON], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "dag.hash = %(hash_1)s::VARCHAR '655975722514348221'"


def test_a_lock_wait_blocks_no_other_request_and_past_lock_timeout_is_a_423_the_client_retries(
    server_url: str, module_db_dsn: str
) -> None:
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        _, run_id = make_workflow_run(conn)
        ti, task = make_run_instance(conn, run_id, "R", "R", report_by_date="1 minute")
    holder = psycopg.connect(module_db_dsn)
    holder.execute("select id from jobmon.task where id = %s for no key update", (task,))  # a move in flight
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(_post, server_url, f"/task_instance/{ti}/log_report_by", {"next_report_increment": 60})
        time.sleep(0.5)
        started = time.monotonic()
        with urllib.request.urlopen(f"{server_url}/api/v3/health", timeout=5) as health:
            assert health.status == 200
        assert time.monotonic() - started < 2  # the waiting request holds a thread, not the event loop
        status, body = waiting.result(timeout=30)  # the server's lock_timeout is 5 s
    holder.rollback()
    holder.close()
    assert status == 423
    assert body["error"]["sqlstate"] == "55P03"
    assert _retried_by_upstream(status)
    assert _post(server_url, f"/task_instance/{ti}/log_report_by", {"next_report_increment": 60}) == (
        200,
        {"status": "R"},
    )


def test_upstream_s_own_routes_commit_before_their_response(server_url: str, module_db_dsn: str) -> None:
    # A tool named 'refused-at-commit' fails a deferred check at COMMIT: the client sees that failure only
    # if the commit ran before the response was sent.
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        conn.execute(
            "create or replace function jobmon_upstream.refuse_at_commit() returns trigger language plpgsql as $$"
            " begin raise exception 'refused at commit'; end $$"
        )
        conn.execute(
            "create constraint trigger refuse_at_commit after insert on jobmon_upstream.tool"
            " deferrable initially deferred for each row when (new.name = 'refused-at-commit')"
            " execute function jobmon_upstream.refuse_at_commit()"
        )
    try:
        status, _ = _post(server_url, "/tool", {"name": "refused-at-commit"})
        assert status == 500
        assert _post(server_url, "/tool", {"name": f"committed-{uuid.uuid4().hex[:6]}"})[0] == 200
    finally:
        with psycopg.connect(module_db_dsn, autocommit=True) as conn:
            conn.execute("drop trigger refuse_at_commit on jobmon_upstream.tool")
            conn.execute("drop function jobmon_upstream.refuse_at_commit()")


def _put(url: str, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(f"{url}/api/v3{path}", data=b"{}", method="PUT")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


def test_the_reaper_terminates_a_dead_resumed_run_through_the_rules(server_url: str, module_db_dsn: str) -> None:
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        workflow_id, run_id = make_workflow_run(conn)
        conn.execute(
            "update jobmon.workflow_run set status = 'C', heartbeat_date = now() - interval '1 minute' where id = %s",
            (run_id,),
        )
        conn.execute("update jobmon.workflow set created_date = now() where id = %s", (workflow_id,))  # bound
        queued, _ = make_run_instance(conn, run_id, "Q", "Q")
        running, _ = make_run_instance(conn, run_id, "R", "R", report_by_date="1 minute")
    # R -> K: its worker is told to die, and the run waits for it; Q -> K stays K while its task is Q.
    assert _put(server_url, f"/workflow_run/{run_id}/reap") == (200, {"status": "C", "kill_self_remaining": 1})
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        statuses = dict(
            conn.execute("select id, status from jobmon.task_instance where workflow_run_id = %s", (run_id,))
        )
        assert statuses == {queued: "K", running: "K"}
        conn.execute("select * from jobmon.kill_task_instances(%s)", ([running],))  # the distributor's kill
    assert _put(server_url, f"/workflow_run/{run_id}/reap") == (200, {"status": "T"})
    with psycopg.connect(module_db_dsn) as conn:
        run = conn.execute("select status from jobmon.workflow_run where id = %s", (run_id,)).fetchone()
        workflow = conn.execute("select status from jobmon.workflow where id = %s", (workflow_id,)).fetchone()
    assert (run, workflow) == (("T",), ("H",))
    # The new run's resume resets the tasks; the instance that never reached the cluster finishes then.
    assert _post(server_url, f"/task/{workflow_id}/set_resume_state", {"reset_if_running": True}) == (200, {})
    with psycopg.connect(module_db_dsn) as conn:
        statuses = dict(
            conn.execute("select id, status from jobmon.task_instance where workflow_run_id = %s", (run_id,))
        )
    assert statuses == {queued: "F", running: "F"}
    with psycopg.connect(module_db_dsn) as conn:  # the test made the rows directly; every move since is ours
        functions = conn.execute(
            "select array_agg(distinct function_name) from jobmon.transition_history"
            " where model = 'TaskInstance' and object_id = any(%s) and from_status is not null",
            ([queued, running],),
        ).fetchone()
    assert functions is not None and None not in functions[0]
    assert set(functions[0]) >= {"terminate_workflow_run", "kill_task_instances"}


def test_the_command_says_what_to_run_first(db_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    from jobmon_db.cli import main

    # A migrated database without upstream's tables: a server with --no-prepare refuses to start.
    assert main(["--dsn", db_dsn, "jobmon-server", "--no-prepare"]) == 1
    assert "run `jobmon-db jobmon-server --prepare-only`" in capsys.readouterr().err
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        conn.execute("alter table jobmon.workflow drop column dag_id")  # as if 0007 had not run
    assert main(["--dsn", db_dsn, "jobmon-server", "--prepare-only"]) == 1
    assert "run `jobmon-db migrate` first" in capsys.readouterr().err
