"""Status codes of the two state machines, mirrored from the lookup tables, and the outcomes of the calls.

The database owns the statuses and the transition rules; these enums only
name the codes (tests/test_schema.py proves they equal
jobmon.task_instance_status and jobmon.task_status). Outcome names every
outcome a function's row may carry (tests/test_results.py reads them from
the function bodies).
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any


class _StatusCode(str, Enum):
    """A one-character status code whose member name is its label."""

    @classmethod
    def parse(cls, text: str) -> _StatusCode:
        """Accept a code or a label, in any case: 'R', 'r', 'RUNNING', 'running'."""
        wanted = text.strip().upper()
        for member in cls:
            if wanted in (member.value, member.name):
                return member
        choices = ", ".join(f"{m.value} ({m.name})" for m in cls)
        raise ValueError(f"unknown {cls.__name__} {text!r}; choose one of: {choices}")

    def __str__(self) -> str:
        return str(self.value)


class TaskInstanceStatus(_StatusCode):
    """Status of a task instance (jobmon.task_instance_status)."""

    QUEUED = "Q"
    INSTANTIATED = "I"
    LAUNCHED = "O"
    NO_DISTRIBUTOR_ID = "W"
    RUNNING = "R"
    TRIAGING = "T"
    NO_HEARTBEAT = "X"
    RESOURCE_ERROR = "Z"
    UNKNOWN_ERROR = "U"
    ERROR = "E"
    DONE = "D"
    KILL_SELF = "K"
    ERROR_FATAL = "F"


class TaskStatus(_StatusCode):
    """Status of a task (jobmon.task_status)."""

    REGISTERING = "G"
    QUEUED = "Q"
    INSTANTIATING = "I"
    LAUNCHED = "O"
    RUNNING = "R"
    DONE = "D"
    ERROR_RECOVERABLE = "E"
    ADJUSTING_RESOURCES = "A"
    ERROR_FATAL = "F"


class Outcome(str, Enum):
    """What a call did to one row: the ``outcome`` column of every function that has one (docs/sql-api.md).

    A str, so ``result.outcome == "applied"`` holds; str() and f-strings give the value.
    """

    APPLIED = "applied"
    UNCHANGED = "unchanged"
    UNTIMELY = "untimely"
    STALE = "stale"
    IGNORED = "ignored"
    ID_RECORDED = "id_recorded"
    NOT_OVERDUE = "not_overdue"
    SKIPPED = "skipped"
    REFUSED = "refused"
    INVALID = "invalid"
    CONFLICT = "conflict"
    NOT_FOUND = "not_found"
    WRONG_ARRAY = "wrong_array"
    CREATED = "created"
    RESET = "reset"

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


_ENUM_BY_ANNOTATION: dict[str, type[Enum]] = {
    "TaskInstanceStatus": TaskInstanceStatus,
    "TaskStatus": TaskStatus,
    "Outcome": Outcome,
}


_STATUS_FIELDS: dict[type, tuple[tuple[str, type[Enum]], ...]] = {}


def _status_fields(cls: type) -> tuple[tuple[str, type[Enum]], ...]:
    """The fields of a dataclass annotated with one of the enums above (also `| None`), with their enum."""
    if cls not in _STATUS_FIELDS:
        _STATUS_FIELDS[cls] = tuple(
            (field.name, enum)
            for field in dataclasses.fields(cls)
            if (enum := _ENUM_BY_ANNOTATION.get(str(field.type).split(" |")[0])) is not None
        )
    return _STATUS_FIELDS[cls]


class StatusCodes:
    """Base of the result dataclasses: turns the codes a row hands over into the enums its fields are
    annotated with (TaskInstanceStatus, TaskStatus, Outcome, each also `| None`)."""

    def __post_init__(self) -> None:
        for name, enum in _status_fields(type(self)):
            code: Any = getattr(self, name)
            if code is not None:
                # The enum's own map (what enum(code) looks in) without the call's overhead; unknown codes still raise.
                object.__setattr__(self, name, enum._value2member_map_.get(code) or enum(code))
