"""The Python wrapper: typed results, mapped exceptions, logging, async twin."""

from __future__ import annotations

import asyncio
import logging

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
    transition_task_instance,
    transition_task_instance_async,
)
from tests.factories import make_task_instance, snapshot


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
