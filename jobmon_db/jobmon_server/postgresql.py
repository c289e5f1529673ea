"""PostgreSQL support for upstream Jobmon's server, applied at start-up.

Upstream's server knows MySQL and SQLite only. Nothing here edits its
installed files: each fix replaces a name in one of its modules, or the type
of one of its model columns, in this process. `apply()` makes them all and
may be called more than once.

1. `now() +/- seconds` (`_compat.add_time`, `utils.time_sql.add_time_expr`,
   ...): PostgreSQL's `now() + interval`.
2. `INSERT IGNORE` / `INSERT OR IGNORE` of nodes, node args and edges: the
   same inserts with `ON CONFLICT DO NOTHING`.
3. The upserts of task args, task attributes and workflow attributes:
   upstream builds them with SQLite's `insert()`, whose `on_conflict_do_*`
   methods PostgreSQL's `insert()` has with the same arguments.
4. `queue_task_batch`'s `max() ... FOR UPDATE`: the route is answered by
   jobmon.queue_task_batch() (routes.py).
5. Hashes sent as integers into VARCHAR columns: the hash columns turn what
   they are given into text.
6. `task_status_updates` comparing a date with a string: the route is
   answered by jobmon.task_status_changes() (routes.py).
7. The array's distributor ids keyed by strings: the route is answered by
   jobmon.log_array_distributor_ids() (routes.py).
8. The reaper's `SET status="D"` (an identifier in PostgreSQL): the route is
   answered by routes.py.
Also `task_resources.requested_resources`, text upstream and jsonb here: the
column is written as jsonb and read as text.

Upstream's routes choose their statements by the dialect's name; the bridge
gives them `STATEMENT_DIALECT` (SQLite's `ON CONFLICT` forms, which PostgreSQL
shares, built by the fixes above with PostgreSQL's constructs).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import String, Text, TypeDecorator, cast, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

STATEMENT_DIALECT = "sqlite"
_APPLIED: list[bool] = []


def _plus_seconds(seconds: float, dialect: str | None = None) -> Any:
    return func.now() + timedelta(seconds=float(seconds))


def _minus_seconds(seconds: float, dialect: str | None = None) -> Any:
    return func.now() - timedelta(seconds=float(seconds))


class _InsertIgnoringDuplicates(postgresql.Insert):
    """PostgreSQL's insert, reading SQLite's `prefix_with("OR IGNORE")` as ON CONFLICT DO NOTHING."""

    inherit_cache = True

    def prefix_with(self, *prefixes: Any, dialect: str = "*") -> Any:
        if [str(p).upper() for p in prefixes] in (["OR IGNORE"], ["IGNORE"]):
            return self.on_conflict_do_nothing()
        return super().prefix_with(*prefixes, dialect=dialect)


class HashText(TypeDecorator[str]):
    """A VARCHAR hash column that accepts the integers upstream's client sends."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self  # `hash == 123` binds '123' as text, not 123 as an integer


def _accept_integers(column: Any) -> None:
    """Make a VARCHAR hash column take integers, in the statements it is written by and compared in."""
    original = column.type
    if isinstance(original, HashText):
        return
    text = HashText(original.length)
    column.type = text
    # The ORM's copies of the column, made when the models were mapped (before this when upstream's migrations
    # ran first), keep the original type object: it hands its comparisons to the text type too.
    original.__class__ = type(
        f"Hash{type(original).__name__}", (type(original),), {"coerce_compared_value": lambda self, op, value: text}
    )


class JsonbAsText(TypeDecorator[str]):
    """jobmon.task_resources.requested_resources (jsonb) as the JSON text upstream writes and reads."""

    impl = Text
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return cast(bindvalue, postgresql.JSONB)

    def column_expression(self, column: Any) -> ColumnElement[Any]:
        return cast(column, Text)


def _replace_in_modules(original: Any, replacement: Any) -> None:
    """Every module of upstream's server that holds `original` under some name gets `replacement`."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("jobmon.server") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if value is original:
                setattr(module, attribute, replacement)


def apply() -> None:
    """Make every fix (idempotent)."""
    if _APPLIED:
        return
    import jobmon.server.web.routes.v3  # noqa: F401  (imports every route module)
    import jobmon.server.web.routes.v3.fsm.dag as dag_routes
    import jobmon.server.web.routes.v3.fsm.node as node_routes
    import jobmon.server.web.routes.v3.fsm.task as task_routes
    import jobmon.server.web.routes.v3.fsm.workflow as workflow_routes
    from jobmon.server.web import _compat
    from jobmon.server.web.models import load_model
    from jobmon.server.web.models.task_resources import TaskResources
    from jobmon.server.web.utils import time_sql

    load_model()
    # 1. time arithmetic
    for module, plus, minus in (
        (_compat, "add_time", "subtract_time"),
        (time_sql, "add_time_expr", "subtract_time_expr"),
    ):
        _replace_in_modules(getattr(module, plus), _plus_seconds)
        _replace_in_modules(getattr(module, minus), _minus_seconds)
    # 2. INSERT IGNORE / OR IGNORE
    for module in (node_routes, dag_routes):
        module.insert = _InsertIgnoringDuplicates  # type: ignore[attr-defined, unused-ignore]
    # 3. the upserts
    for module in (task_routes, workflow_routes):
        module.sqlite_insert = postgresql.insert  # type: ignore[attr-defined, unused-ignore]
    # 5. integer hashes
    from jobmon.server.web.models import Base

    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.name.endswith("hash") and isinstance(column.type, String):
                _accept_integers(column)
    # requested_resources
    TaskResources.__table__.c.requested_resources.type = JsonbAsText()
    _APPLIED.append(True)
