"""jobmon-db: the Jobmon task-instance state machine inside PostgreSQL.

Call :func:`transition_task_instance` (or its async twin) with a psycopg 3
connection; the database validates and applies the transition.
"""

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
]
