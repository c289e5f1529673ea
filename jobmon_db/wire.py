"""Deprecated: the wire forms and call-site results now live by caller; this module re-exports them for one release.

Import from jobmon_db (or jobmon_db.worker_node, jobmon_db.distributor,
jobmon_db.results) instead; docs/upgrades.md says when this module goes.
"""

from __future__ import annotations

from .distributor import distributor_task_instances, distributor_task_instances_async
from .results import CallSiteResult, DistributorTaskInstance, LogRunningResult, WorkerNodeTaskInstance
from .worker_node import worker_node_task_instance, worker_node_task_instance_async

__all__ = [
    "CallSiteResult",
    "DistributorTaskInstance",
    "LogRunningResult",
    "WorkerNodeTaskInstance",
    "distributor_task_instances",
    "distributor_task_instances_async",
    "worker_node_task_instance",
    "worker_node_task_instance_async",
]
