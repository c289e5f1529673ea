"""The reference model's wire forms, and requested_resources stored as jsonb."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from jobmon_db import (
    TaskInstanceNotFound,
    distributor_task_instances,
    distributor_task_instances_async,
    worker_node_task_instance,
    worker_node_task_instance_async,
)
from tests.factories import make_task_instance


def _with_resources(conn, requested: str | None) -> tuple[int, int, int]:
    ti, task = make_task_instance(conn, "R", "R", 1, 3)
    resources = conn.execute(
        "insert into jobmon.task_resources (requested_resources) values (%s) returning id", (requested,)
    ).fetchone()[0]
    conn.execute(
        "update jobmon.task_instance set task_resources_id = %s, distributor_id = 'job-1', array_batch_num = 2,"
        " array_step_id = 5 where id = %s",
        (resources, ti),
    )
    conn.execute("update jobmon.task set name = 'task-a', command = 'python run.py' where id = %s", (task,))
    return ti, task, resources


def test_distributor_wire_form_has_the_reference_columns_in_order(conn):
    cur = conn.execute("select * from jobmon.distributor_task_instances('{}')")
    assert [d.name for d in cur.description] == [
        "task_instance_id", "task_id", "workflow_run_id", "workflow_id", "status", "distributor_id",
        "task_resources_id", "array_id", "array_batch_num", "array_step_id",
    ]  # fmt: skip


def test_worker_node_wire_form_has_the_reference_columns_in_order(conn):
    ti, _, _ = _with_resources(conn, "{}")
    cur = conn.execute("select * from jobmon.worker_node_task_instance(task_instance_id => %s)", (ti,))
    assert [d.name for d in cur.description] == [
        "task_instance_id", "status", "workflow_run_id", "task_id", "name",
        "command", "workflow_id", "stdout", "stderr",
    ]  # fmt: skip


def test_distributor_wire_form_one_row_per_existing_id_ascending(conn):
    a, task_a, res_a = _with_resources(conn, "{}")
    b, _, _ = _with_resources(conn, "{}")
    workflow = conn.execute("select workflow_id from jobmon.task where id = %s", (task_a,)).fetchone()[0]
    rows = distributor_task_instances(conn, [b, a, a, 0, -5])
    assert [r.task_instance_id for r in rows] == [a, b]
    assert rows[0].to_wire() == (a, task_a, None, workflow, "R", "job-1", res_a, None, 2, 5)


@pytest.mark.parametrize(
    ("requested", "stdout", "stderr"),
    [
        ('{"stdout": "/logs/o", "stderr": "/logs/e", "memory": "2G"}', "/logs/o", "/logs/e"),
        ('{"stdout": "/logs/o"}', "/logs/o", None),
        ("{}", None, None),
        (None, None, None),
        ("[1, 2]", None, None),
    ],
)
def test_worker_node_wire_form_reads_stdout_and_stderr_from_the_requested_resources(conn, requested, stdout, stderr):
    ti, task, _ = _with_resources(conn, requested)
    workflow = conn.execute("select workflow_id from jobmon.task where id = %s", (task,)).fetchone()[0]
    wire = worker_node_task_instance(conn, ti).to_wire()
    assert wire == (ti, "R", None, task, "task-a", "python run.py", workflow, stdout, stderr)


def test_worker_node_wire_form_without_task_resources_has_null_stdout_and_stderr(conn):
    ti, _ = make_task_instance(conn, "R", "R", 1, 3)
    wire = worker_node_task_instance(conn, ti)
    assert (wire.stdout, wire.stderr) == (None, None)


def test_worker_node_wire_form_of_a_missing_task_instance_raises_jm003(conn):
    with pytest.raises(TaskInstanceNotFound):
        worker_node_task_instance(conn, 0)


def test_malformed_requested_resources_are_refused_when_written(conn):
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("insert into jobmon.task_resources (requested_resources) values ('{stdout: /logs')")


def test_async_twins_return_the_same_rows(db_dsn, conn):
    ti, _, _ = _with_resources(conn, '{"stdout": "/o"}')

    async def read():
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as aconn:
            return await distributor_task_instances_async(aconn, [ti]), await worker_node_task_instance_async(aconn, ti)

    rows, wire = asyncio.run(read())
    assert rows == distributor_task_instances(conn, [ti])
    assert wire == worker_node_task_instance(conn, ti)
