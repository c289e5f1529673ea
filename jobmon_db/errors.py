"""Exceptions of jobmon_db, mapped from the SQLSTATEs the SQL functions raise.

| SQLSTATE     | exception                       |
|--------------|---------------------------------|
| JM001, JM002 | InvalidStateTransition          |
| JM003        | TaskInstanceNotFound            |
| JM010        | WorkflowRunNotFound             |
| JM011        | WorkflowNotFound                |
| JM012        | TaskResourcesNotFound           |
| JM013        | WorkflowMismatch                |
| JM030        | CursorFromAnotherCluster        |
| 22023        | UnknownStatus                   |
| 22004        | InvalidArgument                 |
| 22001        | InvalidArgument (text too long) |
| 54000        | LimitExceeded (too many ids)    |
| 55P03, 57014 | TransitionTimeout (retryable)   |
| 40P01, 40001 | RetryableError                  |

Every exception keeps the psycopg error it came from as ``__cause__`` and
its SQLSTATE, DETAIL and HINT as attributes.

A retryable error changed nothing, but only the failed call is undone by
itself in autocommit mode. When the call ran inside the caller's transaction,
PostgreSQL aborted that whole transaction: the caller's earlier statements
in it are lost when it rolls back, so the whole transaction must be retried,
not just the call. The message says which case it was.
"""

from __future__ import annotations

import re

import psycopg

_TRANSITION_MESSAGE = re.compile(r"Cannot transition (\w+) id: (\d+) from (\w+) to (\w+)")


class JobmonDBError(Exception):
    """Base class of every error jobmon_db raises."""

    #: True when the same call may succeed if made again (nothing was changed).
    retryable: bool = False

    def __init__(
        self, message: str, *, sqlstate: str | None = None, detail: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        parts = [self.message]
        if self.detail:
            parts.append(f"DETAIL: {self.detail}")
        if self.hint:
            parts.append(f"HINT: {self.hint}")
        return "\n".join(parts)


class InvalidStateTransition(JobmonDBError):
    """A transition the state machine does not allow; nothing was changed.

    ``model`` is 'TaskInstance' (JM001: the requested move itself) or 'Task'
    (JM002: a task move the cascade asked for).
    """

    def __init__(
        self, message: str, *, model: str, id: int, from_status: str, to_status: str, **fields: str | None
    ) -> None:
        super().__init__(message, **fields)
        self.model = model
        self.id = id
        self.from_status = from_status
        self.to_status = to_status


class TaskInstanceNotFound(JobmonDBError, LookupError):
    """No task instance has the given id (JM003)."""


class InvalidArgument(JobmonDBError, ValueError):
    """An argument the SQL function refuses, such as a NULL id (22004)."""


class UnknownStatus(InvalidArgument):
    """Not a status code (22023); the hint names the code to use."""


class WorkflowRunNotFound(JobmonDBError, LookupError):
    """No workflow run has the given id (JM010)."""


class WorkflowNotFound(JobmonDBError, LookupError):
    """No workflow has the given id (JM011)."""


class TaskResourcesNotFound(JobmonDBError, LookupError):
    """No task resources have the given id (JM012)."""


class WorkflowMismatch(InvalidArgument):
    """A workflow run given with rows of another workflow (JM013)."""


class LimitExceeded(InvalidArgument):
    """More ids in one call than a function accepts (54000); split the batch."""


class CursorFromAnotherCluster(JobmonDBError, ValueError):
    """A task_status_changes() cursor issued on another cluster, before a dump and restore (JM030): sync from 0."""


class RetryableError(JobmonDBError):
    """The call was cancelled and changed nothing; making it again may succeed."""

    retryable = True


class TransitionTimeout(RetryableError):
    """The caller's lock_timeout or statement_timeout cancelled the call (55P03, 57014)."""


_BY_SQLSTATE: dict[str, type[JobmonDBError]] = {
    "JM003": TaskInstanceNotFound,
    "JM010": WorkflowRunNotFound,
    "JM011": WorkflowNotFound,
    "JM012": TaskResourcesNotFound,
    "JM013": WorkflowMismatch,
    "54000": LimitExceeded,
    "JM030": CursorFromAnotherCluster,
    "22023": UnknownStatus,
    "22004": InvalidArgument,
    "22001": InvalidArgument,
    "55P03": TransitionTimeout,
    "57014": TransitionTimeout,
    "40P01": RetryableError,
    "40001": RetryableError,
}


def translate(error: psycopg.Error, *, in_transaction: bool = False) -> JobmonDBError | None:
    """The jobmon_db exception for a psycopg error, or None if it has none.

    `in_transaction`: the call ran inside a transaction of the caller (the
    connection is now in an aborted transaction), which changes what to retry.
    """
    sqlstate = error.sqlstate
    diag = error.diag
    message = diag.message_primary or str(error)
    fields: dict[str, str | None] = {"sqlstate": sqlstate, "detail": diag.message_detail, "hint": diag.message_hint}
    if sqlstate in ("JM001", "JM002"):
        match = _TRANSITION_MESSAGE.search(message)
        if match is not None:
            model, id_, from_status, to_status = match.groups()
            return InvalidStateTransition(
                message, model=model, id=int(id_), from_status=from_status, to_status=to_status, **fields
            )
    cls = _BY_SQLSTATE.get(sqlstate or "")
    if cls is None:
        return None
    if cls.retryable:
        message += f" ({_RETRY_REASONS.get(sqlstate or '', 'retryable')}; {_retry_advice(in_transaction)})"
    return cls(message, **fields)


_RETRY_REASONS = {
    "55P03": "retryable: another transaction held the row too long",
    "57014": "retryable: the call was cancelled before it finished",
    "40P01": "retryable: deadlock with another transaction",
    "40001": "retryable: a concurrent transaction interfered",
}


def _retry_advice(in_transaction: bool) -> str:
    if in_transaction:
        return (
            "your transaction is aborted: roll it back and retry the whole transaction,"
            " since its earlier statements are undone too"
        )
    return "nothing was changed"
