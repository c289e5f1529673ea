"""What the distributor and its reconciler call (psycopg 3, sync and async).

The SQL functions are in sql/40_distributor.sql. One instance at a time (log_distributor_id, log_no_distributor_id,
log_unknown_error), whole array batches (instantiate_task_instances,
launch_array_batch, log_array_distributor_ids, log_heartbeats), the kills
(kill_task_instances) and the distributor wire form
(distributor_task_instances). A batch call takes ids as any iterable of ints
and returns one typed row per distinct requested id (or step) with its real
outcome: a stale or unknown row is reported, never raised. The functions
never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from . import arguments as a
from .errors import InvalidArgument
from .executor import Argument, SqlFunction
from .results import (
    CallSiteResult,
    DistributorIdLogged,
    DistributorTaskInstance,
    Heartbeat,
    InstantiatedTaskInstance,
    KillResult,
    LaunchedTaskInstance,
)

#: {array_step_id: distributor_id} or (array_step_id, distributor_id) pairs.
DistributorIdsByStep = Mapping[int, str | None] | Iterable[tuple[int, str | None]]

_TASK_INSTANCE_ID = Argument("task_instance_id", "bigint", a.bigint)
_TASK_INSTANCE_IDS = Argument("task_instance_ids", "bigint[]", a.bigint_array)
_DESCRIPTION = Argument("description", "text", a.text)
_INCREMENT = Argument("next_report_increment", "interval", a.interval)
_ARRAY_ID = Argument("array_id", "bigint", a.bigint)
_ARRAY_BATCH_NUM = Argument("array_batch_num", "integer", a.integer)

LOG_DISTRIBUTOR_ID = SqlFunction(
    "log_distributor_id", CallSiteResult, _TASK_INSTANCE_ID, Argument("distributor_id", "text", a.text), _INCREMENT
)
LOG_NO_DISTRIBUTOR_ID = SqlFunction("log_no_distributor_id", CallSiteResult, _TASK_INSTANCE_ID, _DESCRIPTION)
LOG_UNKNOWN_ERROR = SqlFunction("log_unknown_error", CallSiteResult, _TASK_INSTANCE_ID, _DESCRIPTION)
DISTRIBUTOR_TASK_INSTANCES = SqlFunction("distributor_task_instances", DistributorTaskInstance, _TASK_INSTANCE_IDS)
INSTANTIATE_TASK_INSTANCES = SqlFunction("instantiate_task_instances", InstantiatedTaskInstance, _TASK_INSTANCE_IDS)
LAUNCH_ARRAY_BATCH = SqlFunction("launch_array_batch", LaunchedTaskInstance, _ARRAY_ID, _ARRAY_BATCH_NUM, _INCREMENT)
LOG_ARRAY_DISTRIBUTOR_IDS = SqlFunction(
    "log_array_distributor_ids",
    DistributorIdLogged,
    _ARRAY_ID,
    _ARRAY_BATCH_NUM,
    Argument("array_step_ids", "integer[]", a.integer_array),
    Argument("distributor_ids", "text[]", a.text_array),
)
LOG_HEARTBEATS = SqlFunction("log_heartbeats", Heartbeat, _TASK_INSTANCE_IDS, _INCREMENT)
KILL_TASK_INSTANCES = SqlFunction(
    "kill_task_instances", KillResult, Argument("task_instance_ids", "bigint[]", a.bigint_array_indexed)
)


@LOG_DISTRIBUTOR_ID.row
def log_distributor_id(task_instance_id: int, distributor_id: str, next_report_increment: timedelta) -> dict[str, Any]:
    """Record the cluster's job id and launch (I -> O); see docs/sql-api.md for the other statuses."""
    return locals()


@LOG_NO_DISTRIBUTOR_ID.row
def log_no_distributor_id(task_instance_id: int, description: str) -> dict[str, Any]:
    """Submission failed: I -> W with one error-log row."""
    return locals()


@LOG_UNKNOWN_ERROR.row
def log_unknown_error(task_instance_id: int, description: str) -> dict[str, Any]:
    """The reconciler's verdict U, only while report_by_date is in the past (else outcome 'not_overdue')."""
    return locals()


@DISTRIBUTOR_TASK_INSTANCES.rows
def distributor_task_instances(task_instance_ids: Iterable[int]) -> dict[str, Any]:
    """The distributor wire form of each existing task instance (ascending id; unknown ids skipped)."""
    return locals()


@INSTANTIATE_TASK_INSTANCES.rows
def instantiate_task_instances(task_instance_ids: Iterable[int]) -> dict[str, Any]:
    """Q -> I for the instances in Q whose tasks are Q; one row (wire form + outcome) per distinct id."""
    return locals()


@LAUNCH_ARRAY_BATCH.rows
def launch_array_batch(array_id: int, array_batch_num: int, next_report_increment: timedelta) -> dict[str, Any]:
    """I -> O (with submitted_date and report_by_date) for the batch's instances in I; one row per instance."""
    return locals()


@LOG_ARRAY_DISTRIBUTOR_IDS.rows
def log_array_distributor_ids(
    array_id: int, array_batch_num: int, distributor_ids_by_step: DistributorIdsByStep
) -> dict[str, Any]:
    """Record the cluster job id of each step ({step: id} or (step, id) pairs) on the batch's O/R instances."""
    if distributor_ids_by_step is None:  # the function refuses it
        return {
            "array_id": array_id,
            "array_batch_num": array_batch_num,
            "array_step_ids": None,
            "distributor_ids": None,
        }
    pairs = (
        list(distributor_ids_by_step.items())
        if isinstance(distributor_ids_by_step, Mapping)
        else list(distributor_ids_by_step)
    )
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidArgument(f"expected (array_step_id, distributor_id) pairs, got {a.short(pair)}")
    return {
        "array_id": array_id,
        "array_batch_num": array_batch_num,
        "array_step_ids": [p[0] for p in pairs],
        "distributor_ids": [p[1] for p in pairs],
    }


@LOG_HEARTBEATS.rows
def log_heartbeats(task_instance_ids: Iterable[int], next_report_increment: timedelta) -> dict[str, Any]:
    """Push report_by_date of the instances still in O; one row per distinct id."""
    return locals()


@KILL_TASK_INSTANCES.rows
def kill_task_instances(task_instance_ids: Iterable[int]) -> dict[str, Any]:
    """K -> F for the instances the distributor killed; one result per distinct id."""
    return locals()


log_distributor_id_async = log_distributor_id.async_twin
log_no_distributor_id_async = log_no_distributor_id.async_twin
log_unknown_error_async = log_unknown_error.async_twin
distributor_task_instances_async = distributor_task_instances.async_twin
instantiate_task_instances_async = instantiate_task_instances.async_twin
launch_array_batch_async = launch_array_batch.async_twin
log_array_distributor_ids_async = log_array_distributor_ids.async_twin
log_heartbeats_async = log_heartbeats.async_twin
kill_task_instances_async = kill_task_instances.async_twin
