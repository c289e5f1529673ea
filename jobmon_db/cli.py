"""The jobmon-db command line.

    jobmon-db [--dsn DSN] migrate | status | rollback [--all | --count N]
                          | transition TASK_INSTANCE_ID STATUS [--json]
                          | show TASK_INSTANCE_ID [--json] | demo
                          | history [TASK_INSTANCE_ID] [--json] [--enable | --disable | --state]
                          | graph [--format mermaid|dot|svg|png] [--machine M] [--counts] [--output FILE]

The connection comes from --dsn, then $JOBMON_DB_DSN, then libpq's defaults
(PGHOST, PGDATABASE, ...). Exit status: 0 done (an untimely request too),
1 refused by the state machine or the database, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg

from . import graph
from . import migrate as migrations
from .connection import DSN_ENV_VAR, resolve_dsn
from .errors import JobmonDBError
from .history import HistoryEntry, history_enabled, set_history, task_instance_history
from .inspect import TaskInstanceView, show_task_instance
from .statuses import TaskInstanceStatus
from .transitions import TransitionResult, transition_task_instance

PROG = "jobmon-db"


def _status_argument(text: str) -> TaskInstanceStatus:
    try:
        return TaskInstanceStatus.parse(text)  # type: ignore[return-value]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _task_instance_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a task instance id: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"task instance ids are positive: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    dsn_help = f"libpq connection string or URI (default: ${DSN_ENV_VAR}, then libpq's PG* defaults)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dsn", default=argparse.SUPPRESS, help=dsn_help)

    parser = argparse.ArgumentParser(
        prog=PROG, description="The Jobmon task-instance state machine in PostgreSQL.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('jobmon-db')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", parents=[common], help="install or upgrade the schema and functions")
    commands.add_parser("status", parents=[common], help="list migrations: applied or pending")
    rollback = commands.add_parser("rollback", parents=[common], help="roll back applied migrations")
    how_many = rollback.add_mutually_exclusive_group()
    how_many.add_argument("--count", "-n", type=int, default=1, help="how many of the latest (default 1)")
    how_many.add_argument("--all", action="store_true", help="all of them: drops the jobmon schema and its data")
    rollback.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    transition = commands.add_parser("transition", parents=[common], help="move a task instance to a status")
    transition.add_argument("task_instance_id", type=_task_instance_id, metavar="TASK_INSTANCE_ID")
    transition.add_argument("status", type=_status_argument, metavar="STATUS", help="code or label: R or RUNNING")
    transition.add_argument("--json", action="store_true", help="print the result as JSON")

    show = commands.add_parser("show", parents=[common], help="show a task instance, its task and their statuses")
    show.add_argument("task_instance_id", type=_task_instance_id, metavar="TASK_INSTANCE_ID")
    show.add_argument("--json", action="store_true", help="print as JSON")

    commands.add_parser("demo", parents=[common], help="create a sample task instance and move it through its life")
    _add_history_and_graph_parsers(commands, common)
    return parser


def _label(code: str) -> str:
    return f"{code} ({TaskInstanceStatus(code).name})"


def _print_result(result: TransitionResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(result), default=str))
        return
    task_move = f"{result.task_previous_status.value} -> {result.task_status.value}"
    if result.untimely:
        print(
            f"task_instance {result.task_instance_id}: {result.status.value} stays "
            f"(untimely request ignored); task {result.task_id}: {result.task_status.value}"
        )
    else:
        print(
            f"task_instance {result.task_instance_id}: {_label(result.previous_status)} -> {_label(result.status)};"
            f" task {result.task_id}: {task_move} (attempts {result.task_num_attempts})"
        )


def _print_view(view: TaskInstanceView, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(view), default=str))
        return
    print(f"task_instance {view.task_instance_id}: {view.status} ({view.status_label}) since {view.status_date}")
    print(
        f"task          {view.task_id}: {view.task_status} ({view.task_status_label}) since {view.task_status_date},"
        f" attempts {view.num_attempts} of {view.max_attempts}"
    )


def _demo(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('jobmon-db demo') returning id),
             t as (insert into jobmon.task (workflow_id, name, status, num_attempts, max_attempts)
                   select id, 'demo task', 'Q', 1, 2 from wf returning id)
        insert into jobmon.task_instance (task_id) select id from t returning id
        """
    ).fetchone()
    assert row is not None
    ti = row[0]
    print(f"created task instance {ti} (status Q) of a queued task")
    for status in ("I", "O", "R", "O", "D", "R"):
        print(f"$ {PROG} transition {ti} {status}")
        try:
            _print_result(transition_task_instance(conn, ti, status), as_json=False)
        except JobmonDBError as error:
            print(f"refused: {error.message}")
    _print_view(show_task_instance(conn, ti), as_json=False)


def _confirm_rollback(args: argparse.Namespace) -> bool:
    """Ask on a terminal; refuse when nobody can answer."""
    if not sys.stdin.isatty():
        return False
    what = "every migration (drops the jobmon schema and all its data)" if args.all else f"{args.count} migration(s)"
    return input(f"Roll back {what}? [y/N] ").strip().lower() in ("y", "yes")


# --- history and graph (issue 11) -------------------------------------------


def _add_history_and_graph_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    history = commands.add_parser(
        "history",
        parents=[common],
        help="print a task instance's moves and its task's, or turn the history on or off",
        description="Print the moves of a task instance and of its task in the order they were made"
        " (jobmon.transition_history), or turn the recording of the history on or off for this database.",
    )
    history.add_argument("task_instance_id", type=_task_instance_id, metavar="TASK_INSTANCE_ID", nargs="?")
    history.add_argument("--json", action="store_true", help="print as JSON")
    switch = history.add_mutually_exclusive_group()
    switch.add_argument("--enable", action="store_true", help="record the history in this database (owner)")
    switch.add_argument("--disable", action="store_true", help="stop recording the history (owner)")
    switch.add_argument("--state", action="store_true", help="say whether this database records the history")
    drawing = commands.add_parser(
        "graph",
        parents=[common],
        help="draw the state machines from the lookup tables",
        description="Draw the task-instance and task state machines from jobmon.task_instance_transition and"
        " jobmon.task_transition: valid moves solid, untimely dotted, task moves of other kinds dashed.",
    )
    drawing.add_argument("--format", choices=graph.FORMATS, default="mermaid", help="output (default mermaid)")
    drawing.add_argument("--machine", choices=(*graph.MACHINES, "both"), default="both", help="default both")
    drawing.add_argument("--counts", action="store_true", help="label each edge with how often the history took it")
    drawing.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")


def _print_history(entries: list[HistoryEntry]) -> None:
    for e in entries:
        what = f"task_instance {e.object_id}" if e.model == "TaskInstance" else f"task          {e.object_id}"
        move = f"{e.from_status} -> {e.to_status}" if e.from_status else f"created in {e.to_status}"
        cause = f" (by task_instance {e.task_instance_id})" if e.model == "Task" and e.task_instance_id else ""
        print(
            f"{e.id:>8}  {e.recorded_at.isoformat(sep=' ', timespec='microseconds')}  {what}: {move}{cause}"
            f"  [{e.function_name or '-'}, {e.role_name}, {e.application_name or '-'}]"
        )


def _show_with_history(conn: psycopg.Connection[Any], task_instance_id: int, as_json: bool) -> None:
    view = show_task_instance(conn, task_instance_id)
    entries = task_instance_history(conn, task_instance_id)
    if as_json:
        print(json.dumps({**asdict(view), "history": [asdict(e) for e in entries]}, default=str))
        return
    _print_view(view, as_json=False)
    print("history:" if entries else "history: none recorded")
    _print_history(entries)


def _run_history_or_graph(conn: psycopg.Connection[Any], args: argparse.Namespace) -> int:
    if args.command == "graph":
        names = graph.MACHINES if args.machine == "both" else (args.machine,)
        data = graph.draw(conn, args.format, names, counts=args.counts)
        if args.output is not None:
            args.output.write_bytes(data)
        elif args.format == "png":
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data.decode())
        return 0
    if args.enable or args.disable:
        enabled = set_history(conn, bool(args.enable))
        print(f"history {'enabled' if enabled else 'disabled'}")
        return 0
    if args.state:
        print(f"history {'enabled' if history_enabled(conn) else 'disabled'}")
        return 0
    if args.task_instance_id is None:
        print(f"{PROG} history: give a TASK_INSTANCE_ID, or --enable, --disable or --state", file=sys.stderr)
        return 2
    entries = task_instance_history(conn, args.task_instance_id)
    if args.json:
        print(json.dumps([asdict(e) for e in entries], default=str))
    else:
        _print_history(entries)
    return 0


def _run(args: argparse.Namespace) -> int:
    dsn = resolve_dsn(getattr(args, "dsn", None))
    if args.command == "migrate":
        applied = migrations.migrate(dsn)
        print(f"applied {', '.join(applied)}" if applied else "nothing to apply: the schema is up to date")
    elif args.command == "status":
        for state in migrations.status(dsn):
            print(f"{state.state:<8} {state.id}")
    elif args.command == "rollback":
        if not args.yes and not _confirm_rollback(args):
            print(f"{PROG}: rollback not confirmed; pass --yes to roll back without asking", file=sys.stderr)
            return 1
        rolled_back = migrations.rollback(dsn, None if args.all else args.count)
        print(f"rolled back {', '.join(rolled_back)}" if rolled_back else "nothing to roll back")
    else:
        with psycopg.connect(dsn, autocommit=True) as conn:
            if args.command == "transition":
                _print_result(transition_task_instance(conn, args.task_instance_id, args.status), args.json)
            elif args.command == "show":
                _show_with_history(conn, args.task_instance_id, args.json)
            elif args.command in ("history", "graph"):
                return _run_history_or_graph(conn, args)
            else:
                _demo(conn)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Warnings of the library (untimely requests) go to stderr, like the errors.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger = logging.getLogger("jobmon_db")
    logger.addHandler(handler)
    try:
        return _run(args)
    except JobmonDBError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except psycopg.Error as error:
        print(f"{PROG}: error: {str(error).strip()}", file=sys.stderr)
        return 1
    finally:
        logger.removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
