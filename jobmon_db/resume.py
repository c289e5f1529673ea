"""Deprecated: triage, kills, resumes and the change feed now live by caller; re-exported here for one release.

Import from jobmon_db (or jobmon_db.swarm, jobmon_db.distributor) instead;
docs/upgrades.md says when this module goes.
"""

from __future__ import annotations

from .distributor import kill_task_instances, kill_task_instances_async
from .results import KillResult, TaskReset, TaskStatusChange, TerminatedInstance, TriagedInstance
from .swarm import (
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

__all__ = [
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
