"""The two processes `python -m benchmarks.jobmon_server` starts for each variant.

    python -m benchmarks.jobmon_server_processes serve --dsn DSN --routes ours|upstream --port N
    python -m benchmarks.jobmon_server_processes workflow --tasks N --cluster C --result FILE

`serve` is upstream Jobmon's server (`jobmon_db.jobmon_server.create_app`)
with jobmon-db's routes or with upstream's own, plus what the benchmark
reads from it: a middleware that counts every request and its time by
route, a count of the SQL statements the process sends to PostgreSQL
(attributed to the request that sent them), and `GET /benchmark/counts`,
which answers both. `workflow` runs one workflow with upstream's client
against `$JOBMON__HTTP__SERVICE_URL` and writes its status and time to FILE.
Each is its own process, so neither variant inherits the other's imports,
caches or threads.
"""

from __future__ import annotations

import argparse
import contextvars
import functools
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

API_PREFIX = "/api/v3"
COUNTS_PATH = "/benchmark/counts"
CHAIN = 3  # the workflow's DAG part: a chain of tasks, each waiting for the one before
UNMATCHED = "(no route)"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class RouteCounts:
    requests: int = 0
    seconds: float = 0.0
    statements: int = 0


class Counts:
    """Requests, their time and their statements by "METHOD path" (the route's template); safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.routes: dict[str, RouteCounts] = {}
        self.statements_outside_requests = 0  # start-up: the engine's first connection, upstream's checks

    def add_request(self, route: str, seconds: float, statements: int) -> None:
        with self._lock:
            counts = self.routes.setdefault(route, RouteCounts())
            counts.requests += 1
            counts.seconds += seconds
            counts.statements += statements

    def add_statements_outside_requests(self, statements: int) -> None:
        with self._lock:
            self.statements_outside_requests += statements

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "routes": {route: counts.__dict__.copy() for route, counts in self.routes.items()},
                "statements_outside_requests": self.statements_outside_requests,
            }


# The statements of the request in progress. A list, not an int: FastAPI runs sync endpoints and dependencies
# in a thread with a copy of the context, so only a mutable object set by the middleware is shared with them.
_request_statements: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "request_statements", default=None
)


def count_statements(counts: Counts) -> None:
    """Count every statement psycopg sends in this process: SQLAlchemy's (upstream's routes) and jobmon_db's.

    Both go through `psycopg.Cursor.execute` (`Connection.execute` too);
    `executemany` sends one statement per parameter set. BEGIN, COMMIT and
    ROLLBACK are psycopg's own commands, not counted here (the database's
    commit counter has them); statements run inside a PL/pgSQL function are
    not statements the server sent.
    """

    def record(statements: int) -> None:
        current = _request_statements.get()
        if current is None:
            counts.add_statements_outside_requests(statements)
        else:
            current[0] += statements

    execute = psycopg.Cursor.execute
    executemany = psycopg.Cursor.executemany

    @functools.wraps(execute)
    def counted_execute(self: psycopg.Cursor[Any], *args: Any, **kwargs: Any) -> Any:
        record(1)
        return execute(self, *args, **kwargs)

    @functools.wraps(executemany)
    def counted_executemany(self: psycopg.Cursor[Any], query: Any, params_seq: Any, **kwargs: Any) -> Any:
        params = list(params_seq)
        record(len(params))
        return executemany(self, query, params, **kwargs)

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = counted_executemany  # type: ignore[method-assign]


class RequestCounter:
    """ASGI middleware: each HTTP request's route, time (until its response is sent) and statements."""

    def __init__(self, app: ASGIApp, counts: Counts) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == COUNTS_PATH:
            await self.app(scope, receive, send)
            return
        statements = [0]
        token = _request_statements.set(statements)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            seconds = time.perf_counter() - started
            _request_statements.reset(token)
            self.counts.add_request(route_name(scope), seconds, statements[0])


def route_name(scope: Scope) -> str:
    """ "METHOD path" of the route that answered, its path under /api/v3 as routes.ROUTES names it.

    The router stores the route it matched in the scope it was given (this
    one): upstream's routes as its v3 router holds them (no prefix), the
    bridge's with the prefix.
    """
    path = getattr(scope.get("route"), "path", None) or UNMATCHED
    return f"{scope['method']} {path.removeprefix(API_PREFIX)}"


# Upstream's statements in its own state-machine routes that PostgreSQL refuses, each rewritten into the
# statement PostgreSQL takes with the same rows, locks and answer (MySQL and SQLite take them as they are).
# - queue_task_batch numbers a new array batch with `select coalesce(max(array_batch_num) + 1, 1) ... for update
#   nowait`: no FOR UPDATE with an aggregate, so the rows are locked in a subquery and the maximum taken over it;
_BATCH_NUMBER = (
    re.compile(
        r"^SELECT (coalesce\(max\()task_instance\.(array_batch_num\) .*?) AS (\w+) \n"
        r"FROM task_instance \nWHERE (.*?) FOR UPDATE NOWAIT$",
        re.DOTALL,
    ),
    r"SELECT \1\2 AS \3 FROM (SELECT task_instance.array_batch_num FROM task_instance"
    r" WHERE \4 FOR UPDATE NOWAIT) AS locked",
)
# - task_status_updates compares the tasks' status_date with the string of its last answer's time: a timestamp;
_STATUS_SINCE = (
    re.compile(r"(task\.status_date >= %\(\w+\)s)::VARCHAR"),
    r"\1::TIMESTAMP WITH TIME ZONE",
)
# - the array's log_distributor_id looks its task instances up by the string keys of its JSON body: ids.
_IDS_IN = re.compile(r"task_instance\.id IN \((?:%\(\w+\)s::VARCHAR(?:, )?)+\)")


def _ids_as_ids(match: re.Match[str]) -> str:
    return match[0].replace("::VARCHAR", "::BIGINT")


def for_postgresql(statement: str) -> str:
    """`statement` as PostgreSQL takes it (unchanged unless it is one of those above)."""
    for pattern, replacement in (_BATCH_NUMBER, _STATUS_SINCE):
        statement = pattern.sub(replacement, statement)
    return _IDS_IN.sub(_ids_as_ids, statement)


def run_upstream_routes_on_postgresql() -> None:
    """Every SQLAlchemy statement of this process goes through `for_postgresql()` on its way to the database.

    jobmon-db's bridge answers these routes itself (the fixes 4, 6 and 7 of
    `jobmon_db.jobmon_server.postgresql` name them), so it fixes nothing in
    upstream's versions of them: this does, for the comparison only.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute", retval=True)
    def rewrite(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> Any:
        return for_postgresql(statement), parameters


def counted_app(dsn: str, *, ours: bool) -> Any:
    """Upstream's app on `dsn` (with jobmon-db's routes when `ours`), counting what the benchmark reports."""
    from jobmon_db.jobmon_server import create_app

    counts = Counts()
    count_statements(counts)
    if not ours:
        run_upstream_routes_on_postgresql()
    app = create_app(dsn, jobmon_db_routes=ours)
    app.add_middleware(RequestCounter, counts=counts)
    app.add_api_route(COUNTS_PATH, counts.as_json, methods=["GET"], include_in_schema=False)
    return app


def serve(dsn: str, *, ours: bool, port: int) -> int:
    import uvicorn

    from jobmon_db.jobmon_server import check

    with psycopg.connect(dsn, autocommit=True) as conn:
        check(conn)
    # No access log: both variants would pay for a line per request, which is not what is compared.
    uvicorn.run(counted_app(dsn, ours=ours), host="127.0.0.1", port=port, access_log=False, log_level="warning")
    return 0


def run_workflow(tasks: int, cluster: str, timeout: int) -> dict[str, Any]:
    """`tasks` independent tasks and a chain of CHAIN, each `true`, through upstream's client; its status and time."""
    from jobmon.client.tool import Tool

    tool = Tool(name=f"bench-{uuid.uuid4().hex[:8]}")
    tool.set_default_compute_resources_from_dict(cluster_name=cluster, compute_resources={"queue": "null.q"})
    template = tool.get_task_template(
        template_name="step", command_template="true {step}", node_args=["step"], task_args=[], op_args=[]
    )
    workflow = tool.create_workflow(name="bench", workflow_args=uuid.uuid4().hex)
    workflow.add_tasks(template.create_tasks(step=[f"independent-{i}" for i in range(tasks)]))
    previous: list[Any] = []
    for i in range(CHAIN):
        link = template.create_task(step=f"chain-{i}", upstream_tasks=previous)
        workflow.add_task(link)
        previous = [link]
    started = time.perf_counter()
    status = workflow.run(seconds_until_timeout=timeout)
    seconds = time.perf_counter() - started
    return {"workflow_id": workflow.workflow_id, "status": status, "seconds": seconds, "tasks": tasks + CHAIN}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jobmon_server_processes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("serve", help="upstream's server with counters")
    server.add_argument("--dsn", required=True)
    server.add_argument("--routes", choices=("ours", "upstream"), required=True)
    server.add_argument("--port", type=int, required=True)
    client = commands.add_parser("workflow", help="one workflow through upstream's client")
    client.add_argument("--tasks", type=int, required=True)
    client.add_argument("--cluster", required=True)
    client.add_argument("--timeout", type=int, default=600)
    client.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.dsn, ours=args.routes == "ours", port=args.port)
    result = run_workflow(args.tasks, args.cluster, args.timeout)
    args.result.write_text(json.dumps(result))
    return 0 if result["status"] == "D" else 1


if __name__ == "__main__":
    sys.exit(main())
