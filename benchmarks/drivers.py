"""The implementations measured: each moves one task instance per call and commits it.

Every driver connects with psycopg.connect(dsn) and nothing else, so all of
them get the same session settings (synchronous_commit included), and every
call is one durable commit. transition() returns the state machine's answer:
'applied', 'untimely' or 'rejected' (an invalid transition, nothing changed);
anything else is raised.
"""

from __future__ import annotations

from typing import Any

import psycopg

from jobmon_db import InvalidStateTransition, transition_task_instance

from . import app_model


class _Autocommit:
    """A driver on one autocommit connection: each statement is its own transaction."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, autocommit=True)

    def close(self) -> None:
        self.conn.close()


class FnWrapper(_Autocommit):
    """The SQL function through the project's Python wrapper."""

    def transition(self, task_instance_id: int, new_status: str) -> str:
        try:
            return transition_task_instance(self.conn, task_instance_id, new_status).outcome
        except InvalidStateTransition:
            return "rejected"


class FnPrepared(_Autocommit):
    """The SQL function called with raw SQL as a prepared statement."""

    SQL = "select outcome from jobmon.transition_task_instance(%s, %s)"

    def transition(self, task_instance_id: int, new_status: str) -> str:
        try:
            row = self.conn.execute(self.SQL, (task_instance_id, new_status), prepare=True).fetchone()
        except psycopg.Error as error:
            if error.sqlstate in ("JM001", "JM002"):
                return "rejected"
            raise
        assert row is not None
        return str(row[0])


class App:
    """The reference model's logic in the application (SQLAlchemy ORM, one session and commit per call)."""

    def __init__(self, dsn: str) -> None:
        self.engine = app_model.make_engine(dsn)

    def transition(self, task_instance_id: int, new_status: str) -> str:
        try:
            return app_model.transition_task_instance(self.engine, task_instance_id, new_status)
        except app_model.InvalidStateTransition:
            return "rejected"

    def close(self) -> None:
        self.engine.dispose()


class CascadeFloor(_Autocommit):
    """One prepared statement updating the task instance and its task: no validation, no lookup, no lock order.

    The least any implementation of a cascading transition can cost: both rows
    written, in one round trip. The task gets the status the cascade would
    give it on the benchmark's paths (an error sends the task back to G).
    """

    SQL = (
        "with ti as (update jobmon.task_instance set status = %(status)s, status_date = now() where id = %(ti)s"
        " returning task_id)"
        " update jobmon.task t set status = %(task_status)s, status_date = now() from ti where t.id = ti.task_id"
    )
    TASK_STATUS = {"I": "I", "O": "O", "R": "R", "D": "D", "E": "G"}

    def transition(self, task_instance_id: int, new_status: str) -> str:
        self.conn.execute(self.SQL, self.params(task_instance_id, new_status), prepare=True)
        return "applied"

    def params(self, task_instance_id: int, new_status: str) -> dict[str, object]:
        """The statement's parameters: the task instance, its new status and the status its task gets."""
        return {"ti": task_instance_id, "status": new_status, "task_status": self.TASK_STATUS.get(new_status, "E")}


class HistoryFloor(CascadeFloor):
    """The cascade floor that also records the move: both rows written and their two history rows, one statement.

    Still no validation and no lock order: the least a cascading transition
    that keeps the transition history can cost.
    """

    SQL = (
        "with ti as (update jobmon.task_instance set status = %(status)s, status_date = now() where id = %(ti)s"
        " returning id, task_id),"
        " t as (update jobmon.task t set status = %(task_status)s, status_date = now() from ti"
        " where t.id = ti.task_id returning t.id)"
        " insert into jobmon.transition_history"
        " (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)"
        " select 'TaskInstance', ti.id, ti.task_id, ti.id, null, %(status)s, 'history_floor' from ti"
        " union all select 'Task', t.id, t.id, %(ti)s, null, %(task_status)s, 'history_floor' from t"
    )


class AppLean(_Autocommit):
    """A lean application-side state machine: lock both rows, check in Python, update both, record, commit.

    psycopg with prepared statements, no ORM: the task instance's task is read,
    the task locked, then the instance (the project's lock order); the move is
    checked against the reference model's lists (app_model) and written with
    the same history rows the function records.
    """

    ERROR_STATES = ("W", "E", "U", "Z")

    def transition(self, task_instance_id: int, new_status: str) -> str:
        conn = self.conn
        with conn.transaction():
            (task_id,) = _one(conn, "select task_id from jobmon.task_instance where id = %s", task_instance_id)
            task_status, attempts, max_attempts = _one(
                conn,
                "select status, num_attempts, max_attempts from jobmon.task where id = %s for no key update",
                task_id,
            )
            (status,) = _one(conn, "select status from jobmon.task_instance where id = %s for no key update",
                             task_instance_id)  # fmt: skip
            if (status, new_status) in app_model.TaskInstance.untimely_transitions:
                return "untimely"
            if (status, new_status) not in app_model.TaskInstance.valid_transitions:
                return "rejected"
            steps = self._task_steps(new_status, task_status, attempts, max_attempts)
            if steps is None:
                return "rejected"
            conn.execute(
                "update jobmon.task_instance set status = %s, status_date = now() where id = %s",
                (new_status, task_instance_id),
                prepare=True,
            )
            history = [("TaskInstance", task_instance_id, task_id, status, new_status)]
            if steps:
                conn.execute(
                    "update jobmon.task set status = %s, status_date = now() where id = %s",
                    (steps[-1][1], task_id),
                    prepare=True,
                )
                history += [("Task", task_id, task_id, old, new) for old, new in steps]
            with conn.cursor() as cur:
                cur.executemany(
                    "insert into jobmon.transition_history"
                    " (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)"
                    " values (%s, %s, %s, %s, %s, %s, 'app_lean')",
                    [(m, o, t, task_instance_id, f, s) for m, o, t, f, s in history],
                )
        return "applied"

    def _task_steps(self, new_status: str, task_status: str, attempts: int, max_attempts: int) -> list[Any] | None:
        """The task's moves the reference cascade makes, as (from, to) pairs; None when one is not allowed."""
        if new_status in self.ERROR_STATES:
            path = ["E", "F" if attempts >= max_attempts else "A" if new_status == "Z" else "G"]
        elif new_status == "F":
            path = ["E", "F"]
        else:
            path = [new_status] if new_status in ("Q", "I", "O", "R", "D") else []
        steps, current = [], task_status
        for target in path:
            if target == current:
                continue
            if (current, target) not in app_model.Task.valid_transitions:
                return None
            steps.append((current, target))
            current = target
        return steps


def _one(conn: psycopg.Connection[Any], query: str, *params: object) -> tuple[Any, ...]:
    row = conn.execute(query, params, prepare=True).fetchone()
    if row is None:
        raise LookupError(f"no row: {query} {params}")
    return tuple(row)


class LockedFloor(CascadeFloor):
    """The cascade floor in the project's lock order: the task locked first, then both rows written.

    One prepared statement, still no validation: what honouring the lock
    order costs on its own.
    """

    SQL = (
        "with t as (select t.id from jobmon.task t"
        " where t.id = (select ti.task_id from jobmon.task_instance ti where ti.id = %(ti)s) for no key update),"
        " ti as (update jobmon.task_instance ti set status = %(status)s, status_date = now()"
        " from t where ti.id = %(ti)s returning ti.task_id)"
        " update jobmon.task t set status = %(task_status)s, status_date = now() from ti where t.id = ti.task_id"
    )


# The least a PL/pgSQL function costs that is called as transition_task_instance() is: it runs as
# the schema's owner (SECURITY DEFINER) with a pinned search_path, reads the task instance, locks its
# task, writes both rows by id and returns the same result row. No rule, no check, no history.
PLPGSQL_FLOOR_SQL = """
create or replace function public.plpgsql_floor(task_instance_id bigint, new_status text, task_status text)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    ti_task_id bigint;
    ti_status  text;
    task_before text;
    attempts   integer;
    moved_at   timestamptz;
begin
    select ti.task_id, ti.status into ti_task_id, ti_status
      from jobmon.task_instance ti where ti.id = task_instance_id;
    select t.status, t.num_attempts into task_before, attempts
      from jobmon.task t where t.id = ti_task_id for no key update;
    update jobmon.task_instance ti set status = new_status, status_date = now()
     where ti.id = task_instance_id returning ti.status_date into moved_at;
    update jobmon.task t set status = plpgsql_floor.task_status, status_date = now() where t.id = ti_task_id;
    return (task_instance_id, ti_task_id, 'applied', ti_status, new_status, task_before, task_status, attempts,
            moved_at, false)::jobmon.task_instance_transition_result;
end;
$$;
do $do$
begin
    execute format('alter function public.plpgsql_floor(bigint, text, text) owner to %s',
                   (select n.nspowner::regrole from pg_catalog.pg_namespace n where n.nspname = 'jobmon'));
end;
$do$;
"""


def create_plpgsql_floor(dsn: str) -> None:
    """Create plpgsql_floor() in the benchmark's database, owned by the owner of the jobmon schema."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PLPGSQL_FLOOR_SQL)


class PlpgsqlFloor(CascadeFloor):
    """public.plpgsql_floor() (above) called as a prepared statement, as fn_prepared calls the function."""

    SQL = "select outcome from public.plpgsql_floor(%(ti)s, %(status)s, %(task_status)s)"

    def transition(self, task_instance_id: int, new_status: str) -> str:
        row = self.conn.execute(self.SQL, self.params(task_instance_id, new_status), prepare=True).fetchone()
        assert row is not None
        return str(row[0])


class Floor(_Autocommit):
    """One bare UPDATE of the status column, prepared: no validation, no cascade."""

    SQL = "update jobmon.task_instance set status = %s where id = %s"

    def transition(self, task_instance_id: int, new_status: str) -> str:
        self.conn.execute(self.SQL, (new_status, task_instance_id), prepare=True)
        return "applied"


DRIVERS = {
    "fn": FnWrapper,
    "fn_prepared": FnPrepared,
    "fn_no_history": FnPrepared,
    "app": App,
    "app_lean": AppLean,
    "history_floor": HistoryFloor,
    "cascade_floor": CascadeFloor,
    "locked_floor": LockedFloor,
    "plpgsql_floor": PlpgsqlFloor,
    "floor": Floor,
}
