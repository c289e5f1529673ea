"""jobmon-db: the Jobmon task-instance state machine inside PostgreSQL.

Call :func:`transition_task_instance` (or its async twin) with a psycopg 3
connection; the database validates and applies the transition.
"""

from .batches import (
    ArrayWorkerTaskInstance,
    DistributorIdLogged,
    Heartbeat,
    InstantiatedTaskInstance,
    LaunchedTaskInstance,
    QueuedTask,
    array_task_instance,
    array_task_instance_async,
    instantiate_task_instances,
    instantiate_task_instances_async,
    launch_array_batch,
    launch_array_batch_async,
    log_array_distributor_ids,
    log_array_distributor_ids_async,
    log_heartbeats,
    log_heartbeats_async,
    queue_task_batch,
    queue_task_batch_async,
)
from .errors import (
    InvalidArgument,
    InvalidStateTransition,
    JobmonDBError,
    RetryableError,
    TaskInstanceNotFound,
    TransitionTimeout,
    UnknownStatus,
)
from .statuses import TaskInstanceStatus, TaskStatus
from .transitions import TransitionResult, transition_task_instance, transition_task_instance_async

__all__ = [
    "InvalidArgument",
    "InvalidStateTransition",
    "JobmonDBError",
    "RetryableError",
    "TaskInstanceNotFound",
    "TaskInstanceStatus",
    "TaskStatus",
    "TransitionResult",
    "TransitionTimeout",
    "UnknownStatus",
    "transition_task_instance",
    "transition_task_instance_async",
    "ArrayWorkerTaskInstance",
    "DistributorIdLogged",
    "Heartbeat",
    "InstantiatedTaskInstance",
    "LaunchedTaskInstance",
    "QueuedTask",
    "array_task_instance",
    "array_task_instance_async",
    "instantiate_task_instances",
    "instantiate_task_instances_async",
    "launch_array_batch",
    "launch_array_batch_async",
    "log_array_distributor_ids",
    "log_array_distributor_ids_async",
    "log_heartbeats",
    "log_heartbeats_async",
    "queue_task_batch",
    "queue_task_batch_async",
]
