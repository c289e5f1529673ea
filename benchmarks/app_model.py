"""The baseline: the state machine kept in application code, as the reference Jobmon model does it.

SQLAlchemy 2 models of task and task_instance mapped onto the jobmon tables,
with the reference model's transition() code: load the task instance, load
its task (lazily, as the relationship does), validate in Python against the
reference lists, update both, commit. This is the alternative the SQL
function is measured against, so it keeps its own copy of the transition
lists on purpose.

The task instance is read with SELECT ... FOR UPDATE: without a row lock two
concurrent reports both validate against the same old status and both
"succeed", so a correct application-side implementation has to lock too.
"""

from __future__ import annotations

import logging
from datetime import datetime

import psycopg
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.sql import func

logger = logging.getLogger(__name__)


class InvalidStateTransition(Exception):
    """The reference model's error: 'Cannot transition TaskInstance id: 42 from Q to D'."""

    def __init__(self, model: str, id: int, from_status: str, to_status: str) -> None:
        super().__init__(f"Cannot transition {model} id: {id} from {from_status} to {to_status}")


class Base(DeclarativeBase):
    # The jobmon tables' ids are bigint.
    type_annotation_map = {int: BigInteger}


class Task(Base):
    """jobmon.task with the upstream Task state machine."""

    __tablename__ = "task"
    __table_args__ = {"schema": "jobmon"}

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int]
    node_id: Mapped[int | None]
    task_args_hash: Mapped[str | None] = mapped_column(Text)
    array_id: Mapped[int | None]
    name: Mapped[str | None] = mapped_column(Text)
    command: Mapped[str | None] = mapped_column(Text)
    task_resources_id: Mapped[int | None]
    num_attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    resource_scales: Mapped[str | None] = mapped_column(Text)
    fallback_queues: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(1), default="G")
    status_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=func.now())

    task_instances: Mapped[list[TaskInstance]] = relationship(back_populates="task")

    valid_transitions = [
        ("G", "Q"), ("A", "Q"), ("Q", "I"), ("I", "O"), ("I", "E"), ("I", "R"), ("O", "R"),
        ("O", "E"), ("R", "D"), ("R", "E"), ("E", "A"), ("E", "Q"), ("E", "F"), ("E", "G"),
    ]  # fmt: skip

    def transition(self, new_state: str) -> None:
        """Move the task; a move to the status it already has does nothing."""
        if new_state == self.status:
            return
        if (self.status, new_state) not in self.__class__.valid_transitions:
            raise InvalidStateTransition("Task", self.id, self.status, new_state)
        logger.info("Transitioning task from %s to %s", self.status, new_state)
        if new_state == "Q":
            self.num_attempts = self.num_attempts + 1
        self.status = new_state
        self.status_date = func.now()

    def transition_after_task_instance_error(self, error_state: str) -> None:
        """E, then F when no attempts are left, else A after a resource error, else G."""
        self.transition("E")
        if self.num_attempts >= self.max_attempts:
            self.transition("F")
        elif error_state == "Z":
            self.transition("A")
        else:
            self.transition("G")


class TaskInstance(Base):
    """jobmon.task_instance with the reference TaskInstance.transition()."""

    __tablename__ = "task_instance"
    __table_args__ = {"schema": "jobmon"}

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_run_id: Mapped[int | None]
    array_id: Mapped[int | None]
    task_id: Mapped[int] = mapped_column(ForeignKey("jobmon.task.id"))
    distributor_id: Mapped[str | None] = mapped_column(String(20))
    task_resources_id: Mapped[int | None]
    array_batch_num: Mapped[int | None] = mapped_column(Integer)
    array_step_id: Mapped[int | None] = mapped_column(Integer)
    nodename: Mapped[str | None] = mapped_column(String(150))
    process_group_id: Mapped[int | None] = mapped_column(Integer)
    usage_str: Mapped[str | None] = mapped_column(String(250))
    wallclock: Mapped[str | None] = mapped_column(String(50))
    maxrss: Mapped[str | None] = mapped_column(String(50))
    maxpss: Mapped[str | None] = mapped_column(String(50))
    cpu: Mapped[str | None] = mapped_column(String(50))
    io: Mapped[str | None] = mapped_column(String(50))
    stdout: Mapped[str | None] = mapped_column(String(2048))
    stderr: Mapped[str | None] = mapped_column(String(2048))
    stdout_log: Mapped[str | None] = mapped_column(Text)
    stderr_log: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(1), default="Q")
    submitted_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_date: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=func.now())
    report_by_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    task: Mapped[Task] = relationship(back_populates="task_instances")

    valid_transitions = [
        ("Q", "I"), ("Q", "K"),
        ("I", "O"), ("I", "W"), ("I", "K"), ("I", "R"),
        ("O", "R"), ("O", "U"), ("O", "X"), ("O", "Z"), ("O", "K"), ("O", "F"),
        ("R", "T"), ("R", "E"), ("R", "U"), ("R", "Z"), ("R", "K"), ("R", "D"),
        ("T", "R"), ("T", "Z"), ("T", "U"), ("T", "F"),
        ("K", "F"), ("K", "D"),
        ("X", "E"),
    ]  # fmt: skip

    untimely_transitions = [
        ("R", "O"), ("E", "O"), ("E", "U"), ("E", "E"), ("U", "D"), ("U", "E"),
        ("U", "Z"), ("Z", "U"), ("D", "U"), ("K", "E"), ("K", "Z"), ("K", "U"),
    ]  # fmt: skip

    error_states = ["W", "E", "U", "Z"]

    def transition(self, new_state: str) -> None:
        """The reference model's transition(): ignore an untimely move, else validate, apply and cascade."""
        if self._is_timely_transition(new_state):
            self._validate_transition(new_state)
            logger.info("Transitioning task_instance from %s to %s", self.status, new_state)
            self.status = new_state
            self.status_date = func.now()
            if new_state == "Q":
                self.task.transition("Q")
            if new_state == "I":
                self.task.transition("I")
            if new_state == "O":
                self.task.transition("O")
            if new_state == "R":
                self.task.transition("R")
            elif new_state == "D":
                self.task.transition("D")
            elif new_state in self.error_states:
                self.task.transition_after_task_instance_error(new_state)
            elif new_state == "F":
                self.task.transition("E")
                self.task.transition("F")

    def _validate_transition(self, new_state: str) -> None:
        if (self.status, new_state) not in self.__class__.valid_transitions:
            raise InvalidStateTransition("TaskInstance", self.id, self.status, new_state)

    def _is_timely_transition(self, new_state: str) -> bool:
        if (self.status, new_state) in self.__class__.untimely_transitions:
            logger.warning(
                "%s. This is an untimely transition likely caused by a race condition"
                " between the distributor_service and the worker_node.",
                InvalidStateTransition("TaskInstance", self.id, self.status, new_state),
            )
            return False
        return True


def make_engine(dsn: str) -> Engine:
    """An engine whose connections are made exactly as the other implementations make theirs."""
    return create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn))


def transition_task_instance(engine: Engine, task_instance_id: int, new_status: str) -> str:
    """One request, one session, one commit. Returns 'applied' or 'untimely'; raises InvalidStateTransition."""
    with Session(engine) as session:
        task_instance = session.get(TaskInstance, task_instance_id, with_for_update=True)
        if task_instance is None:
            raise LookupError(f"TaskInstance id: {task_instance_id} not found")
        old_status = task_instance.status
        task_instance.transition(new_status)
        outcome = "applied" if task_instance.status != old_status else "untimely"
        session.commit()
        return outcome
