"""Call the set-based batch functions from Python (psycopg 3, sync and async).

One call per batch: ids go in as any iterable of ints (a list, a set, a
generator, a range), and every function returns one typed row per distinct
requested id (or step) with its real outcome; a stale or unknown row is
reported, never raised. Chunking very large inputs is the caller's choice:
nothing here splits them. Like the rest of jobmon_db, these functions never
commit or roll back.

| function                           | SQL                                  | caller      |
|------------------------------------|--------------------------------------|-------------|
| queue_task_batch                   | jobmon.queue_task_batch              | swarm       |
| instantiate_task_instances         | jobmon.instantiate_task_instances    | distributor |
| launch_array_batch                 | jobmon.launch_array_batch            | distributor |
| log_array_distributor_ids          | jobmon.log_array_distributor_ids     | distributor |
| log_heartbeats                     | jobmon.log_heartbeats                | distributor |
| array_task_instance                | jobmon.array_task_instance           | worker node |

Each has an ``_async`` twin taking a psycopg AsyncConnection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from .errors import InvalidArgument
from .executor import fetch_all, fetch_all_async
from .statuses import StatusCodes, TaskInstanceStatus, TaskStatus
from .transitions import BIGINT_RANGE
from .wire import WorkerNodeTaskInstance

INT_RANGE = range(-(2**31), 2**31)
DISTRIBUTOR_ID_LENGTH = 20


@dataclass(frozen=True)
class QueuedTask(StatusCodes):
    """One row of jobmon.queue_task_batch(): a requested task and what the call did to it."""

    task_id: int
    #: applied (queued now), skipped (not in G or A), invalid (the rules refuse G/A -> Q, or no attempts left),
    #: wrong_array (the task belongs to another array), not_found.
    outcome: str
    task_status: TaskStatus | None
    num_attempts: int | None
    #: The new task instance, its batch number and step; None unless applied.
    task_instance_id: int | None
    array_batch_num: int | None
    array_step_id: int | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class InstantiatedTaskInstance(StatusCodes):
    """One row of jobmon.instantiate_task_instances(): the distributor wire form after the call, and the outcome."""

    task_instance_id: int
    task_id: int | None
    workflow_run_id: int | None
    workflow_id: int | None
    status: TaskInstanceStatus | None
    distributor_id: str | None
    task_resources_id: int | None
    array_id: int | None
    array_batch_num: int | None
    array_step_id: int | None
    #: applied, unchanged (already I), skipped (instance or task not Q), invalid, refused, conflict, not_found,
    #: stale (an attempt its task has left behind: finished instead, K -> F).
    outcome: str

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class LaunchedTaskInstance(StatusCodes):
    """One row of jobmon.launch_array_batch(): an instance of the batch and its move to O."""

    task_instance_id: int
    task_id: int
    array_step_id: int | None
    #: applied, unchanged (already O), skipped (instance or task not I), invalid, refused, conflict,
    #: stale (an attempt its task has left behind: told to die instead, I -> K).
    outcome: str
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_previous_status: TaskStatus
    task_status: TaskStatus
    stale: bool
    submitted_date: datetime | None
    report_by_date: datetime | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class DistributorIdLogged(StatusCodes):
    """One row of jobmon.log_array_distributor_ids(): a requested step and its distributor id after the call."""

    array_step_id: int
    task_instance_id: int | None
    #: applied, unchanged, ignored (another id is recorded: kept), skipped (not O or R),
    #: invalid (None, blank or too long), conflict (two ids), not_found.
    outcome: str
    status: TaskInstanceStatus | None
    distributor_id: str | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class Heartbeat(StatusCodes):
    """One row of jobmon.log_heartbeats(): a requested task instance and its deadline after the call."""

    task_instance_id: int
    #: applied (report_by_date pushed), skipped (not in O), not_found.
    outcome: str
    status: TaskInstanceStatus | None
    report_by_date: datetime | None

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


# jobmon.array_task_instance() returns the row of jobmon.worker_node_task_instance(): one class, with its to_wire().
ArrayWorkerTaskInstance = WorkerNodeTaskInstance


# ---------------------------------------------------------------------------
# Arguments: refused here, before anything is sent, when PostgreSQL would
# misread them or answer with a type error. None is left to the function.
# ---------------------------------------------------------------------------


def _int(name: str, value: Any, bounds: range = BIGINT_RANGE) -> int | None:
    if value is None:
        return None  # the function raises 22004
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{name} must be an int, not {type(value).__name__}: {value!r}"[:300])
    if value not in bounds:
        kind = "bigint" if bounds is BIGINT_RANGE else "integer"
        raise InvalidArgument(f"{name} is out of range for {kind}: {value}"[:300])
    return value


def _ids(name: str, values: Iterable[int] | None, bounds: range = BIGINT_RANGE) -> list[int | None] | None:
    """Any iterable of ints (None elements allowed: the functions ignore them) as a list; None stays None."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be an iterable of ints, not {type(values).__name__}"[:300])
    return [None if v is None else _int(f"{name} element", v, bounds) for v in values]


def _interval(name: str, value: Any) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, timedelta):
        raise InvalidArgument(f"{name} must be a datetime.timedelta, not {type(value).__name__}: {value!r}"[:300])
    return value  # which intervals are usable is the database's rule (jobmon._require_interval)


def _distributor_ids(values: Iterable[str | None] | None) -> list[str | None] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"distributor_ids must be an iterable of str, not {type(values).__name__}"[:300])
    result = list(values)
    for value in result:
        if value is not None and not isinstance(value, str):
            raise InvalidArgument(f"distributor_ids element must be a str, not {type(value).__name__}: {value!r}"[:300])
        if value is not None and "\x00" in value:
            raise InvalidArgument(f"distributor_ids element must not contain NUL characters: {value!r}"[:300])
    return result


# ---------------------------------------------------------------------------
# The calls
# ---------------------------------------------------------------------------

QUEUE_SQL = "select * from jobmon.queue_task_batch(%s::bigint[], %s::bigint, %s::bigint, %s::bigint)"
INSTANTIATE_SQL = "select * from jobmon.instantiate_task_instances(%s::bigint[])"
LAUNCH_SQL = "select * from jobmon.launch_array_batch(%s::bigint, %s::integer, %s::interval)"
DISTRIBUTOR_IDS_SQL = (
    "select * from jobmon.log_array_distributor_ids(%s::bigint, %s::integer, %s::integer[], %s::text[])"
)
HEARTBEATS_SQL = "select * from jobmon.log_heartbeats(%s::bigint[], %s::interval)"
ARRAY_TASK_INSTANCE_SQL = "select * from jobmon.array_task_instance(%s::bigint, %s::integer, %s::integer)"


def _queue_params(
    task_ids: Iterable[int], array_id: int, task_resources_id: int | None, workflow_run_id: int | None
) -> tuple[Any, ...]:
    return (
        _ids("task_ids", task_ids),
        _int("array_id", array_id),
        _int("task_resources_id", task_resources_id),
        _int("workflow_run_id", workflow_run_id),
    )


def queue_task_batch(
    conn: psycopg.Connection[Any],
    task_ids: Iterable[int],
    array_id: int,
    task_resources_id: int | None,
    workflow_run_id: int | None,
) -> list[QueuedTask]:
    """Queue the tasks in G or A (one new task instance each, one batch number); one row per distinct task id."""
    return fetch_all(conn, QueuedTask, QUEUE_SQL, _queue_params(task_ids, array_id, task_resources_id, workflow_run_id))


async def queue_task_batch_async(
    conn: psycopg.AsyncConnection[Any],
    task_ids: Iterable[int],
    array_id: int,
    task_resources_id: int | None,
    workflow_run_id: int | None,
) -> list[QueuedTask]:
    """The async twin of queue_task_batch()."""
    params = _queue_params(task_ids, array_id, task_resources_id, workflow_run_id)
    return await fetch_all_async(conn, QueuedTask, QUEUE_SQL, params)


def instantiate_task_instances(
    conn: psycopg.Connection[Any], task_instance_ids: Iterable[int]
) -> list[InstantiatedTaskInstance]:
    """Q -> I for the instances in Q whose tasks are Q; one row (wire form + outcome) per distinct id."""
    params = (_ids("task_instance_ids", task_instance_ids),)
    return fetch_all(conn, InstantiatedTaskInstance, INSTANTIATE_SQL, params)


async def instantiate_task_instances_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int]
) -> list[InstantiatedTaskInstance]:
    """The async twin of instantiate_task_instances()."""
    params = (_ids("task_instance_ids", task_instance_ids),)
    return await fetch_all_async(conn, InstantiatedTaskInstance, INSTANTIATE_SQL, params)


def _launch_params(array_id: int, array_batch_num: int, next_report_increment: timedelta) -> tuple[Any, ...]:
    return (
        _int("array_id", array_id),
        _int("array_batch_num", array_batch_num, INT_RANGE),
        _interval("next_report_increment", next_report_increment),
    )


def launch_array_batch(
    conn: psycopg.Connection[Any], array_id: int, array_batch_num: int, next_report_increment: timedelta
) -> list[LaunchedTaskInstance]:
    """I -> O (with submitted_date and report_by_date) for the batch's instances in I; one row per instance."""
    return fetch_all(
        conn, LaunchedTaskInstance, LAUNCH_SQL, _launch_params(array_id, array_batch_num, next_report_increment)
    )


async def launch_array_batch_async(
    conn: psycopg.AsyncConnection[Any], array_id: int, array_batch_num: int, next_report_increment: timedelta
) -> list[LaunchedTaskInstance]:
    """The async twin of launch_array_batch()."""
    params = _launch_params(array_id, array_batch_num, next_report_increment)
    return await fetch_all_async(conn, LaunchedTaskInstance, LAUNCH_SQL, params)


def _distributor_id_params(
    array_id: int,
    array_batch_num: int,
    distributor_ids_by_step: Mapping[int, str | None] | Iterable[tuple[int, str | None]],
) -> tuple[Any, ...]:
    if distributor_ids_by_step is None:
        steps: list[int | None] | None = None
        ids: list[str | None] | None = None
    else:
        pairs = (
            list(distributor_ids_by_step.items())
            if isinstance(distributor_ids_by_step, Mapping)
            else list(distributor_ids_by_step)
        )
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidArgument(f"expected (array_step_id, distributor_id) pairs, got {pair!r}"[:300])
        steps = _ids("array_step_ids", (p[0] for p in pairs), INT_RANGE)
        ids = _distributor_ids(p[1] for p in pairs)
    return (_int("array_id", array_id), _int("array_batch_num", array_batch_num, INT_RANGE), steps, ids)


def log_array_distributor_ids(
    conn: psycopg.Connection[Any],
    array_id: int,
    array_batch_num: int,
    distributor_ids_by_step: Mapping[int, str | None] | Iterable[tuple[int, str | None]],
) -> list[DistributorIdLogged]:
    """Record the cluster job id of each step ({step: id} or (step, id) pairs) on the batch's O/R instances."""
    params = _distributor_id_params(array_id, array_batch_num, distributor_ids_by_step)
    return fetch_all(conn, DistributorIdLogged, DISTRIBUTOR_IDS_SQL, params)


async def log_array_distributor_ids_async(
    conn: psycopg.AsyncConnection[Any],
    array_id: int,
    array_batch_num: int,
    distributor_ids_by_step: Mapping[int, str | None] | Iterable[tuple[int, str | None]],
) -> list[DistributorIdLogged]:
    """The async twin of log_array_distributor_ids()."""
    params = _distributor_id_params(array_id, array_batch_num, distributor_ids_by_step)
    return await fetch_all_async(conn, DistributorIdLogged, DISTRIBUTOR_IDS_SQL, params)


def log_heartbeats(
    conn: psycopg.Connection[Any], task_instance_ids: Iterable[int], next_report_increment: timedelta
) -> list[Heartbeat]:
    """Push report_by_date of the instances still in O; one row per distinct id."""
    params = (_ids("task_instance_ids", task_instance_ids), _interval("next_report_increment", next_report_increment))
    return fetch_all(conn, Heartbeat, HEARTBEATS_SQL, params)


async def log_heartbeats_async(
    conn: psycopg.AsyncConnection[Any], task_instance_ids: Iterable[int], next_report_increment: timedelta
) -> list[Heartbeat]:
    """The async twin of log_heartbeats()."""
    params = (_ids("task_instance_ids", task_instance_ids), _interval("next_report_increment", next_report_increment))
    return await fetch_all_async(conn, Heartbeat, HEARTBEATS_SQL, params)


def _array_step_params(array_id: int, array_batch_num: int, array_step_id: int) -> tuple[Any, ...]:
    return (
        _int("array_id", array_id),
        _int("array_batch_num", array_batch_num, INT_RANGE),
        _int("array_step_id", array_step_id, INT_RANGE),
    )


def array_task_instance(
    conn: psycopg.Connection[Any], array_id: int, array_batch_num: int, array_step_id: int
) -> ArrayWorkerTaskInstance:
    """The worker-node wire form of the instance at (array, batch, step); TaskInstanceNotFound if there is none."""
    rows = fetch_all(
        conn,
        ArrayWorkerTaskInstance,
        ARRAY_TASK_INSTANCE_SQL,
        _array_step_params(array_id, array_batch_num, array_step_id),
    )
    return rows[0]


async def array_task_instance_async(
    conn: psycopg.AsyncConnection[Any], array_id: int, array_batch_num: int, array_step_id: int
) -> ArrayWorkerTaskInstance:
    """The async twin of array_task_instance()."""
    params = _array_step_params(array_id, array_batch_num, array_step_id)
    rows = await fetch_all_async(conn, ArrayWorkerTaskInstance, ARRAY_TASK_INSTANCE_SQL, params)
    return rows[0]
