"""The one set of argument checks every wrapper uses before it sends anything.

Each coercer takes the argument's name and its Python value and returns what
is sent, or raises InvalidArgument (with no SQLSTATE) for a value PostgreSQL
would misread or answer with a type error. None is always passed on: the SQL
function raises 22004 for it. Which values are usable (positive intervals,
known statuses, ...) is the database's rule, not these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from .errors import InvalidArgument
from .statuses import TaskInstanceStatus, TaskStatus

BIGINT_RANGE = range(-(2**63), 2**63)
INT_RANGE = range(-(2**31), 2**31)

#: A coercer: (argument name, Python value) -> the value to send.
Coercer = Callable[[str, Any], Any]


def short(value: Any) -> str:
    """repr() cut to 200 characters, so a huge argument is never echoed whole."""
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + f"... ({len(text)} characters)"


def passed(name: str, value: Any) -> Any:
    """Sent as it is (the SQL function checks it)."""
    return value


def _int(name: str, value: Any, bounds: range, kind: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{name} must be an int, not {type(value).__name__}: {short(value)}")
    if value not in bounds:
        raise InvalidArgument(f"{name} is out of range for {kind}: {short(value)}")
    return value


def bigint(name: str, value: Any) -> int | None:
    """An int in bigint's range."""
    return _int(name, value, BIGINT_RANGE, "bigint")


def integer(name: str, value: Any) -> int | None:
    """An int in integer's range."""
    return _int(name, value, INT_RANGE, "integer")


def text(name: str, value: Any) -> str | None:
    """A str without NUL characters (PostgreSQL's text cannot hold them)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a str, not {type(value).__name__}: {short(value)}")
    if "\x00" in value:
        raise InvalidArgument(f"{name} must not contain NUL characters: {short(value)}")
    return value


def interval(name: str, value: Any) -> timedelta | None:
    """A datetime.timedelta."""
    if value is not None and not isinstance(value, timedelta):
        raise InvalidArgument(f"{name} must be a datetime.timedelta, not {type(value).__name__}: {short(value)}")
    return value


def flag(name: str, value: Any) -> bool | None:
    """A bool (not an int: 1 is no answer to a yes-or-no question)."""
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"{name} must be a bool, not {type(value).__name__}: {short(value)}")
    return value


def _elements(name: str, values: Any, kind: str) -> list[Any] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be an iterable of {kind}, not {type(values).__name__}: {short(values)}")
    return list(values)


def array(element: Coercer, kind: str, label: str = "{name} element") -> Coercer:
    """Any iterable (not a str, bytes or mapping) of what `element` accepts, as a list; None elements pass.

    `label` names an element in messages: "{name} element" or "{name}[{i}]".
    """

    def coerce(name: str, values: Any) -> list[Any] | None:
        items = _elements(name, values, kind)
        if items is None:
            return None
        return [element(label.format(name=name, i=i), v) for i, v in enumerate(items)]

    return coerce


bigint_array = array(bigint, "ints")
integer_array = array(integer, "ints")
text_array = array(text, "str")
#: The element named by its index, as docs/errors.md shows for kill_task_instances().
bigint_array_indexed = array(bigint, "ints", "{name}[{i}]")


def task_instance_status(name: str, value: Any) -> str | None:
    """A task-instance status as its code: a TaskInstanceStatus or a str code (never a TaskStatus)."""
    if isinstance(value, TaskInstanceStatus):
        return value.value
    if isinstance(value, TaskStatus):  # a str too, and 'D', 'R', ... are task-instance codes as well
        raise InvalidArgument(f"{name} must be a task-instance status, not TaskStatus.{value.name}")
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(f"{name} must be a str code such as 'R', not {type(value).__name__}: {short(value)}")
    if value is not None and "\x00" in value:
        raise InvalidArgument(f"{name} must not contain NUL characters: {short(value)}")
    return value


def error_state(name: str, value: Any) -> str | None:
    """An error status: a TaskInstanceStatus or a str code (the SQL function says which codes it takes)."""
    if isinstance(value, TaskInstanceStatus):
        return value.value
    return text(name, value)
