"""Upstream's `PUT /task/bind_tasks_no_args` body in and out of jobmon.bind_tasks()."""

from __future__ import annotations

from typing import Any

import psycopg

from ..tasks import TaskBinding
from ..tasks import bind_tasks as bind


def bind_tasks(conn: psycopg.Connection[Any], workflow_id: int, tasks: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """`tasks` as upstream's client sends it; returns upstream's answer, {hash: [task_id, status]}.

    The client sends {hash: [node_id, task_args_hash, array_id, task_resources_id, name, command,
    max_attempts, reset_if_running, resource_scales, fallback_queues]}.
    """
    by_key: dict[tuple[int, str], str] = {}
    bindings = []
    for hash_value, item in tasks.items():
        node_id, args_hash, array_id, resources_id, name, command, max_attempts, reset, scales, queues = item
        binding = TaskBinding(
            node_id=int(node_id),
            task_args_hash=str(args_hash),  # the client sends the hash as an integer
            name=str(name),
            command=command,
            max_attempts=int(max_attempts),
            array_id=array_id,
            task_resources_id=resources_id,
            resource_scales=str(scales),  # upstream stores str() of what it gets
            fallback_queues=str(queues),
            reset_if_running=bool(reset),
        )
        by_key[(binding.node_id, binding.task_args_hash)] = hash_value
        bindings.append(binding)
    return {
        by_key[(row.node_id, row.task_args_hash)]: [row.task_id, str(row.status)]
        for row in bind(conn, workflow_id, bindings)
    }
