"""What the distributor and its reconciler call (psycopg 3, sync and async).

One instance at a time (log_distributor_id, log_no_distributor_id,
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

import psycopg

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

__all__ = [
    "CallSiteResult",
    "DistributorIdLogged",
    "DistributorTaskInstance",
    "Heartbeat",
    "InstantiatedTaskInstance",
    "KillResult",
    "LaunchedTaskInstance",
    "distributor_task_instances",
    "distributor_task_instances_async",
    "instantiate_task_instances",
    "instantiate_task_instances_async",
    "kill_task_instances",
    "kill_task_instances_async",
    "launch_array_batch",
    "launch_array_batch_async",
    "log_array_distributor_ids",
    "log_array_distributor_ids_async",
    "log_distributor_id",
    "log_distributor_id_async",
    "log_heartbeats",
    "log_heartbeats_async",
    "log_no_distributor_id",
    "log_no_distributor_id_async",
    "log_unknown_error",
    "log_unknown_error_async",
]

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


def log_distributor_id(
    conn: psycopg.Connection[Any], task_instance_id: int, distributor_id: str, next_report_increment: timedelta
) -> CallSiteResult:
    """Record the cluster's job id and launch (I -> O); see docs/sql-api.md for the other statuses."""
    return LOG_DISTRIBUTOR_ID.one(
        conn,
        task_instance_id=task_instance_id,
        distributor_id=distributor_id,
        next_report_increment=next_report_increment,
    )


async def log_distributor_id_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, distributor_id: str, next_report_increment: timedelta
) -> CallSiteResult:
    """The async twin of log_distributor_id()."""
    return await LOG_DISTRIBUTOR_ID.one_async(
        conn,
        task_instance_id=task_instance_id,
        distributor_id=distributor_id,
        next_report_increment=next_report_increment,
    )


def log_no_distributor_id(conn: psycopg.Connection[Any], task_instance_id: int, description: str) -> CallSiteResult:
    """Submission failed: I -> W with one error-log row."""
    return LOG_NO_DISTRIBUTOR_ID.one(conn, task_instance_id=task_instance_id, description=description)


async def log_no_distributor_id_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, description: str
) -> CallSiteResult:
    """The async twin of log_no_distributor_id()."""
    return await LOG_NO_DISTRIBUTOR_ID.one_async(conn, task_instance_id=task_instance_id, description=description)


def log_unknown_error(conn: psycopg.Connection[Any], task_instance_id: int, description: str) -> CallSiteResult:
    """The reconciler's verdict U, only while report_by_date is in the past (else outcome 'not_overdue')."""
    return LOG_UNKNOWN_ERROR.one(conn, task_instance_id=task_instance_id, description=description)


async def log_unknown_error_async(
    conn: psycopg.AsyncConnection[Any], task_instance_id: int, description: str
) -> CallSiteResult:
    """The async twin of log_unknown_error()."""
    return await LOG_UNKNOWN_ERROR.one_async(conn, task_instance_id=task_instance_id, description=description)


def distributor_task_instances(
    conn: psycopg.Connection[Any], task_instance_ids: Iterable[int]
) -> list[DistributorTaskInstance]:
    """The distributor wire form of each existing task instance (ascending id; unknown ids skipped)."""
    return DISTRIBUTOR_TASK_INSTANCES.all(conn, task_instance_ids=task_instance_ids)


async def distributor_task_instances_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int]
) -> list[DistributorTaskInstance]:
    """The async twin of distributor_task_instances()."""
    return await DISTRIBUTOR_TASK_INSTANCES.all_async(conn, task_instance_ids=task_instance_ids)


def instantiate_task_instances(
    conn: psycopg.Connection[Any], task_instance_ids: Iterable[int]
) -> list[InstantiatedTaskInstance]:
    """Q -> I for the instances in Q whose tasks are Q; one row (wire form + outcome) per distinct id."""
    return INSTANTIATE_TASK_INSTANCES.all(conn, task_instance_ids=task_instance_ids)


async def instantiate_task_instances_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int]
) -> list[InstantiatedTaskInstance]:
    """The async twin of instantiate_task_instances()."""
    return await INSTANTIATE_TASK_INSTANCES.all_async(conn, task_instance_ids=task_instance_ids)


def launch_array_batch(
    conn: psycopg.Connection[Any], array_id: int, array_batch_num: int, next_report_increment: timedelta
) -> list[LaunchedTaskInstance]:
    """I -> O (with submitted_date and report_by_date) for the batch's instances in I; one row per instance."""
    return LAUNCH_ARRAY_BATCH.all(
        conn, array_id=array_id, array_batch_num=array_batch_num, next_report_increment=next_report_increment
    )


async def launch_array_batch_async(
    conn: psycopg.AsyncConnection[Any], array_id: int, array_batch_num: int, next_report_increment: timedelta
) -> list[LaunchedTaskInstance]:
    """The async twin of launch_array_batch()."""
    return await LAUNCH_ARRAY_BATCH.all_async(
        conn, array_id=array_id, array_batch_num=array_batch_num, next_report_increment=next_report_increment
    )


def _steps_and_ids(distributor_ids_by_step: DistributorIdsByStep | None) -> dict[str, Any]:
    """The pairs as the function's two arrays (steps, ids); None stays None for the function to refuse."""
    if distributor_ids_by_step is None:
        return {"array_step_ids": None, "distributor_ids": None}
    pairs = (
        list(distributor_ids_by_step.items())
        if isinstance(distributor_ids_by_step, Mapping)
        else list(distributor_ids_by_step)
    )
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise InvalidArgument(f"expected (array_step_id, distributor_id) pairs, got {a.short(pair)}")
    return {"array_step_ids": [p[0] for p in pairs], "distributor_ids": [p[1] for p in pairs]}


def log_array_distributor_ids(
    conn: psycopg.Connection[Any],
    array_id: int,
    array_batch_num: int,
    distributor_ids_by_step: DistributorIdsByStep,
) -> list[DistributorIdLogged]:
    """Record the cluster job id of each step ({step: id} or (step, id) pairs) on the batch's O/R instances."""
    return LOG_ARRAY_DISTRIBUTOR_IDS.all(
        conn, array_id=array_id, array_batch_num=array_batch_num, **_steps_and_ids(distributor_ids_by_step)
    )


async def log_array_distributor_ids_async(
    conn: psycopg.AsyncConnection[Any],
    array_id: int,
    array_batch_num: int,
    distributor_ids_by_step: DistributorIdsByStep,
) -> list[DistributorIdLogged]:
    """The async twin of log_array_distributor_ids()."""
    return await LOG_ARRAY_DISTRIBUTOR_IDS.all_async(
        conn, array_id=array_id, array_batch_num=array_batch_num, **_steps_and_ids(distributor_ids_by_step)
    )


def log_heartbeats(
    conn: psycopg.Connection[Any], task_instance_ids: Iterable[int], next_report_increment: timedelta
) -> list[Heartbeat]:
    """Push report_by_date of the instances still in O; one row per distinct id."""
    return LOG_HEARTBEATS.all(conn, task_instance_ids=task_instance_ids, next_report_increment=next_report_increment)


async def log_heartbeats_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int], next_report_increment: timedelta
) -> list[Heartbeat]:
    """The async twin of log_heartbeats()."""
    return await LOG_HEARTBEATS.all_async(
        conn, task_instance_ids=task_instance_ids, next_report_increment=next_report_increment
    )


def kill_task_instances(conn: psycopg.Connection[Any], task_instance_ids: Iterable[int]) -> list[KillResult]:
    """K -> F for the instances the distributor killed; one result per distinct id."""
    return KILL_TASK_INSTANCES.all(conn, task_instance_ids=task_instance_ids)


async def kill_task_instances_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int]
) -> list[KillResult]:
    """The async twin of kill_task_instances()."""
    return await KILL_TASK_INSTANCES.all_async(conn, task_instance_ids=task_instance_ids)
