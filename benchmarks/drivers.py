"""The implementations measured: each moves one task instance per call and commits it.

Every driver connects with psycopg.connect(dsn) and nothing else, so all of
them get the same session settings (synchronous_commit included), and every
call is one durable commit. transition() returns the state machine's answer:
'applied', 'untimely' or 'rejected' (an invalid transition, nothing changed);
anything else is raised.
"""

from __future__ import annotations

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
# task, writes both rows by their row version and returns the same result row. No rule, no check.
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
    ti_ctid    tid;
    task_before text;
    attempts   integer;
    task_ctid  tid;
    moved_at   timestamptz;
begin
    select ti.task_id, ti.status, ti.ctid into ti_task_id, ti_status, ti_ctid
      from jobmon.task_instance ti where ti.id = task_instance_id;
    select t.status, t.num_attempts, t.ctid into task_before, attempts, task_ctid
      from jobmon.task t where t.id = ti_task_id for no key update;
    update jobmon.task_instance ti set status = new_status, status_date = now()
     where ti.ctid = ti_ctid returning ti.status_date into moved_at;
    update jobmon.task t set status = task_status, status_date = now() where t.ctid = task_ctid;
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
    "fn_history": FnWrapper,
    "fn_prepared": FnPrepared,
    "app": App,
    "cascade_floor": CascadeFloor,
    "locked_floor": LockedFloor,
    "plpgsql_floor": PlpgsqlFloor,
    "floor": Floor,
}
