"""The jobmon-db command line.

    jobmon-db [--dsn DSN] migrate [--lock-timeout T] [--role-prefix P] [--adopt-roles] | status
                          | rollback [--all | --count N] [--yes] [--lock-timeout T]
                          | transition TASK_INSTANCE_ID STATUS [--json] [--lock-timeout T]
                          | show TASK_INSTANCE_ID [--json] | demo
                          | history [TASK_INSTANCE_ID] [--json] [--enable | --disable | --state]
                          | graph [--format mermaid|dot|svg|png] [--machine M] [--counts] [--output FILE]
                          | simulate [--tasks N] [--workers N] [--seed S] [fault rates] [--through-jobmon-server [URL]]
                          |          [--keep] [--json]
                          | jobmon-server [--host H] [--port P] [--prepare-only | --no-prepare] [--lock-timeout T]

The connection comes from --dsn, then $JOBMON_DB_DSN, then libpq's defaults
(PGHOST, PGDATABASE, ...). Exit status: 0 done (an untimely request too),
1 refused by the state machine or the database, 2 bad usage. With --json,
errors are printed as one JSON object on stdout too.

Each subcommand has one function that configures its parser (`_configure_NAME`,
which names its handler with set_defaults) and one handler (`_NAME`), which
takes the parsed arguments and the DSN and returns the exit status.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from . import (
    HistoryEntry,
    JobmonDBError,
    TaskBinding,
    TaskInstanceStatus,
    TransitionResult,
    __version__,
    bind_tasks,
    graph,
    history_enabled,
    queue_task_batch,
    set_history,
    task_instance_history,
    transition_task_instance,
)
from . import migrate as migrations
from .connection import DSN_ENV_VAR, resolve_dsn
from .errors import translate
from .inspect import TaskInstanceView, show_task_instance

PROG = "jobmon-db"
ROLE_PREFIX_ENV_VAR = "JOBMON_DB_ROLE_PREFIX"
MIGRATE_HINT = f"the jobmon schema is not installed in this database: run `{PROG} migrate` first"
LOCK_HELP = "wait at most this long for a lock held by others, then fail and change nothing (default: %(default)s)"

#: A subcommand's handler: the parsed arguments and the DSN in, the exit status out.
Handler = Callable[[argparse.Namespace, str], int]


# --- argument types ----------------------------------------------------------------------------------------


def _status_argument(text: str) -> TaskInstanceStatus:
    try:
        return TaskInstanceStatus.parse(text)  # type: ignore[return-value]
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _row_id(what: str) -> Any:
    """The parser of a bigint id of `what` ("task instance", "workflow"): its errors name it."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what} id: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{what} ids are positive: {text!r}")
        if value >= 2**63:
            raise argparse.ArgumentTypeError(f"{what} ids fit in a bigint (at most {2**63 - 1}): {text!r}")
        return value

    return parse


_task_instance_id = _row_id("task instance")
_workflow_id = _row_id("workflow")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"roll back at least 1 migration (or pass --all), not {text!r}")
    return value


def _lock_timeout(text: str) -> str:
    try:
        return migrations.check_lock_timeout(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _bounded(kind: type, low: float, high: float) -> Any:
    """The parser of a number of `kind` between `low` and `high` (inclusive)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a{'n integer' if kind is int else ' number'}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
        return value

    return parse


def _limit(kind: type, option: str) -> Any:
    """The parser of a numeric simulate option, bounded by jobmon_db.simulate.LIMITS."""
    from .simulate import LIMITS

    return _bounded(kind, *LIMITS[option])


def _status_table() -> str:
    return "statuses (code LABEL):\n" + "\n".join(f"  {s.value} {s.name}" for s in TaskInstanceStatus)


def _sentence(what: str) -> str:
    """`what` with its first letter in upper case (str.capitalize() would lower the rest)."""
    return f"{what[0].upper()}{what[1:]}"


# --- the parser --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    dsn_help = f"libpq connection string or URI (default: ${DSN_ENV_VAR}, then libpq's PG* defaults)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dsn", default=argparse.SUPPRESS, help=dsn_help)

    parser = argparse.ArgumentParser(
        prog=PROG, description="The Jobmon task-instance state machine in PostgreSQL.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for configure in (
        _configure_migrate,
        _configure_status,
        _configure_rollback,
        _configure_transition,
        _configure_show,
        _configure_demo,
        _configure_history,
        _configure_graph,
        _configure_simulate,
        _configure_jobmon_server,
    ):
        configure(commands, common)
    return parser


def _add_command(
    commands: Any, common: argparse.ArgumentParser, name: str, handler: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    """A subcommand's parser, which runs `handler`."""
    subparser: argparse.ArgumentParser = commands.add_parser(name, parents=[common], **kwargs)
    subparser.set_defaults(handler=handler)
    return subparser


def _connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True)


# --- migrate, status, rollback -----------------------------------------------------------------------------


def _configure_migrate(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "install or upgrade the schema and functions"
    migrate = _add_command(
        commands,
        common,
        "migrate",
        _migrate,
        help=what,
        description=f"{what.capitalize()}: apply pending migrations, then the sql/ files that changed or whose"
        " functions are missing, then secure the schema. Safe to re-run, also after a run that was killed.",
    )
    migrate.add_argument("--lock-timeout", type=_lock_timeout, default=migrations.DEFAULT_LOCK_TIMEOUT, help=LOCK_HELP)
    migrate.add_argument(
        "--role-prefix",
        default=os.environ.get(ROLE_PREFIX_ENV_VAR) or None,
        help=f"prefix of the role names the migrations create and grant to (default: ${ROLE_PREFIX_ENV_VAR}, unset)",
    )
    migrate.add_argument(
        "--adopt-roles",
        action="store_true",
        help="use roles of the deployment's names that already exist even when they have more than NOLOGIN"
        " (LOGIN, a password, SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, BYPASSRLS, memberships);"
        " without it migrate refuses them and changes nothing (see docs/roles.md)",
    )


def _migrate(args: argparse.Namespace, dsn: str) -> int:
    result = migrations.migrate(
        dsn, lock_timeout=args.lock_timeout, role_prefix=args.role_prefix, adopt_roles=args.adopt_roles
    )
    print(result.describe())
    return 0


def _configure_status(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "list migrations and sql/ files: applied, pending, changed or missing"
    _add_command(
        commands,
        common,
        "status",
        _status,
        help=what,
        description=f"{_sentence(what)} (a function of the file is gone). Reads only: a read-only role"
        " can run it. `migrate` applies everything that is not 'applied'.",
    )


def _status(args: argparse.Namespace, dsn: str) -> int:
    print(migrations.release(dsn).describe())
    for state in migrations.status(dsn):
        print(f"{state.state:<8} {state.id}")
    return 0


def _configure_rollback(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "roll back applied migrations"
    rollback = _add_command(
        commands,
        common,
        "rollback",
        _rollback,
        help=what,
        description=f"{what.capitalize()}, newest first. Says what data is dropped, then asks (unless --yes)."
        " Rolling back 0001_schema drops the whole jobmon schema with every row.",
    )
    how_many = rollback.add_mutually_exclusive_group()
    # default None, not 1: argparse takes `--count 1` for the default and would let it pass with --all.
    how_many.add_argument("--count", "-n", type=_count, default=None, help="how many of the latest (default 1)")
    how_many.add_argument("--all", action="store_true", help="all of them: drops the jobmon schema and its data")
    rollback.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    rollback.add_argument("--lock-timeout", type=_lock_timeout, default=migrations.DEFAULT_LOCK_TIMEOUT, help=LOCK_HELP)


def _rollback(args: argparse.Namespace, dsn: str) -> int:
    count = None if args.all else (args.count or 1)
    planned = _warn_about_rollback(dsn, count)
    if not planned:
        print("nothing to roll back")
        return 0
    if not args.yes and not _confirm_rollback(planned):
        print(f"{PROG}: rollback not confirmed; pass --yes to roll back without asking", file=sys.stderr)
        return 1
    rolled_back = migrations.rollback(dsn, count, lock_timeout=args.lock_timeout)
    print(f"rolled back {', '.join(rolled_back)}" if rolled_back else "nothing to roll back")
    return 0


def _warn_about_rollback(dsn: str, count: int | None) -> list[str]:
    """Print what the rollback would undo and the data it drops; returns the migration ids."""
    planned = migrations.planned_rollback(dsn, count)
    if planned:
        print(f"{PROG}: rollback would undo: {', '.join(planned)}", file=sys.stderr)
    for migration_id in planned:
        warning = migrations.data_loss_warning(migration_id)
        if warning is not None:
            print(f"{PROG}: WARNING: {warning}", file=sys.stderr)
    return planned


def _confirm_rollback(planned: list[str]) -> bool:
    """Ask on a terminal; refuse when nobody can answer."""
    if not sys.stdin.isatty():
        return False
    return input(f"Roll back {', '.join(planned)}? [y/N] ").strip().lower() in ("y", "yes")


# --- transition, show, demo --------------------------------------------------------------------------------


def _configure_transition(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "move a task instance to a status"
    transition = _add_command(
        commands,
        common,
        "transition",
        _transition,
        help=what,
        description=f"{what.capitalize()} with jobmon.transition_task_instance(), cascading to its task."
        " Exit 0 when applied or untimely (ignored), 1 when refused.",
        epilog=_status_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    transition.add_argument("task_instance_id", type=_task_instance_id, metavar="TASK_INSTANCE_ID")
    transition.add_argument("status", type=_status_argument, metavar="STATUS", help="code or label: R or RUNNING")
    transition.add_argument("--json", action="store_true", help="print the result, or the error, as JSON on stdout")
    transition.add_argument(
        "--lock-timeout",
        type=_lock_timeout,
        default=None,
        help="wait at most this long for a row locked by another transaction (default: the server's lock_timeout)",
    )


def _transition(args: argparse.Namespace, dsn: str) -> int:
    with _connect(dsn) as conn:
        if args.lock_timeout is not None:
            conn.execute("select set_config('lock_timeout', %s, false)", (args.lock_timeout,))
        _print_result(transition_task_instance(conn, args.task_instance_id, args.status), args.json)
    return 0


def _configure_show(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "show a task instance, its task and their statuses"
    show = _add_command(commands, common, "show", _show, help=what, description=f"{what.capitalize()}.")
    show.add_argument("task_instance_id", type=_task_instance_id, metavar="TASK_INSTANCE_ID")
    show.add_argument("--json", action="store_true", help="print as JSON (errors too, on stdout)")


def _show(args: argparse.Namespace, dsn: str) -> int:
    with _connect(dsn) as conn:
        view = show_task_instance(conn, args.task_instance_id)
        entries = task_instance_history(conn, args.task_instance_id)
    if args.json:
        print(json.dumps({**asdict(view), "history": [asdict(e) for e in entries]}, default=str))
        return 0
    _print_view(view)
    print("history:" if entries else "history: none recorded")
    _print_history(entries)
    return 0


def _configure_demo(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "create a sample task instance and move it through its life"
    _add_command(
        commands,
        common,
        "demo",
        _demo,
        help=what,
        description=f"{what.capitalize()}: a queued task with one task instance, moved with valid, untimely"
        " and refused requests. It adds rows (a workflow named 'jobmon-db demo') and leaves them.",
    )


def _demo(args: argparse.Namespace, dsn: str) -> int:
    with _connect(dsn) as conn:
        # The workflow, its run and its array have no status; the task is registered and moved by the functions.
        row = conn.execute(
            """
            with wf as (insert into jobmon.workflow (name) values ('jobmon-db demo') returning id),
                 run as (insert into jobmon.workflow_run (workflow_id) select id from wf returning id),
                 arr as (insert into jobmon.array (workflow_id, name) select id, 'demo' from wf returning id)
            select wf.id, arr.id, run.id from wf, arr, run
            """
        ).fetchone()
        assert row is not None
        workflow_id, array_id, workflow_run_id = row
        demo_task = TaskBinding(
            node_id=1, task_args_hash="demo", name="demo task", command=None, max_attempts=2, array_id=array_id
        )
        (bound,) = bind_tasks(conn, workflow_id, [demo_task])
        (queued,) = queue_task_batch(conn, [bound.task_id], array_id, None, workflow_run_id)
        assert queued.task_instance_id is not None, queued
        ti = queued.task_instance_id
        print(f"created task instance {ti} (status Q) of a queued task")
        for status in ("I", "O", "R", "O", "D", "R"):
            print(f"$ {PROG} transition {ti} {status}")
            try:
                _print_result(transition_task_instance(conn, ti, status), as_json=False)
            except JobmonDBError as error:
                print(f"refused: {error.message}")
        _print_view(show_task_instance(conn, ti))
    return 0


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


def _print_view(view: TaskInstanceView) -> None:
    print(f"task_instance {view.task_instance_id}: {view.status} ({view.status_label}) since {view.status_date}")
    print(
        f"task          {view.task_id}: {view.task_status} ({view.task_status_label}) since {view.task_status_date},"
        f" attempts {view.num_attempts} of {view.max_attempts}"
    )


# --- history and graph -------------------------------------------------------------------------------------


def _configure_history(commands: Any, common: argparse.ArgumentParser) -> None:
    history = _add_command(
        commands,
        common,
        "history",
        _history,
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


def _history(args: argparse.Namespace, dsn: str) -> int:
    with _connect(dsn) as conn:
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


def _print_history(entries: list[HistoryEntry]) -> None:
    for e in entries:
        what = f"task_instance {e.object_id}" if e.model == "TaskInstance" else f"task          {e.object_id}"
        move = f"{e.from_status} -> {e.to_status}" if e.from_status else f"created in {e.to_status}"
        cause = f" (by task_instance {e.task_instance_id})" if e.model == "Task" and e.task_instance_id else ""
        print(
            f"{e.id:>8}  {e.recorded_at.isoformat(sep=' ', timespec='microseconds')}  {what}: {move}{cause}"
            f"  [{e.function_name or '-'}, {e.role_name}, {e.application_name or '-'}]"
        )


def _configure_graph(commands: Any, common: argparse.ArgumentParser) -> None:
    drawing = _add_command(
        commands,
        common,
        "graph",
        _graph,
        help="draw the state machines from the lookup tables",
        description="Draw the task-instance and task state machines from jobmon.task_instance_transition and"
        " jobmon.task_transition: valid moves solid, untimely dotted, task moves of other kinds dashed.",
    )
    drawing.add_argument("--format", choices=graph.FORMATS, default="mermaid", help="output (default mermaid)")
    drawing.add_argument("--machine", choices=(*graph.MACHINES, "both"), default="both", help="default both")
    drawing.add_argument("--counts", action="store_true", help="label each edge with how often the history took it")
    drawing.add_argument("--output", "-o", type=Path, help="write to this file instead of standard output")


def _graph(args: argparse.Namespace, dsn: str) -> int:
    names = graph.MACHINES if args.machine == "both" else (args.machine,)
    with _connect(dsn) as conn:
        data = graph.draw(conn, args.format, names, counts=args.counts)
    if args.output is not None:
        args.output.write_bytes(data)
    elif args.format == "png":
        sys.stdout.buffer.write(data)
    else:
        sys.stdout.write(data.decode())
    return 0


# --- simulate ----------------------------------------------------------------------------------------------


def _configure_simulate(commands: Any, common: argparse.ArgumentParser) -> None:
    from .simulate import MAX_ARRAY_SIZE, START_SERVER, FaultRates, SimulationOptions
    from .simulate.faults import RATE_BOUNDS

    defaults, rates = SimulationOptions(), FaultRates()
    what = "run a simulated Jobmon workflow against the database and check the invariants"
    sim = _add_command(
        commands,
        common,
        "simulate",
        _simulate,
        help=what,
        description=f"{_sentence(what)}: a swarm, a distributor and --workers workers (threads, one"
        " connection each) drive --tasks array tasks through the public functions, time-compressed, with faults"
        " injected at the given rates (planned from --seed) and one cold resume half way. Prints a summary and the"
        " invariants; exit 1 when one fails. Its rows are removed afterwards unless --keep. See docs/simulate.md.",
    )
    sim.add_argument("--tasks", type=_limit(int, "tasks"), default=defaults.tasks, help="default %(default)s")
    sim.add_argument("--workers", type=_limit(int, "workers"), default=defaults.workers, help="default %(default)s")
    sim.add_argument("--seed", type=int, default=defaults.seed, help="the plan's seed (default %(default)s)")
    sim.add_argument(
        "--max-attempts",
        type=_limit(int, "max-attempts"),
        default=defaults.max_attempts,
        help="default %(default)s",
    )
    sim.add_argument(
        "--array-size",
        type=_limit(int, "array-size"),
        default=defaults.array_size,
        help=f"tasks per queue_task_batch call, at most {MAX_ARRAY_SIZE} (default %(default)s)",
    )
    sim.add_argument(
        "--max-running",
        type=_limit(int, "max-running"),
        default=defaults.max_running,
        help="tasks in flight (Q, I, O, R) at most, like Jobmon's max_concurrently_running (default: 4 per worker)",
    )
    sim.add_argument("--arrays", type=_limit(int, "arrays"), default=defaults.arrays, help="default %(default)s")
    for name, what in (
        ("app-error", "the worker reports an application error (E)"),
        ("resource-error", "the worker reports a resource error (Z)"),
        ("silent-death", "the job dies without a word, before or while running (triage must catch it)"),
        ("lost-id", "the cluster gives no job id (log_no_distributor_id)"),
        ("late-report", "the final report and the job id come late, after the deadline"),
        ("duplicate", "every report of the attempt is sent twice"),
    ):
        field = name.replace("-", "_")
        sim.add_argument(
            f"--{name}-rate",
            dest=field,
            type=_bounded(float, *RATE_BOUNDS),
            default=getattr(rates, field),
            help=f"chance per attempt that {what} (default %(default)s)",
        )
    sim.add_argument("--no-resume", action="store_true", help="no cold resume half way")
    sim.add_argument(
        "--heartbeat",
        type=_limit(float, "heartbeat"),
        default=defaults.heartbeat,
        help="seconds between heartbeats; every other delay is a multiple of it (default %(default)s)",
    )
    sim.add_argument(
        "--timeout",
        type=_limit(float, "timeout"),
        default=defaults.timeout,
        help="give up after this many seconds (default %(default)s)",
    )
    sim.add_argument(
        "--through-jobmon-server",
        nargs="?",
        const=START_SERVER,
        metavar="URL",
        help="make every call through upstream Jobmon's HTTP routes: on a `jobmon-db jobmon-server` started for the"
        " run on a free port (no URL; needs upstream Jobmon 3.6 installed), or on the one running at URL (on the"
        " same database; see docs/simulate.md for its settings)",
    )
    sim.add_argument("--keep", action="store_true", help="keep the workflow and its rows (see --check, --remove)")
    sim.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar (it is shown only on a terminal)")
    other = sim.add_mutually_exclusive_group()
    other.add_argument(
        "--check", type=_workflow_id, metavar="WORKFLOW_ID", help="only check the invariants of a kept run"
    )
    other.add_argument("--remove", type=_workflow_id, metavar="WORKFLOW_ID", help="only remove a kept run's rows")


def _simulate(args: argparse.Namespace, dsn: str) -> int:
    from .simulate import SimulationError

    try:
        if args.check is not None:
            return _check_simulated_workflow(args, dsn)
        if args.remove is not None:
            return _remove_simulated_workflow(args, dsn)
        return _run_simulation(args, dsn)
    except SimulationError as error:
        print(f"{PROG} simulate: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 1)  # SimulationInterrupted: 130 for SIGINT
    except KeyboardInterrupt:  # in --check or --remove: one transaction each, nothing half done
        print(f"{PROG} simulate: interrupted", file=sys.stderr)
        return 130


def _check_simulated_workflow(args: argparse.Namespace, dsn: str) -> int:
    from .simulate import check_workflow

    checks = check_workflow(dsn, args.check)
    if args.json:
        print(json.dumps({"workflow_id": args.check, "invariants": [asdict(c) for c in checks]}))
    for c in [] if args.json else checks:
        print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    return 0 if all(c.ok for c in checks) else 1


def _remove_simulated_workflow(args: argparse.Namespace, dsn: str) -> int:
    from .simulate import remove_workflow

    with _connect(dsn) as conn:
        print(remove_workflow(conn, args.remove))
    return 0


def _run_simulation(args: argparse.Namespace, dsn: str) -> int:
    from .simulate import FaultRates, SimulationOptions, simulate

    rates = FaultRates(
        app_error=args.app_error,
        resource_error=args.resource_error,
        silent_death=args.silent_death,
        lost_id=args.lost_id,
        late_report=args.late_report,
        duplicate=args.duplicate,
    )
    options = SimulationOptions(
        tasks=args.tasks,
        workers=args.workers,
        seed=args.seed,
        max_attempts=args.max_attempts,
        array_size=args.array_size,
        max_running=args.max_running,
        arrays=args.arrays,
        rates=rates,
        resume=not args.no_resume,
        heartbeat=args.heartbeat,
        timeout=args.timeout,
        keep=args.keep,
        server=args.through_jobmon_server,
    )
    problems = options.problems()
    if problems:
        for problem in problems:
            print(f"{PROG} simulate: error: {problem}", file=sys.stderr)
        return 2
    progress = sys.stderr if sys.stderr.isatty() and not args.no_progress else None
    logger = logging.getLogger("jobmon_db")
    level = logger.level
    logger.setLevel(logging.ERROR)  # one warning per untimely report otherwise; the summary counts them
    try:
        summary = simulate(dsn, options, progress=progress)
    finally:
        logger.setLevel(level)
    print(json.dumps(summary.to_json(), default=str) if args.json else summary.text())
    return 0 if summary.ok else 1


# --- jobmon-server -----------------------------------------------------------------------------------------


def _configure_jobmon_server(commands: Any, common: argparse.ArgumentParser) -> None:
    what = "run upstream Jobmon's server on this database, its state-machine routes answered by jobmon-db"
    server = _add_command(
        commands,
        common,
        "jobmon-server",
        _jobmon_server,
        help=what,
        description=f"{_sentence(what)} (needs `pip install 'jobmon-db[jobmon]'` on top of upstream"
        " Jobmon 3.6). It first creates or upgrades upstream's tables when the role may (the schema's owner, a"
        " superuser); a login role with only the application role just checks they are there. Upstream's"
        " JOBMON__... settings apply, except the database, which is --dsn's. See docs/jobmon-server.md.",
    )
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    server.add_argument("--port", type=_bounded(int, 0, 65535), default=8070, help="default %(default)s")
    preparing = server.add_mutually_exclusive_group()
    preparing.add_argument(
        "--prepare-only", action="store_true", help="create or upgrade upstream's tables and grants, then exit (owner)"
    )
    preparing.add_argument("--no-prepare", action="store_true", help="only check that upstream's tables are there")
    server.add_argument(
        "--lock-timeout",
        type=_lock_timeout,
        default="5s",
        help="a request waits at most this long for a row lock, then gets HTTP 423, which upstream's client"
        " retries (default %(default)s)",
    )


def _jobmon_server(args: argparse.Namespace, dsn: str) -> int:
    from .jobmon_server.serve import run

    return run(
        dsn,
        host=args.host,
        port=args.port,
        prepare_only=args.prepare_only,
        no_prepare=args.no_prepare,
        lock_timeout=args.lock_timeout,
    )


# --- errors and the entry point ----------------------------------------------------------------------------


def _resolve_dsn_or_exit(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The DSN, checked for syntax here so that a typo is a usage error (exit 2), not a database error."""
    given = getattr(args, "dsn", None)
    dsn = resolve_dsn(given)
    try:
        conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as error:
        source = "--dsn" if given else f"${DSN_ENV_VAR}"
        parser.error(f"{source} is not a libpq connection string or URI: {str(error).strip()}")
    return dsn


def _error_fields(error: Exception) -> dict[str, Any]:
    """sqlstate, message, detail, hint, retryable of an error, for --json and the hints below."""
    if isinstance(error, psycopg.Error):
        mapped = translate(error)
        if mapped is not None:
            error = mapped
        else:
            diag = error.diag
            message = diag.message_primary or str(error).strip()
            return {
                "sqlstate": error.sqlstate,
                "message": message,
                "detail": diag.message_detail,
                "hint": _hint(error.sqlstate, message) or diag.message_hint,
                "retryable": False,
            }
    assert isinstance(error, JobmonDBError)
    return {
        "sqlstate": error.sqlstate,
        "message": error.message,
        "detail": error.detail,
        "hint": error.hint,
        "retryable": error.retryable,
    }


def _hint(sqlstate: str | None, message: str) -> str | None:
    # 3F000: schema jobmon does not exist; 42883/42P01: a jobmon function or table does not.
    if sqlstate == "3F000" or (sqlstate in ("42883", "42P01") and "jobmon." in message):
        return MIGRATE_HINT
    return None


def _report(error: Exception, as_json: bool) -> None:
    fields = _error_fields(error)
    if as_json:
        print(json.dumps({"error": fields}))
        return
    lines = [f"{PROG}: error: {fields['message']}"]
    if fields["detail"]:
        lines.append(f"DETAIL: {fields['detail']}")
    if fields["hint"]:
        lines.append(f"HINT: {fields['hint']}")
    print("\n".join(lines), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    dsn = _resolve_dsn_or_exit(parser, args)
    # Warnings of the library (untimely requests) go to stderr, like the errors.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    logger = logging.getLogger("jobmon_db")
    logger.addHandler(handler)
    try:
        run: Handler = args.handler
        return run(args, dsn)
    except BrokenPipeError:  # the reader went away (`jobmon-db status | head -1`): stop quietly, as cat does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes at exit
        return 141  # 128 + SIGPIPE, what a shell reports for a tool killed by it
    except (JobmonDBError, psycopg.Error) as error:
        _report(error, as_json=getattr(args, "json", False))
        return 1
    finally:
        logger.removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
