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
        "with ti as (update jobmon.task_instance set status = %s, status_date = now() where id = %s returning task_id)"
        " update jobmon.task t set status = %s, status_date = now() from ti where t.id = ti.task_id"
    )
    TASK_STATUS = {"I": "I", "O": "O", "R": "R", "D": "D", "E": "G"}

    def transition(self, task_instance_id: int, new_status: str) -> str:
        task_status = self.TASK_STATUS.get(new_status, "E")
        self.conn.execute(self.SQL, (new_status, task_instance_id, task_status), prepare=True)
        return "applied"


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
    "floor": Floor,
}
