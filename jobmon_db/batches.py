"""Deprecated: the batch calls now live by caller; this module re-exports them for one release.

Import from jobmon_db (or jobmon_db.distributor, jobmon_db.swarm,
jobmon_db.worker_node) instead; docs/upgrades.md says when this module goes.
"""

from __future__ import annotations

from .distributor import (
    instantiate_task_instances,
    instantiate_task_instances_async,
    launch_array_batch,
    launch_array_batch_async,
    log_array_distributor_ids,
    log_array_distributor_ids_async,
    log_heartbeats,
    log_heartbeats_async,
)
from .results import (
    ArrayWorkerTaskInstance,
    DistributorIdLogged,
    Heartbeat,
    InstantiatedTaskInstance,
    LaunchedTaskInstance,
    QueuedTask,
)
from .swarm import queue_task_batch, queue_task_batch_async
from .worker_node import array_task_instance, array_task_instance_async

__all__ = [
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
