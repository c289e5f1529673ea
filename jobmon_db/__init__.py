"""jobmon-db: the Jobmon task-instance state machine inside PostgreSQL.

Call :func:`transition_task_instance` (or its async twin) with a psycopg 3
connection; the database validates and applies the transition.
"""

from .distributor import (
    log_distributor_id,
    log_distributor_id_async,
    log_no_distributor_id,
    log_no_distributor_id_async,
    log_unknown_error,
    log_unknown_error_async,
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
from .history import HistoryEntry, set_history, task_instance_history, task_instance_history_async
from .statuses import TaskInstanceStatus, TaskStatus
from .transitions import TransitionResult, transition_task_instance, transition_task_instance_async
from .wire import (
    CallSiteResult,
    DistributorTaskInstance,
    LogRunningResult,
    WorkerNodeTaskInstance,
    distributor_task_instances,
    distributor_task_instances_async,
    worker_node_task_instance,
    worker_node_task_instance_async,
)
from .worker_node import (
    log_done,
    log_done_async,
    log_error,
    log_error_async,
    log_heartbeat,
    log_heartbeat_async,
    log_running,
    log_running_async,
)

__all__ = [
    "InvalidArgument",
    "InvalidStateTransition",
    "JobmonDBError",
    "RetryableError",
    "TaskInstanceNotFound",
    "HistoryEntry",
    "TaskInstanceStatus",
    "TaskStatus",
    "TransitionResult",
    "TransitionTimeout",
    "UnknownStatus",
    "set_history",
    "task_instance_history",
    "task_instance_history_async",
    "transition_task_instance",
    "transition_task_instance_async",
    "CallSiteResult",
    "DistributorTaskInstance",
    "LogRunningResult",
    "WorkerNodeTaskInstance",
    "distributor_task_instances",
    "distributor_task_instances_async",
    "worker_node_task_instance",
    "worker_node_task_instance_async",
    "log_running",
    "log_running_async",
    "log_heartbeat",
    "log_heartbeat_async",
    "log_done",
    "log_done_async",
    "log_error",
    "log_error_async",
    "log_distributor_id",
    "log_distributor_id_async",
    "log_no_distributor_id",
    "log_no_distributor_id_async",
    "log_unknown_error",
    "log_unknown_error_async",
]
