"""Model-based test: random sequences of transitions through the real database, checked against the spec model.

A Hypothesis RuleBasedStateMachine keeps its own copy of every task instance
and task it made (tests/spec_model.py decides what each request should do),
sends each request through jobmon_db.transition_task_instance(), and compares
the outcome, the returned row and the rows in the database after every step.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from jobmon_db import InvalidStateTransition, transition_task_instance
from tests import spec_model
from tests.factories import make_task_instance

TI_CODES = st.sampled_from(sorted(spec_model.TASK_INSTANCE_STATUSES))
TASK_CODES = st.sampled_from(sorted(spec_model.TASK_STATUSES))
ATTEMPTS = st.integers(min_value=0, max_value=3)
#: (task instance status, task status) pairs a run of Jobmon passes through.
IN_FLIGHT = [("I", "I"), ("O", "O"), ("R", "R"), ("T", "R"), ("X", "O"), ("K", "R"), ("K", "G")]


class TransitionMachine(RuleBasedStateMachine):
    """Task instances and tasks in the database and in the model, moved by random requests."""

    conn: psycopg.Connection[Any]  # set by the test before the run
    outcomes: Counter[str]  # expected outcomes over the whole run, set by the test

    instances = Bundle("instances")

    def __init__(self) -> None:
        super().__init__()
        self.ti_status: dict[int, str] = {}
        self.ti_task: dict[int, int] = {}
        self.task: dict[int, dict[str, Any]] = {}  # status, num_attempts, max_attempts

    # -- making rows ---------------------------------------------------------

    def _track(self, ti: int, task: int, status: str) -> int:
        self.ti_status[ti] = status
        self.ti_task[ti] = task
        return ti

    @rule(target=instances, max_attempts=st.integers(min_value=1, max_value=3))
    def new_queued_task_instance(self, max_attempts: int) -> int:
        """The usual start: a queued task instance of a queued task on its first attempt."""
        ti, task = make_task_instance(self.conn, "Q", "Q", num_attempts=1, max_attempts=max_attempts)
        self.task[task] = {"status": "Q", "num_attempts": 1, "max_attempts": max_attempts}
        return self._track(ti, task, "Q")

    @rule(target=instances, statuses=st.sampled_from(IN_FLIGHT), data=st.data())
    def new_task_instance_in_flight(self, statuses: tuple[str, str], data: st.DataObject) -> int:
        """A task instance part way through its life, its task in step, often on its last attempt."""
        max_attempts = data.draw(st.integers(min_value=1, max_value=3), label="max_attempts")
        last_attempt = max_attempts == 1 or data.draw(st.booleans(), label="last_attempt")
        num_attempts = max_attempts if last_attempt else max_attempts - 1
        ti, task = make_task_instance(self.conn, *statuses, num_attempts=num_attempts, max_attempts=max_attempts)
        self.task[task] = {"status": statuses[1], "num_attempts": num_attempts, "max_attempts": max_attempts}
        return self._track(ti, task, statuses[0])

    @rule(target=instances, status=TI_CODES, task_status=TASK_CODES, num_attempts=ATTEMPTS,
          max_attempts=st.integers(min_value=1, max_value=3))  # fmt: skip
    def new_task_instance_anywhere(self, status: str, task_status: str, num_attempts: int, max_attempts: int) -> int:
        """Any combination of statuses, including ones no run of Jobmon reaches, to reach every branch
        (attempts within the maximum, which the schema holds: at least 1, num_attempts <= max_attempts)."""
        num_attempts = min(num_attempts, max_attempts)
        ti, task = make_task_instance(self.conn, status, task_status, num_attempts, max_attempts)
        self.task[task] = {"status": task_status, "num_attempts": num_attempts, "max_attempts": max_attempts}
        return self._track(ti, task, status)

    @rule(target=instances, sibling=instances, status=st.sampled_from("QR"))
    def new_instance_of_the_same_task(self, sibling: int, status: str) -> int:
        """A second task instance of an existing task: both cascade into one task row."""
        task = self.ti_task[sibling]
        row = self.conn.execute(
            "insert into jobmon.task_instance (task_id, status) values (%s, %s) returning id", (task, status)
        ).fetchone()
        assert row is not None
        return self._track(row[0], task, status)

    # -- requests ------------------------------------------------------------

    @rule(ti=instances, requested=TI_CODES)
    def request_any_status(self, ti: int, requested: str) -> None:
        self._request(ti, requested)

    @rule(ti=instances, data=st.data())
    def request_a_listed_pair(self, ti: int, data: st.DataObject) -> None:
        """A valid or untimely request from the current status, to go deeper than random codes would."""
        listed = sorted(to for (frm, to) in spec_model.VALID | spec_model.UNTIMELY if frm == self.ti_status[ti])
        requested = data.draw(st.sampled_from(listed) if listed else TI_CODES, label="requested")
        self._request(ti, requested)

    @rule(ti=instances, data=st.data())
    def report_an_error(self, ti: int, data: st.DataObject) -> None:
        """A valid move into an error state (W, E, U, Z), where the task's retry decision is taken."""
        errors = [to for to in "ZUEW" if (self.ti_status[ti], to) in spec_model.VALID] or list("ZUEW")
        requested = data.draw(st.sampled_from(errors), label="requested")
        self._request(ti, requested)

    def _request(self, ti: int, requested: str) -> None:
        task_id = self.ti_task[ti]
        task = self.task[task_id]
        status = self.ti_status[ti]
        want = spec_model.expected(status, requested, task["status"], task["num_attempts"], task["max_attempts"])
        ti_date, task_date = self._dates(ti)
        self.outcomes[want.outcome] += 1
        if want.outcome == "applied" and requested in spec_model.ERROR_STATES:
            self.outcomes[f"error, task ends in {want.task_status}"] += 1

        if want.outcome in ("JM001", "JM002"):
            try:
                transition_task_instance(self.conn, ti, requested)
            except InvalidStateTransition as error:
                got = (error.sqlstate, error.model, error.id, f"{error.from_status}->{error.to_status}")
            else:
                raise AssertionError(f"{status}->{requested} (task {task['status']}) was accepted; expected {want}")
            if want.outcome == "JM001":
                assert got == ("JM001", "TaskInstance", ti, f"{status}->{requested}")
            else:
                walk = spec_model.walk_task(requested, task["status"], task["num_attempts"], task["max_attempts"])
                assert got == ("JM002", "Task", task_id, walk.refused_move)
            assert self._dates(ti) == (ti_date, task_date), "a rejected request touched the rows"
            return

        result = transition_task_instance(self.conn, ti, requested)
        assert (result.task_instance_id, result.task_id) == (ti, task_id)
        assert (result.previous_status.value, result.task_previous_status.value) == (status, task["status"])
        assert (result.outcome, result.status.value, result.task_status.value, result.task_num_attempts) == (
            want.outcome,
            want.status,
            want.task_status,
            want.num_attempts,
        ), f"{status}->{requested} with task {task}"
        new_ti_date, new_task_date = self._dates(ti)
        if result.untimely:
            assert (new_ti_date, new_task_date) == (ti_date, task_date), "an untimely request touched the rows"
            assert result.status_date == ti_date
            return
        # Applied: a new status date for the task instance; one for the task only if its status changed.
        assert new_ti_date == result.status_date != ti_date
        assert (new_task_date != task_date) == (want.task_status != task["status"])
        self.ti_status[ti] = want.status
        task.update(status=want.task_status, num_attempts=want.num_attempts)

    def _dates(self, ti: int) -> tuple[Any, Any]:
        row = self.conn.execute(
            "select ti.status_date, t.status_date from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id"
            " where ti.id = %s",
            (ti,),
        ).fetchone()
        assert row is not None
        return row[0], row[1]

    # -- what must hold after every step --------------------------------------

    @invariant()
    def database_matches_the_model(self) -> None:
        if not self.ti_status:
            return
        rows = self.conn.execute(
            "select ti.id, ti.status, t.id, t.status, t.num_attempts"
            "  from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id where ti.id = any(%s)",
            (list(self.ti_status),),
        ).fetchall()
        in_db = {row[0]: row[1:5] for row in rows}
        in_model = {
            ti: (
                status,
                self.ti_task[ti],
                self.task[self.ti_task[ti]]["status"],
                self.task[self.ti_task[ti]]["num_attempts"],
            )
            for ti, status in self.ti_status.items()
        }
        assert in_db == in_model


def test_random_transition_sequences_match_the_spec_model(module_db_dsn: str) -> None:
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        TransitionMachine.conn = conn
        TransitionMachine.outcomes = Counter()
        run_state_machine_as_test(
            TransitionMachine,
            settings=settings(
                max_examples=40,
                stateful_step_count=30,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    # Not vacuous: the run met every kind of answer.
    print(dict(TransitionMachine.outcomes))
    assert {"applied", "untimely", "JM001", "JM002"} <= set(TransitionMachine.outcomes)
    # ... and errors on a task's last attempt, where the retry decision is to give up (F). The other
    # decisions (A, G) come up in most runs too; tests/test_matrix.py covers every case of them.
    assert "error, task ends in F" in TransitionMachine.outcomes
