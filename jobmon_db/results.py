"""The typed rows the jobmon functions return: one class per SQL result type.

Each class's fields are its function's result columns, in their order (the
executor builds rows by position; tests/test_results.py compares them with
the database). Status fields hold TaskInstanceStatus or TaskStatus members,
``outcome`` an Outcome member (a str).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any

from .statuses import Outcome, StatusCodes, TaskInstanceStatus, TaskStatus


class _HasOutcome(StatusCodes):
    """A result with an outcome column."""

    outcome: Outcome

    @property
    def applied(self) -> bool:
        """True when the call changed the row (outcome 'applied')."""
        return self.outcome is Outcome.APPLIED


@dataclass(frozen=True)
class TransitionResult(_HasOutcome):
    """One row of jobmon.transition_task_instance()."""

    task_instance_id: int
    task_id: int
    outcome: Outcome
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_previous_status: TaskStatus
    task_status: TaskStatus
    task_num_attempts: int
    status_date: datetime
    #: True when the task instance is an attempt its task has left behind (queued
    #: again or reset by a resume): the move did not cascade to the task.
    stale: bool = False

    @property
    def untimely(self) -> bool:
        return self.outcome is Outcome.UNTIMELY


@dataclass(frozen=True)
class CallSiteResult(_HasOutcome):
    """One row of a call-site function (jobmon.call_site_result); outcomes in docs/sql-api.md."""

    task_instance_id: int
    task_id: int
    outcome: Outcome
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_status: TaskStatus
    stale: bool
    status_date: datetime
    report_by_date: datetime | None
    distributor_id: str | None
    error_log_id: int | None


@dataclass(frozen=True)
class WorkerNodeTaskInstance(StatusCodes):
    """The row of jobmon.worker_node_task_instance(), in the reference model's order."""

    task_instance_id: int
    status: TaskInstanceStatus
    workflow_run_id: int | None
    task_id: int
    name: str | None
    command: str | None
    workflow_id: int
    stdout: str | None
    stderr: str | None

    def to_wire(self) -> tuple[Any, ...]:
        """The tuple of to_wire_as_worker_node_task_instance (status as its code)."""
        return tuple(
            str(getattr(self, f.name)) if f.name == "status" else getattr(self, f.name)
            for f in fields(WorkerNodeTaskInstance)
        )


@dataclass(frozen=True)
class LogRunningResult(WorkerNodeTaskInstance, _HasOutcome):
    """The row of jobmon.log_running(): the worker-node wire form after the call, outcome, previous status."""

    outcome: Outcome
    previous_status: TaskInstanceStatus

    @property
    def may_run(self) -> bool:
        """True when the worker should run the command (the status is R)."""
        return self.status is TaskInstanceStatus.RUNNING


# jobmon.array_task_instance() returns the row of jobmon.worker_node_task_instance(): one class, with its to_wire().
ArrayWorkerTaskInstance = WorkerNodeTaskInstance


@dataclass(frozen=True)
class DistributorTaskInstance(StatusCodes):
    """One row of jobmon.distributor_task_instances(), in the reference model's order."""

    task_instance_id: int
    task_id: int
    workflow_run_id: int | None
    workflow_id: int
    status: TaskInstanceStatus
    distributor_id: str | None
    task_resources_id: int | None
    array_id: int | None
    array_batch_num: int | None
    array_step_id: int | None

    def to_wire(self) -> tuple[Any, ...]:
        """The tuple of to_wire_as_distributor_task_instance (status as its code)."""
        return tuple(str(v) if isinstance(v, TaskInstanceStatus) else v for v in astuple(self))


@dataclass(frozen=True)
class InstantiatedTaskInstance(_HasOutcome):
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
    outcome: Outcome


@dataclass(frozen=True)
class LaunchedTaskInstance(_HasOutcome):
    """One row of jobmon.launch_array_batch(): an instance of the batch and its move to O."""

    task_instance_id: int
    task_id: int
    array_step_id: int | None
    #: applied, unchanged (already O), skipped (instance or task not I), invalid, refused, conflict,
    #: stale (an attempt its task has left behind: told to die instead, I -> K).
    outcome: Outcome
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_previous_status: TaskStatus
    task_status: TaskStatus
    stale: bool
    submitted_date: datetime | None
    report_by_date: datetime | None


@dataclass(frozen=True)
class DistributorIdLogged(_HasOutcome):
    """One row of jobmon.log_array_distributor_ids(): a requested step and its distributor id after the call."""

    array_step_id: int
    task_instance_id: int | None
    #: applied, unchanged, ignored (another id is recorded: kept), skipped (not O or R),
    #: invalid (None, blank or too long), conflict (two ids), not_found.
    outcome: Outcome
    status: TaskInstanceStatus | None
    distributor_id: str | None


@dataclass(frozen=True)
class Heartbeat(_HasOutcome):
    """One row of jobmon.log_heartbeats(): a requested task instance and its deadline after the call."""

    task_instance_id: int
    #: applied (report_by_date pushed), skipped (not in O), not_found.
    outcome: Outcome
    status: TaskInstanceStatus | None
    report_by_date: datetime | None


@dataclass(frozen=True)
class KillResult(_HasOutcome):
    """One row of jobmon.kill_task_instances(): the outcome of K -> F for one id."""

    task_instance_id: int
    task_id: int | None
    #: applied, unchanged (already F), skipped (not K), not_found, ...
    outcome: Outcome
    previous_status: TaskInstanceStatus | None
    status: TaskInstanceStatus | None
    task_previous_status: TaskStatus | None
    task_status: TaskStatus | None
    task_num_attempts: int | None
    stale: bool | None


@dataclass(frozen=True)
class QueuedTask(_HasOutcome):
    """One row of jobmon.queue_task_batch(): a requested task and what the call did to it."""

    task_id: int
    #: applied (queued now), skipped (not in G or A), invalid (the rules refuse G/A -> Q, or no attempts left),
    #: wrong_array (the task belongs to another array), not_found.
    outcome: Outcome
    task_status: TaskStatus | None
    num_attempts: int | None
    #: The new task instance, its batch number and step; None unless applied.
    task_instance_id: int | None
    array_batch_num: int | None
    array_step_id: int | None


@dataclass(frozen=True)
class TriagedInstance(StatusCodes):
    """One instance jobmon.triage_overdue() moved (R -> T or O -> X)."""

    task_instance_id: int
    task_id: int
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    report_by_date: datetime | None


@dataclass(frozen=True)
class TerminatedInstance(_HasOutcome):
    """One row of jobmon.terminate_workflow_run(): where one live instance of the run ended."""

    task_instance_id: int
    task_id: int
    #: 'applied' when its status changed, else the outcome that stopped it (e.g. 'refused').
    outcome: Outcome
    previous_status: TaskInstanceStatus
    status: TaskInstanceStatus
    task_status: TaskStatus
    stale: bool
    #: The error-log text written for it (None when nothing moved).
    description: str | None


@dataclass(frozen=True)
class TaskReset(_HasOutcome):
    """One row of jobmon.reset_tasks_for_resume()."""

    task_id: int
    #: 'applied' (now G with no attempts) or 'refused' (no 'resume' rule from its status).
    outcome: Outcome
    previous_status: TaskStatus
    status: TaskStatus
    previous_num_attempts: int


@dataclass(frozen=True)
class TaskStatusChange(StatusCodes):
    """One row of jobmon.task_status_changes(): a task's current status and the cursor to pass next."""

    task_id: int
    status: TaskStatus
    cursor: int


@dataclass(frozen=True)
class BoundTask(_HasOutcome):
    """One row of jobmon.bind_tasks(): a requested key and what the call did to its task."""

    node_id: int
    task_args_hash: str
    task_id: int
    #: created (new, in G), reset (rebound to G), unchanged (D, or R without reset_if_running), refused
    outcome: Outcome
    previous_status: TaskStatus | None
    status: TaskStatus
    max_attempts: int


@dataclass(frozen=True)
class HistoryEntry:
    """One row of jobmon.transition_history: an applied move (from_status None: a task instance created)."""

    id: int
    model: str  # 'TaskInstance' or 'Task'
    object_id: int
    task_id: int
    #: For a task instance: itself. For a task: the task instance whose move caused it (None: none did).
    task_instance_id: int | None
    from_status: str | None
    to_status: str
    recorded_at: datetime
    function_name: str | None
    role_name: str
    application_name: str | None
