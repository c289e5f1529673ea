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
    WorkflowNotFound,
    WorkflowRunNotFound,
)
from .resume import (
    KillResult,
    TaskReset,
    TaskStatusChange,
    TerminatedInstance,
    TriagedInstance,
    kill_task_instances,
    kill_task_instances_async,
    next_cursor,
    reset_tasks_for_resume,
    reset_tasks_for_resume_async,
    task_status_changes,
    task_status_changes_async,
    terminate_workflow_run,
    terminate_workflow_run_async,
    triage_overdue,
    triage_overdue_async,
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
    "WorkflowNotFound",
    "WorkflowRunNotFound",
    "KillResult",
    "TaskReset",
    "TaskStatusChange",
    "TerminatedInstance",
    "TriagedInstance",
    "kill_task_instances",
    "kill_task_instances_async",
    "next_cursor",
    "reset_tasks_for_resume",
    "reset_tasks_for_resume_async",
    "task_status_changes",
    "task_status_changes_async",
    "terminate_workflow_run",
    "terminate_workflow_run_async",
    "triage_overdue",
    "triage_overdue_async",
]
