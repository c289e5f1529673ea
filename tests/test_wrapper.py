"""The Python wrapper: typed results, mapped exceptions, logging, async twin."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    InvalidArgument,
    InvalidStateTransition,
    TaskInstanceNotFound,
    TaskInstanceStatus,
    TaskStatus,
    TransitionResult,
    UnknownStatus,
    log_distributor_id,
    log_distributor_id_async,
    log_done,
    log_done_async,
    log_error,
    log_error_async,
    log_heartbeat,
    log_heartbeat_async,
    log_no_distributor_id,
    log_no_distributor_id_async,
    log_running,
    log_running_async,
    log_unknown_error,
    log_unknown_error_async,
    transition_task_instance,
    transition_task_instance_async,
)
from tests.factories import make_call_site_instance, make_task_instance, snapshot


def test_result_fields_are_the_sql_result_type_in_order(conn):
    # The wrapper fills TransitionResult by position, so its fields must be the type's attributes, in order.
    attributes = conn.execute(
        "select array_agg(a.attname::text order by a.attnum) from pg_attribute a"
        " where a.attrelid = 'jobmon.task_instance_transition_result'::regclass and a.attnum > 0 and not a.attisdropped"
    ).fetchone()[0]
    assert [f.name for f in dataclasses.fields(TransitionResult)] == attributes


def test_result_is_typed_with_status_enums(conn):
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=1)
    result = transition_task_instance(conn, ti, TaskInstanceStatus.ERROR)
    assert isinstance(result, TransitionResult) and result.applied
    assert result.previous_status is TaskInstanceStatus.RUNNING and result.status is TaskInstanceStatus.ERROR
    assert result.task_previous_status is TaskStatus.RUNNING and result.task_status is TaskStatus.ERROR_FATAL
    assert (result.task_instance_id, result.task_id, result.task_num_attempts) == (ti, task, 1)


def test_untimely_outcome_is_returned_and_logged_as_a_warning(conn, caplog):
    ti, _ = make_task_instance(conn, "E", "G", num_attempts=1, max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="jobmon_db"):
        result = transition_task_instance(conn, ti, "E")
    assert result.untimely and result.status is TaskInstanceStatus.ERROR
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and f"TaskInstance id: {ti} from E to E" in record.getMessage()


def test_invalid_transition_raises_with_model_id_from_and_to(conn):
    ti, _ = make_task_instance(conn, "Q", "Q")
    with pytest.raises(InvalidStateTransition) as raised:
        transition_task_instance(conn, ti, TaskInstanceStatus.DONE)
    error = raised.value
    assert (error.model, error.id, error.from_status, error.to_status) == ("TaskInstance", ti, "Q", "D")
    assert error.sqlstate == "JM001" and "I (INSTANTIATED), K (KILL_SELF)" in (error.detail or "")
    assert isinstance(error.__cause__, psycopg.Error) and not error.retryable


def test_invalid_task_move_in_the_cascade_raises_for_the_task(conn):
    ti, task = make_task_instance(conn, "K", "G")
    before = snapshot(conn, ti)
    with pytest.raises(InvalidStateTransition) as raised:
        transition_task_instance(conn, ti, "D")
    assert (raised.value.model, raised.value.id, raised.value.from_status, raised.value.to_status) == (
        "Task", task, "G", "D")  # fmt: skip
    assert raised.value.sqlstate == "JM002"
    assert snapshot(conn, ti) == before


def test_missing_task_instance_raises_not_found(conn):
    with pytest.raises(TaskInstanceNotFound) as raised:
        transition_task_instance(conn, 424242, "R")
    assert raised.value.sqlstate == "JM003" and isinstance(raised.value, LookupError)


@pytest.mark.parametrize("status", ["RUNNING", "r", "", "RR"])
def test_unknown_status_raises_unknown_status(conn, status):
    ti, _ = make_task_instance(conn, "O", "O")
    with pytest.raises(UnknownStatus) as raised:
        transition_task_instance(conn, ti, status)
    assert raised.value.sqlstate == "22023" and isinstance(raised.value, ValueError)


def test_null_id_raises_invalid_argument(conn):
    with pytest.raises(InvalidArgument) as raised:
        transition_task_instance(conn, None, "R")  # type: ignore[arg-type]
    assert raised.value.sqlstate == "22004"


def test_async_twin_applies_and_maps_errors(db_dsn, conn):
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)

    async def drive() -> list[TransitionResult]:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as aconn:
            results = [await transition_task_instance_async(aconn, ti, s) for s in "IOR"]
            with pytest.raises(InvalidStateTransition):
                await transition_task_instance_async(aconn, ti, "Q")
            return results

    results = asyncio.run(drive())
    assert [r.status.value for r in results] == ["I", "O", "R"]
    assert [r.task_status.value for r in results] == ["I", "O", "R"]


def test_status_enums_parse_codes_and_labels_in_any_case():
    assert TaskInstanceStatus.parse("R") is TaskInstanceStatus.RUNNING
    assert TaskInstanceStatus.parse("running") is TaskInstanceStatus.RUNNING
    assert TaskStatus.parse("adjusting_resources") is TaskStatus.ADJUSTING_RESOURCES
    with pytest.raises(ValueError, match="choose one of"):
        TaskInstanceStatus.parse("RUN")


#: Each call-site route: (start status, its sync wrapper, its async twin, the arguments after the id).
CALL_SITE_TWINS = {
    "log_running": ("O", log_running, log_running_async, ("node-7", 4242, timedelta(seconds=279))),
    "log_heartbeat": ("R", log_heartbeat, log_heartbeat_async, (timedelta(seconds=279),)),
    "log_done": ("R", log_done, log_done_async, ()),
    "log_error": ("R", log_error, log_error_async, ("E", "exit 1")),
    "log_unknown_error": ("T", log_unknown_error, log_unknown_error_async, ("no exit status",)),
    "log_distributor_id": ("I", log_distributor_id, log_distributor_id_async, ("job-1", timedelta(seconds=279))),
    "log_no_distributor_id": ("I", log_no_distributor_id, log_no_distributor_id_async, ("qsub failed",)),
}


@pytest.mark.parametrize("route", CALL_SITE_TWINS)
def test_call_site_async_twin_makes_the_same_move_and_maps_errors(db_dsn, conn, route):
    status, sync_call, async_call, args = CALL_SITE_TWINS[route]
    sync_ti, _ = make_call_site_instance(conn, status)
    async_ti, _ = make_call_site_instance(conn, status)

    async def drive() -> Any:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as aconn:
            result = await async_call(aconn, async_ti, *args)
            with pytest.raises(TaskInstanceNotFound):
                await async_call(aconn, 2**62, *args)
            return result

    by_async = asyncio.run(drive())
    by_sync = sync_call(conn, sync_ti, *args)
    assert type(by_async) is type(by_sync)
    assert (by_async.outcome, by_async.previous_status, by_async.status) == (
        by_sync.outcome,
        by_sync.previous_status,
        by_sync.status,
    )
    assert by_async.outcome == "applied"
    assert snapshot(conn, async_ti)[0] == snapshot(conn, sync_ti)[0]
