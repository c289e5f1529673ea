"""The actors' calls through upstream Jobmon's HTTP routes (`jobmon-db simulate --through-jobmon-server`).

`HttpCalls` makes each call the way upstream Jobmon's client, distributor and
worker nodes make it: a request to a `jobmon-db jobmon-server` (upstream's
FastAPI app, whose state-machine routes call jobmon-db's functions). It has
the methods of `calls.DirectCalls`, with the same arguments; its answers
carry what the route answers (often less than the function returns: a
status, a message), in objects with the attributes the actors read.
Imported only in that mode: it needs httpx and upstream Jobmon installed.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from jobmon.core.serializers import SerializeTaskInstanceBatch

from ..errors import InvalidArgument, JobmonDBError, RetryableError, TaskInstanceNotFound
from ..statuses import TaskInstanceStatus, TaskStatus

API_PREFIX = "/api/v3"
ANSWERED = "answered"  # the outcome of an HTTP answer that names none


@dataclass(frozen=True)
class Answer:
    """What a route answered about one task instance or task, with the attributes the actors read."""

    task_instance_id: int | None = None
    task_id: int | None = None
    status: TaskInstanceStatus | None = None
    task_status: TaskStatus | None = None
    outcome: str = ANSWERED
    array_id: int | None = None
    array_batch_num: int | None = None
    array_step_id: int | None = None
    #: queue_task_batch's answer names no task instance: the swarm finds them itself.
    applied: bool = False
    num_attempts: int | None = None

    @property
    def may_run(self) -> bool:
        return self.status is TaskInstanceStatus.RUNNING


@dataclass(frozen=True)
class Change:
    """One task of the status feed's answer (the cursor is the answer's `time`)."""

    task_id: int
    status: TaskStatus
    cursor: int


# "applied: I -> O", "unchanged: O -> O", "untimely: U": the messages of our distributor routes.
_MESSAGE = re.compile(r"^(\w+): (?:\w+ -> )?(\w)$")


def _from_message(task_instance_id: int, message: str) -> Answer:
    """The outcome and status a distributor route's message names ("" is applied)."""
    if message == "":
        return Answer(task_instance_id=task_instance_id, outcome="applied")
    match = _MESSAGE.match(message)
    if match is None:
        return Answer(task_instance_id=task_instance_id, outcome="refused")
    return Answer(task_instance_id=task_instance_id, outcome=match[1], status=TaskInstanceStatus(match[2]))


class RouteError(JobmonDBError):
    """A route answered an HTTP error that is not one of jobmon-db's (a 5xx, a 422)."""


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


class HttpCalls:
    """The same calls through upstream's HTTP routes on a `jobmon-db jobmon-server` at `url`.

    One instance per actor (its own HTTP connection). `known` keeps what
    upstream's distributor keeps from the answers: each instantiated task
    instance's array, batch and step (the step is its place in its batch by
    id, as upstream's TaskInstanceBatch numbers them).
    """

    through_server = True

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/") + API_PREFIX, timeout=60.0)
        self.known = Batches()

    def __enter__(self) -> HttpCalls:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.client.request(method, path, json=body)
        if answer.status_code == 200:
            return answer.json()
        try:
            error = answer.json().get("error") or {}
        except ValueError:
            error = {}
        message = str(error.get("exception_message") or answer.text[:300])
        sqlstate = error.get("sqlstate")
        if answer.status_code == 423:
            raise RetryableError(message, sqlstate=sqlstate)
        if answer.status_code == 400:
            raise InvalidArgument(message, sqlstate=sqlstate)
        if answer.status_code == 404:
            raise TaskInstanceNotFound(message, sqlstate=sqlstate)
        raise RouteError(f"{method} {path}: HTTP {answer.status_code}: {message}", sqlstate=f"HTTP{answer.status_code}")

    # worker node -----------------------------------------------------------

    def array_task_instance(self, array_id: int, batch_num: int, step_id: int) -> Answer:
        data = self._send("GET", f"/get_array_task_instance_id/{array_id}/{batch_num}/{step_id}")
        return Answer(task_instance_id=int(data["task_instance_id"]))

    def log_running(
        self, task_instance_id: int, nodename: str, pgid: int, increment: timedelta, distributor_id: str
    ) -> Answer:
        body = {
            "nodename": nodename,
            "process_group_id": str(pgid),  # upstream's worker sends it as a string
            "next_report_increment": _seconds(increment),
            "distributor_id": distributor_id,
        }
        wire = self._send("POST", f"/task_instance/{task_instance_id}/log_running", body)["task_instance"]
        return Answer(task_instance_id=int(wire[0]), status=TaskInstanceStatus(wire[1]))

    def log_heartbeat(self, task_instance_id: int, increment: timedelta) -> Answer:
        body = {"next_report_increment": _seconds(increment)}
        data = self._send("POST", f"/task_instance/{task_instance_id}/log_report_by", body)
        return Answer(task_instance_id=task_instance_id, status=TaskInstanceStatus(data["status"]))

    def log_done(self, task_instance_id: int, **usage: str) -> Answer:
        data = self._send("POST", f"/task_instance/{task_instance_id}/log_done", usage)
        return Answer(task_instance_id=task_instance_id, status=TaskInstanceStatus(data["status"]))

    def log_error(self, task_instance_id: int, state: str, message: str, **usage: str) -> Answer:
        body = {"error_state": state, "error_description": message, **usage}
        data = self._send("POST", f"/task_instance/{task_instance_id}/log_error_worker_node", body)
        return Answer(task_instance_id=task_instance_id, status=TaskInstanceStatus(data["status"]))

    # distributor -----------------------------------------------------------

    def sync_status(self, run_ids: Sequence[int], statuses: Sequence[str]) -> list[Answer]:
        """The task instances of the runs in each status: one sync_status request per run and status."""
        found: list[Answer] = []
        for run_id in run_ids:
            for status in statuses:
                body = {"task_instance_ids": [], "status": status}
                updates = self._send("POST", f"/workflow_run/{run_id}/sync_status", body)["status_updates"]
                for code, ids in updates.items():
                    found += [self.known.answer(int(i), TaskInstanceStatus(code)) for i in ids]
        return sorted(found, key=lambda a: a.task_instance_id or 0)

    def instantiate_task_instances(self, task_instance_ids: list[int]) -> list[Answer]:
        data = self._send("POST", "/task_instance/instantiate_task_instances", {"task_instance_ids": task_instance_ids})
        rows: list[Answer] = []
        for wire in data["task_instance_batches"]:
            batch = SerializeTaskInstanceBatch.kwargs_from_wire(wire)
            ids = [int(i) for i in batch["task_instance_ids"]]
            self.known.add(int(batch["array_id"]), int(batch["array_batch_num"]), ids)
            rows += [self.known.answer(i, TaskInstanceStatus.INSTANTIATED) for i in ids]
        return rows

    def log_no_distributor_id(self, task_instance_id: int, message: str) -> Answer:
        data = self._send(
            "POST", f"/task_instance/{task_instance_id}/log_no_distributor_id", {"no_id_err_msg": message}
        )
        return _from_message(task_instance_id, str(data["message"]))

    def log_distributor_id(self, task_instance_id: int, distributor_id: str, increment: timedelta) -> Answer:
        body = {"distributor_id": distributor_id, "next_report_increment": _seconds(increment)}
        data = self._send("POST", f"/task_instance/{task_instance_id}/log_distributor_id", body)
        return _from_message(task_instance_id, str(data["message"]))

    def launch_array_batch(self, array_id: int, batch_num: int, increment: timedelta) -> list[Answer]:
        """The route answers nothing: like upstream's distributor, take every instance of the batch as launched."""
        body = {"batch_number": batch_num, "next_report_increment": _seconds(increment)}
        self._send("POST", f"/array/{array_id}/transition_to_launched", body)
        return [self.known.answer(ti, TaskInstanceStatus.LAUNCHED) for ti in self.known.members(array_id, batch_num)]

    def log_array_distributor_ids(self, array_id: int, batch_num: int, ids: dict[int, str]) -> Answer:
        """The route takes the job ids by task instance id (JSON object keys are strings)."""
        by_step = {step: ti for ti, step in self.known.steps(array_id, batch_num).items()}
        body = {str(by_step[step]): job for step, job in sorted(ids.items()) if step in by_step}
        self._send("POST", f"/array/{array_id}/log_distributor_id", body)
        return Answer()

    def log_heartbeats(self, task_instance_ids: list[int], increment: timedelta) -> list[Answer]:
        body = {"task_instance_ids": task_instance_ids, "next_report_increment": _seconds(increment)}
        self._send("POST", "/task_instance/log_report_by/batch", body)
        return []  # the route answers nothing: the distributor heartbeats until the cluster forgets the job

    def log_known_error(self, task_instance_id: int, state: str, message: str) -> Answer:
        body = {"error_state": state, "error_message": message}
        data = self._send("POST", f"/task_instance/{task_instance_id}/log_known_error", body)
        return _from_message(task_instance_id, str(data["message"]))

    def log_unknown_error(self, task_instance_id: int, message: str) -> Answer:
        data = self._send("POST", f"/task_instance/{task_instance_id}/log_unknown_error", {"error_message": message})
        return _from_message(task_instance_id, str(data["message"]))

    def kill_task_instances(self, task_instance_ids: list[int]) -> list[Answer]:
        """One transition_to_killed per array batch; instances never instantiated have no batch here and wait
        for the resume (set_resume_state finishes them)."""
        batches_of: dict[tuple[int, int], list[int]] = defaultdict(list)
        for ti in task_instance_ids:
            place = self.known.place(ti)
            if place is not None:
                batches_of[(place[0], place[1])].append(ti)
        for array_id, batch_num in sorted(batches_of):
            self._send("POST", f"/array/{array_id}/transition_to_killed", {"batch_number": batch_num})
        return [Answer(task_instance_id=ti) for ids in batches_of.values() for ti in ids]

    # swarm -------------------------------------------------------------------

    def queue_task_batch(self, task_ids: list[int], array_id: int, resources_id: int, run_id: int) -> list[Answer]:
        body = {"task_ids": task_ids, "task_resources_id": resources_id, "workflow_run_id": run_id}
        data = self._send("POST", f"/array/{array_id}/queue_task_batch", body)
        return [
            Answer(task_id=int(t), task_status=TaskStatus(code))
            for code, ids in data["tasks_by_status"].items()
            for t in ids
        ]

    def triage_overdue(self, run_id: int, grace: timedelta) -> Answer:
        """The server's grace is its own (2 x report_by_buffer x task_instance_interval), not `grace`."""
        self._send("POST", f"/workflow_run/{run_id}/set_status_for_triaging")
        return Answer()

    def task_status_changes(self, workflow_id: int, cursor: int) -> list[Change]:
        data = self._send("POST", f"/workflow/{workflow_id}/task_status_updates", {"last_sync": str(cursor)})
        after = int(data["time"])
        return [
            Change(task_id=int(t), status=TaskStatus(code), cursor=after)
            for code, ids in data["tasks_by_status"].items()
            for t in ids
        ]

    def terminate_workflow_run(self, run_id: int, hot: bool) -> Answer:
        """The route reads hot from the run's status (H); the simulation's runs are cold."""
        self._send("PUT", f"/workflow_run/{run_id}/terminate_task_instances")
        return Answer()

    def reset_tasks_for_resume(self, workflow_id: int, reset_running: bool) -> list[Answer]:
        data = self._send("POST", f"/task/{workflow_id}/set_resume_state", {"reset_if_running": reset_running})
        if data.get("err_msg"):
            raise RouteError(str(data["err_msg"]), sqlstate="HTTP200")
        return []  # the route answers nothing: the swarm reads the reset tasks from the feed


class Batches:
    """The array, batch and step of each task instance the distributor instantiated (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._place: dict[int, tuple[int, int, int]] = {}
        self._members: dict[tuple[int, int], list[int]] = {}

    def add(self, array_id: int, batch_num: int, task_instance_ids: list[int]) -> None:
        with self._lock:
            members = sorted(set(self._members.get((array_id, batch_num), [])) | set(task_instance_ids))
            self._members[(array_id, batch_num)] = members
            for step, ti in enumerate(members):
                self._place[ti] = (array_id, batch_num, step)

    def place(self, task_instance_id: int) -> tuple[int, int, int] | None:
        with self._lock:
            return self._place.get(task_instance_id)

    def members(self, array_id: int, batch_num: int) -> list[int]:
        with self._lock:
            return list(self._members.get((array_id, batch_num), []))

    def steps(self, array_id: int, batch_num: int) -> dict[int, int]:
        with self._lock:
            return {ti: self._place[ti][2] for ti in self._members.get((array_id, batch_num), [])}

    def answer(self, task_instance_id: int, status: TaskInstanceStatus, outcome: str = ANSWERED) -> Answer:
        place = self.place(task_instance_id)
        array_id, batch_num, step = place if place is not None else (None, None, None)
        return Answer(
            task_instance_id=task_instance_id,
            status=status,
            outcome=outcome,
            array_id=array_id,
            array_batch_num=batch_num,
            array_step_id=step,
        )
