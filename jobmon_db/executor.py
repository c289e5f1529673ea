"""How every wrapper runs a jobmon function: each declared once, run sync or async by one executor.

A :class:`SqlFunction` names the function, its result class and its
arguments (name, SQL type, coercer from jobmon_db.arguments); its statement
calls the function with named arguments, so an argument added to or
reordered in the SQL signature never shifts the others. A statement's
psycopg error that has a jobmon_db exception is raised as that exception
(jobmon_db.errors.translate); rows come back as the result class, built
from the columns in order (a test holds every class's fields to its
function's columns). Whether a statement is prepared is the connection's
own setting (psycopg's prepare_threshold), so a pool behind PgBouncer that
turned prepared statements off keeps them off.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

import psycopg
from psycopg.rows import args_row

from .arguments import Coercer, passed
from .errors import translate

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


@contextmanager
def jobmon_errors(conn: psycopg.Connection[Any] | psycopg.AsyncConnection[Any]) -> Iterator[None]:
    """Raise psycopg errors that have a jobmon_db exception as that exception."""
    try:
        yield
    except psycopg.Error as error:
        # INERROR: the statement ran in the caller's transaction, which is now aborted as a whole.
        in_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        mapped = translate(error, in_transaction=in_transaction)
        if mapped is None:
            raise
        raise mapped from error


@dataclass(frozen=True)
class Argument:
    """One named argument of a SQL function: its SQL type and the coercer its Python value goes through."""

    name: str
    sql_type: str
    coerce: Coercer = passed


class SqlFunction(Generic[T]):
    """One jobmon function as the wrappers call it: name, result class (or scalar type), arguments.

    A wrapper is written once, as a function of the Python arguments that
    returns the SQL arguments by name, decorated with ``@CALL.rows`` (a list
    of rows) or ``@CALL.row`` (the one row); the decorator makes it the sync
    door, and ``.async_twin`` is the same wrapper for an AsyncConnection.
    """

    def __init__(self, name: str, row: Callable[..., T], *arguments: Argument) -> None:
        self.name = name
        self.result_type = row
        self.arguments = arguments
        named = ", ".join(f"{a.name} => %({a.name})s::{a.sql_type}" for a in arguments)
        self.sql = f"select * from jobmon.{name}({named})"

    def __repr__(self) -> str:
        return f"SqlFunction({self.sql!r})"

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values as sent: every declared argument through its coercer (an unknown or missing one: TypeError)."""
        declared = [a.name for a in self.arguments]
        if set(values) != set(declared):
            unknown, missing = sorted(set(values) - set(declared)), sorted(set(declared) - set(values))
            raise TypeError(f"jobmon.{self.name}(): unknown arguments {unknown}, missing {missing}")
        return {a.name: a.coerce(a.name, values[a.name]) for a in self.arguments}

    def rows(self, arguments: Callable[P, dict[str, Any]]) -> Door[P, list[T]]:
        """The wrapper whose result is every row."""
        return Door(self, arguments, list, f"list[{_name(self.result_type)}]")

    def row(self, arguments: Callable[P, dict[str, Any]]) -> Door[P, T]:
        """The wrapper whose result is the one row (the function always returns one)."""
        return Door(self, arguments, self._one, _name(self.result_type))

    def _one(self, rows: list[T]) -> T:
        if len(rows) != 1:  # row() is only for functions that always return one row
            raise RuntimeError(f"jobmon.{self.name}() returned {len(rows)} rows, not one")
        return rows[0]

    def all(self, conn: psycopg.Connection[Any], **values: Any) -> list[T]:
        """The function's rows, as result-class instances."""
        params = self.params(values)
        with jobmon_errors(conn), conn.cursor(row_factory=args_row(self.result_type)) as cur:
            cur.execute(self.sql, params)
            return cur.fetchall()

    async def all_async(self, conn: psycopg.AsyncConnection[Any], **values: Any) -> list[T]:
        """The async twin of all()."""
        params = self.params(values)
        with jobmon_errors(conn):
            async with conn.cursor(row_factory=args_row(self.result_type)) as cur:
                await cur.execute(self.sql, params)
                return await cur.fetchall()


def _name(row: Callable[..., Any]) -> str:
    return getattr(row, "__name__", repr(row))


class Door(Generic[P, R]):
    """A wrapper's sync door: a connection, then the arguments of the function it was made from.

    ``after(result, sql_arguments)`` may look at the result before it is
    returned (and return it); it runs in both doors.
    """

    __name__: str
    __qualname__: str

    def __init__(
        self,
        call: SqlFunction[Any],
        arguments: Callable[P, dict[str, Any]],
        result: Callable[[list[Any]], R],
        returns: str,
    ) -> None:
        functools.update_wrapper(self, arguments)
        self.call, self._arguments, self._result = call, arguments, result
        self.after: Callable[[R, dict[str, Any]], R] | None = None
        signature = inspect.signature(arguments)
        conn = inspect.Parameter("conn", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        parameters = [conn, *signature.parameters.values()]
        self.__signature__ = signature.replace(parameters=parameters, return_annotation=returns)
        self.async_twin: AsyncDoor[P, R] = AsyncDoor(self)

    def __repr__(self) -> str:
        return f"<wrapper {self.__module__}.{self.__qualname__} of jobmon.{self.call.name}()>"

    def _finish(self, rows: list[Any], values: dict[str, Any]) -> R:
        result = self._result(rows)
        return result if self.after is None else self.after(result, values)

    def __call__(self, conn: psycopg.Connection[Any], *args: P.args, **kwargs: P.kwargs) -> R:
        values = self._arguments(*args, **kwargs)
        return self._finish(self.call.all(conn, **values), values)


class AsyncDoor(Generic[P, R]):
    """The async twin of a Door: the same arguments, after a psycopg AsyncConnection."""

    __name__: str
    __qualname__: str

    def __init__(self, door: Door[P, R]) -> None:
        self._door = door
        self.__name__ = f"{door.__name__}_async"
        self.__qualname__ = f"{door.__qualname__}_async"
        self.__module__ = door.__module__
        self.__doc__ = f"The async twin of {door.__name__}(), for a psycopg AsyncConnection."
        self.__signature__ = door.__signature__

    def __repr__(self) -> str:
        return f"<wrapper {self.__module__}.{self.__qualname__} of jobmon.{self._door.call.name}()>"

    async def __call__(self, conn: psycopg.AsyncConnection[Any], *args: P.args, **kwargs: P.kwargs) -> R:
        door = self._door
        values = door._arguments(*args, **kwargs)
        return door._finish(await door.call.all_async(conn, **values), values)
