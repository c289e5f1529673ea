"""How the actors make their calls: the Python wrappers on a connection (`DirectCalls`, the default).

`http.HttpCalls` has the same methods with the same arguments and makes each
call through upstream Jobmon's HTTP routes instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg

from .. import distributor, swarm, worker_node


class DirectCalls:
    """The jobmon_db wrappers on one connection."""

    through_server = False

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def __enter__(self) -> DirectCalls:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    # worker node
    def array_task_instance(self, array_id: int, batch_num: int, step_id: int) -> Any:
        return worker_node.array_task_instance(self.conn, array_id, batch_num, step_id)

    def worker_node_task_instance(self, task_instance_id: int) -> Any:
        return worker_node.worker_node_task_instance(self.conn, task_instance_id)

    def log_running(
        self, task_instance_id: int, nodename: str, pgid: int, increment: timedelta, distributor_id: str
    ) -> Any:
        return worker_node.log_running(self.conn, task_instance_id, nodename, pgid, increment, distributor_id)

    def log_heartbeat(self, task_instance_id: int, increment: timedelta) -> Any:
        return worker_node.log_heartbeat(self.conn, task_instance_id, increment)

    def log_done(self, task_instance_id: int, **usage: str) -> Any:
        return worker_node.log_done(self.conn, task_instance_id, **usage)

    def log_error(self, task_instance_id: int, state: str, message: str, **usage: str) -> Any:
        return worker_node.log_error(self.conn, task_instance_id, state, message, **usage)

    # distributor
    def instantiate_task_instances(self, task_instance_ids: list[int]) -> Any:
        return distributor.instantiate_task_instances(self.conn, task_instance_ids)

    def log_no_distributor_id(self, task_instance_id: int, message: str) -> Any:
        return distributor.log_no_distributor_id(self.conn, task_instance_id, message)

    def log_distributor_id(self, task_instance_id: int, distributor_id: str, increment: timedelta) -> Any:
        return distributor.log_distributor_id(self.conn, task_instance_id, distributor_id, increment)

    def launch_array_batch(self, array_id: int, batch_num: int, increment: timedelta) -> Any:
        return distributor.launch_array_batch(self.conn, array_id, batch_num, increment)

    def log_array_distributor_ids(self, array_id: int, batch_num: int, ids: dict[int, str]) -> Any:
        return distributor.log_array_distributor_ids(self.conn, array_id, batch_num, ids)

    def log_heartbeats(self, task_instance_ids: list[int], increment: timedelta) -> Any:
        return distributor.log_heartbeats(self.conn, task_instance_ids, increment)

    def log_known_error(self, task_instance_id: int, state: str, message: str) -> Any:
        return worker_node.log_error(self.conn, task_instance_id, state, message)

    def log_unknown_error(self, task_instance_id: int, message: str) -> Any:
        return distributor.log_unknown_error(self.conn, task_instance_id, message)

    def kill_task_instances(self, task_instance_ids: list[int]) -> Any:
        return distributor.kill_task_instances(self.conn, task_instance_ids)

    # swarm
    def queue_task_batch(self, task_ids: list[int], array_id: int, resources_id: int, run_id: int) -> Any:
        return swarm.queue_task_batch(self.conn, task_ids, array_id, resources_id, run_id)

    def triage_overdue(self, run_id: int, grace: timedelta) -> Any:
        return swarm.triage_overdue(self.conn, run_id, grace)

    def task_status_changes(self, workflow_id: int, cursor: int) -> Any:
        return swarm.task_status_changes(self.conn, workflow_id, cursor)

    def terminate_workflow_run(self, run_id: int, hot: bool) -> Any:
        return swarm.terminate_workflow_run(self.conn, run_id, hot)

    def reset_tasks_for_resume(self, workflow_id: int, reset_running: bool) -> Any:
        return swarm.reset_tasks_for_resume(self.conn, workflow_id, reset_running)
