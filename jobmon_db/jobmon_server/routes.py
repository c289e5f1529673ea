"""The state-machine routes of upstream Jobmon's server, answered by jobmon-db's functions.

Each endpoint is a plain `def` (FastAPI runs it in its thread pool, so a call
waiting for a row lock never blocks the event loop), takes upstream's own
SQLAlchemy session (one transaction per request), calls the jobmon_db
wrapper on the session's psycopg connection, commits, and answers with the
body upstream's client reads. Errors of the wrappers become HTTP statuses
(`_answer_errors`): a retryable one (lock_timeout, deadlock, serialization)
423, which upstream's client retries; a bad argument 400; an unknown row 404.
A move the rules refuse is answered 200 with the current state, as upstream
answers a transition it cannot make.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import psycopg
from fastapi import Body, Depends
from jobmon.core.serializers import SerializeTaskInstanceBatch
from jobmon.server.web.config import get_jobmon_config
from jobmon.server.web.db.deps import get_db
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse

from .. import distributor, swarm, worker_node
from ..errors import InvalidArgument, InvalidStateTransition, JobmonDBError, RetryableError
from .bind import bind_tasks

F = TypeVar("F", bound=Callable[..., Any])
ROUTES: dict[tuple[str, str], Callable[..., Any]] = {}
LOCKED = 423  # upstream's client retries 423 and 5xx
SESSION = Depends(get_db, scope="function")  # closed (committed) before the response is sent
Json = Annotated[dict[str, Any], Body()]
MaybeJson = Annotated[dict[str, Any] | None, Body()]


def connection(db: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's transaction, for the jobmon_db wrappers."""
    conn: psycopg.Connection[Any] = db.connection().connection.driver_connection  # type: ignore[assignment]
    return conn


def _error(status_code: int, error: JobmonDBError) -> JSONResponse:
    body = {"type": type(error).__name__, "sqlstate": error.sqlstate, "exception_message": error.message}
    return JSONResponse(content={"error": body}, status_code=status_code)


def _answer_errors(endpoint: F) -> F:
    @functools.wraps(endpoint)
    def answered(*args: Any, db: Session, **kwargs: Any) -> Any:
        try:
            response = endpoint(*args, db=db, **kwargs)
            db.commit()
            return response
        except RetryableError as error:
            db.rollback()
            return _error(LOCKED, error)
        except InvalidArgument as error:
            db.rollback()
            return _error(400, error)
        except LookupError as error:
            db.rollback()
            assert isinstance(error, JobmonDBError)
            return _error(404, error)

    return answered  # type: ignore[return-value]


def route(method: str, path: str) -> Callable[[F], F]:
    def register(endpoint: F) -> F:
        ROUTES[(method, path)] = _answer_errors(endpoint)
        return endpoint

    return register


def _seconds(value: Any) -> timedelta:
    return timedelta(seconds=float(value))


def _refused_then_current(db: Session, task_instance_id: int) -> Any:
    """After a move the rules refused: the transaction is aborted; read the state in a new one."""
    db.rollback()
    return worker_node.worker_node_task_instance(connection(db), task_instance_id)


# --- worker node --------------------------------------------------------------


@route("POST", "/task_instance/{task_instance_id}/log_running")
def log_running(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    pgid = data.get("process_group_id")
    try:
        row: Any = worker_node.log_running(
            connection(db),
            task_instance_id,
            data.get("nodename"),
            int(pgid) if pgid is not None else None,  # the client sends it as a string
            _seconds(data["next_report_increment"]),
            distributor_id=None if data.get("distributor_id") is None else str(data["distributor_id"]),
        )
    except InvalidStateTransition:
        row = _refused_then_current(db, task_instance_id)
    return JSONResponse(content={"task_instance": list(row.to_wire())})


@route("POST", "/task_instance/{task_instance_id}/log_report_by")
def log_report_by(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    result = worker_node.log_heartbeat(connection(db), task_instance_id, _seconds(data["next_report_increment"]))
    return JSONResponse(content={"status": str(result.status)})


_USAGE = ("nodename", "stdout", "stderr", "stdout_log", "stderr_log")


def _usage(data: dict[str, Any]) -> dict[str, str | None]:
    return {name: None if data.get(name) is None else str(data[name]) for name in _USAGE}


@route("POST", "/task_instance/{task_instance_id}/log_done")
def log_done(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    try:
        status = str(worker_node.log_done(connection(db), task_instance_id, **_usage(data)).status)
    except InvalidStateTransition:
        status = str(_refused_then_current(db, task_instance_id).status)
    return JSONResponse(content={"status": status})


@route("POST", "/task_instance/{task_instance_id}/log_error_worker_node")
def log_error_worker_node(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    try:
        result = worker_node.log_error(
            connection(db), task_instance_id, data["error_state"], str(data["error_description"]), **_usage(data)
        )
        status = str(result.status)
    except InvalidStateTransition:
        status = str(_refused_then_current(db, task_instance_id).status)
    return JSONResponse(content={"status": status})


@route("GET", "/get_array_task_instance_id/{array_id}/{batch_num}/{step_id}")
def get_array_task_instance_id(array_id: int, batch_num: int, step_id: int, db: Session = SESSION) -> Any:
    row = worker_node.array_task_instance(connection(db), array_id, batch_num, step_id)
    return JSONResponse(content={"task_instance_id": row.task_instance_id})


# --- distributor --------------------------------------------------------------


@route("POST", "/task_instance/log_report_by/batch")
def log_report_by_batch(data: Json, db: Session = SESSION) -> Any:
    ids = [int(i) for i in data.get("task_instance_ids") or []]
    if ids:
        distributor.log_heartbeats(connection(db), ids, _seconds(data["next_report_increment"]))
    return JSONResponse(content={})


@route("POST", "/task_instance/instantiate_task_instances")
def instantiate_task_instances(data: Json, db: Session = SESSION) -> Any:
    conn = connection(db)
    rows = distributor.instantiate_task_instances(conn, [int(i) for i in data["task_instance_ids"]])
    instantiated = [r for r in rows if r.outcome in ("applied", "unchanged")]
    names = dict(
        conn.execute(
            "select id, name from jobmon.array where id = any(%s)", ([r.array_id for r in instantiated],)
        ).fetchall()
    )
    grouped: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for r in instantiated:
        grouped[(r.array_id, r.array_batch_num, r.task_resources_id)].append(r.task_instance_id)
    wire = [
        SerializeTaskInstanceBatch.to_wire(
            array_id=array_id,
            array_name=str(names.get(array_id)),
            array_batch_num=batch_num,
            task_resources_id=resources_id,
            task_instance_ids=ids,
        )
        for (array_id, batch_num, resources_id), ids in grouped.items()
    ]
    return JSONResponse(content={"task_instance_batches": wire})


@route("POST", "/task_instance/{task_instance_id}/log_distributor_id")
def log_distributor_id(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    try:
        result = distributor.log_distributor_id(
            connection(db), task_instance_id, str(data["distributor_id"]), _seconds(data["next_report_increment"])
        )
        message = f"{result.outcome}: {result.previous_status} -> {result.status}"
    except InvalidStateTransition as error:
        db.rollback()
        message = f"Unable to transition to launched: {error.message}"
    return JSONResponse(content={"message": message})


@route("POST", "/task_instance/{task_instance_id}/log_no_distributor_id")
def log_no_distributor_id(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    return _reported(
        db, lambda: distributor.log_no_distributor_id(connection(db), task_instance_id, str(data["no_id_err_msg"]))
    )


def _reported(db: Session, report: Callable[[], Any]) -> JSONResponse:
    """Upstream's answer to a report: no message when applied, else the outcome and status, or the refusal."""
    try:
        result = report()
        message = "" if result.applied else f"{result.outcome}: {result.status}"
    except InvalidStateTransition as error:
        db.rollback()
        message = error.message
    return JSONResponse(content={"message": message})


def _error_message(data: dict[str, Any]) -> str:
    return str(data.get("error_message") or "")


@route("POST", "/task_instance/{task_instance_id}/log_known_error")
def log_known_error(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    nodename = None if data.get("nodename") is None else str(data["nodename"])
    return _reported(
        db,
        lambda: worker_node.log_error(
            connection(db), task_instance_id, data["error_state"], _error_message(data), nodename=nodename
        ),
    )


@route("POST", "/task_instance/{task_instance_id}/log_unknown_error")
def log_unknown_error(task_instance_id: int, data: Json, db: Session = SESSION) -> Any:
    return _reported(db, lambda: distributor.log_unknown_error(connection(db), task_instance_id, _error_message(data)))


@route("POST", "/array/{array_id}/transition_to_launched")
def transition_to_launched(array_id: int, data: Json, db: Session = SESSION) -> Any:
    distributor.launch_array_batch(
        connection(db), array_id, int(data["batch_number"]), _seconds(data["next_report_increment"])
    )
    return JSONResponse(content={})


@route("POST", "/array/{array_id}/log_distributor_id")
def log_array_distributor_id(array_id: int, data: Json, db: Session = SESSION) -> Any:
    conn = connection(db)
    by_id = {int(k): str(v) for k, v in data.items() if str(k).isdigit()}  # JSON object keys are strings
    steps: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for ti_id, batch_num, step_id in conn.execute(
        "select id, array_batch_num, array_step_id from jobmon.task_instance where id = any(%s) and array_id = %s"
        " order by id",
        (list(by_id), array_id),
    ).fetchall():
        steps[batch_num].append((step_id, by_id[ti_id]))
    for batch_num, pairs in sorted(steps.items()):
        distributor.log_array_distributor_ids(conn, array_id, batch_num, pairs)
    return JSONResponse(content={"success": True})


@route("POST", "/array/{array_id}/transition_to_killed")
def transition_to_killed(array_id: int, data: Json, db: Session = SESSION) -> Any:
    conn = connection(db)
    ids = [
        r[0]
        for r in conn.execute(
            "select id from jobmon.task_instance where array_id = %s and array_batch_num = %s and status = 'K'",
            (array_id, int(data["batch_number"])),
        ).fetchall()
    ]
    if ids:
        distributor.kill_task_instances(conn, ids)
    return JSONResponse(content={})


# --- swarm --------------------------------------------------------------------


@route("POST", "/array/{array_id}/queue_task_batch")
def queue_task_batch(array_id: int, data: Json, db: Session = SESSION) -> Any:
    rows = swarm.queue_task_batch(
        connection(db),
        [int(i) for i in data["task_ids"]],
        array_id,
        task_resources_id=int(data["task_resources_id"]),
        workflow_run_id=int(data["workflow_run_id"]),
    )
    by_status: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        if r.task_status is not None:
            by_status[str(r.task_status)].append(r.task_id)
    return JSONResponse(content={"tasks_by_status": by_status})


@route("POST", "/workflow_run/{workflow_run_id}/set_status_for_triaging")
def set_status_for_triaging(workflow_run_id: int, db: Session = SESSION) -> Any:
    config = get_jobmon_config()
    interval = float(config.get("heartbeat", "task_instance_interval"))
    buffer = float(config.get("heartbeat", "report_by_buffer"))
    # upstream leaves a launched instance alone for 2 x buffer x interval after its last move
    swarm.triage_overdue(connection(db), workflow_run_id, timedelta(seconds=2 * buffer * interval))
    return JSONResponse(content={})


def _run_status(db: Session, workflow_run_id: int) -> str | None:
    row = connection(db).execute("select status from jobmon.workflow_run where id = %s", (workflow_run_id,)).fetchone()
    return None if row is None else str(row[0])


@route("PUT", "/workflow_run/{workflow_run_id}/terminate_task_instances")
def terminate_task_instances(workflow_run_id: int, db: Session = SESSION) -> Any:
    hot = _run_status(db, workflow_run_id) == "H"  # HOT_RESUME: running instances go on
    rows = swarm.terminate_workflow_run(connection(db), workflow_run_id, hot=hot)
    terminated = sum(1 for r in rows if r.applied)
    return JSONResponse(content={"workflow_run_id": workflow_run_id, "num_terminated": terminated})


@route("POST", "/workflow/{workflow_id}/task_status_updates")
def task_status_updates(workflow_id: int, data: MaybeJson = None, db: Session = SESSION) -> Any:
    # The client echoes the `time` of the previous answer as last_sync: here it is the feed's cursor.
    last = str((data or {}).get("last_sync") or "")
    after = int(last) if last.isdigit() else 0
    changes = swarm.task_status_changes(connection(db), workflow_id, after)
    by_status: dict[str, list[int]] = defaultdict(list)
    for change in changes:
        by_status[str(change.status)].append(change.task_id)
    return JSONResponse(content={"tasks_by_status": by_status, "time": str(swarm.next_cursor(changes, after))})


@route("POST", "/task/{workflow_id}/set_resume_state")
def set_resume_state(workflow_id: int, data: Json, db: Session = SESSION) -> Any:
    from jobmon.server.web.models.workflow import Workflow
    from sqlalchemy import select

    workflow = db.execute(select(Workflow).where(Workflow.id == workflow_id)).scalar()
    if workflow is not None and not workflow.is_resumable:
        message = f"Workflow {workflow_id} is not resumable. Please set the appropriate resume state."
        return JSONResponse(content={"err_msg": message})
    conn = connection(db)
    swarm.reset_tasks_for_resume(conn, workflow_id, bool(data["reset_if_running"]))
    # The old runs' instances told to die before they reached the cluster could not finish while their
    # tasks were current (K -> F refused with a task in Q); they are stale attempts now: finish them.
    for run_id, status in conn.execute(
        "select distinct r.id, r.status from jobmon.workflow_run r join jobmon.task_instance ti"
        " on ti.workflow_run_id = r.id where r.workflow_id = %s and ti.status = 'K' order by r.id",
        (workflow_id,),
    ).fetchall():
        swarm.terminate_workflow_run(conn, run_id, hot=status == "H")
    return JSONResponse(content={})


@route("POST", "/workflow/{workflow_id}/force_cleanup_kill_self")
def force_cleanup_kill_self(workflow_id: int, db: Session = SESSION) -> Any:
    conn = connection(db)
    ids = [
        r[0]
        for r in conn.execute(
            "select ti.id from jobmon.task_instance ti join jobmon.workflow_run wr on wr.id = ti.workflow_run_id"
            " where wr.workflow_id = %s and ti.status = 'K'",
            (workflow_id,),
        ).fetchall()
    ]
    cleaned = sum(1 for r in distributor.kill_task_instances(conn, ids) if r.applied) if ids else 0
    # Upstream's own bookkeeping: runs waiting for a resume (C, H) end T, the workflow H.
    finalized = conn.execute(
        "update jobmon.workflow_run set status = 'T', status_date = now()"
        " where workflow_id = %s and status in ('C', 'H')",
        (workflow_id,),
    ).rowcount
    if finalized:
        conn.execute("update jobmon.workflow set status = 'H', status_date = now() where id = %s", (workflow_id,))
    return JSONResponse(content={"num_cleaned_up": cleaned, "num_workflow_runs_finalized": finalized})


@route("PUT", "/task/bind_tasks_no_args")
def bind_tasks_no_args(data: Json, db: Session = SESSION) -> Any:
    workflow_id = int(data["workflow_id"])
    answer = bind_tasks(connection(db), workflow_id, data["tasks"])
    if data.get("mark_created"):
        # the last chunk: the workflow is bound (upstream: resumable from now on)
        connection(db).execute(
            "update jobmon.workflow set created_date = now() where id = %s and created_date is null", (workflow_id,)
        )
    return JSONResponse(content={"tasks": answer})


# --- the workflow reaper ------------------------------------------------------

# Upstream's reaper: what a dead run (its heartbeat overdue) becomes, and its workflow with it.
_REAPED = {"L": ("A", "A"), "C": ("T", "H"), "H": ("T", "H"), "R": ("E", "F")}


@route("PUT", "/workflow_run/{workflow_run_id}/reap")
def reap(workflow_run_id: int, db: Session = SESSION) -> Any:
    conn = connection(db)
    row = conn.execute(
        "select workflow_id, status from jobmon.workflow_run where id = %s and heartbeat_date <= now() for update",
        (workflow_run_id,),
    ).fetchone()
    if row is None:
        return JSONResponse(content={"status": ""})
    workflow_id, status = row
    if status not in _REAPED:
        return JSONResponse(content={"status": status})
    if status in ("C", "H"):
        # A resume whose old swarm died before terminating its instances: terminate them here.
        swarm.terminate_workflow_run(conn, workflow_run_id, hot=status == "H")
        # Instances told to die that reached the cluster are finished by their workers (or the distributor's
        # kill); one that never did stays K until the resume resets its task (set_resume_state finishes it).
        (left,) = conn.execute(
            "select count(*) from jobmon.task_instance where workflow_run_id = %s and status = 'K'"
            " and (submitted_date is not null or distributor_id is not null or nodename is not null)",
            (workflow_run_id,),
        ).fetchone() or (0,)
        if left:  # the run waits in its resume status, as upstream's reaper makes it
            return JSONResponse(content={"status": status, "kill_self_remaining": left})
    run_status, workflow_status = _REAPED[status]
    conn.execute(
        "update jobmon.workflow_run set status = %s, status_date = now() where id = %s", (run_status, workflow_run_id)
    )
    conn.execute(
        "update jobmon.workflow set status = %s, status_date = now() where id = %s", (workflow_status, workflow_id)
    )
    return JSONResponse(content={"status": run_status})
