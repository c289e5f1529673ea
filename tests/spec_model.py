"""The state machines as written in the specification (FSM_SPEC.md), as a test oracle.

Written independently of the database's tables on purpose: the tests compare
what the SQL function does with what this module says the specification asks.
"""

from __future__ import annotations

from dataclasses import dataclass

TASK_INSTANCE_STATUSES = "QIOWRTXZUEDKF"
TASK_STATUSES = "GQIORDEAF"

VALID = {
    ("Q", "I"), ("Q", "K"),
    ("I", "O"), ("I", "W"), ("I", "K"), ("I", "R"),
    ("O", "R"), ("O", "U"), ("O", "X"), ("O", "Z"), ("O", "K"), ("O", "F"),
    ("R", "T"), ("R", "E"), ("R", "U"), ("R", "Z"), ("R", "K"), ("R", "D"),
    ("T", "R"), ("T", "Z"), ("T", "U"), ("T", "F"),
    ("K", "F"), ("K", "D"),
    ("X", "E"),
}  # fmt: skip

UNTIMELY = {
    ("R", "O"), ("E", "O"), ("E", "U"), ("E", "E"), ("U", "D"), ("U", "E"),
    ("U", "Z"), ("Z", "U"), ("D", "U"), ("K", "E"), ("K", "Z"), ("K", "U"),
}  # fmt: skip

TASK_VALID = {
    ("G", "Q"), ("A", "Q"), ("Q", "I"), ("I", "O"), ("I", "E"), ("I", "R"), ("O", "R"),
    ("O", "E"), ("R", "D"), ("R", "E"), ("E", "A"), ("E", "Q"), ("E", "F"), ("E", "G"),
}  # fmt: skip

ERROR_STATES = {"W", "E", "U", "Z"}


@dataclass(frozen=True)
class Expected:
    """What a request should do: outcome 'applied', 'untimely' or the SQLSTATE it raises."""

    outcome: str
    status: str
    task_status: str
    num_attempts: int


def task_moves(entered: str, num_attempts: int, max_attempts: int) -> list[str]:
    """The task moves a task instance entering `entered` asks for, in order."""
    if entered in "QIORD":
        return [entered]
    if entered in ERROR_STATES:
        if num_attempts >= max_attempts:
            return ["E", "F"]
        return ["E", "A" if entered == "Z" else "G"]
    if entered == "F":
        return ["E", "F"]
    return []


@dataclass(frozen=True)
class TaskWalk:
    """Where the cascade leaves a task, or the first move it refuses ('G->D')."""

    status: str
    num_attempts: int
    refused_move: str | None


def walk_task(entered: str, task_status: str, num_attempts: int, max_attempts: int) -> TaskWalk:
    """Move a task through the cascade of a task instance entering `entered`, checking each move."""
    current, attempts = task_status, num_attempts
    for move in task_moves(entered, num_attempts, max_attempts):
        if move == current:
            continue
        if (current, move) not in TASK_VALID:
            return TaskWalk(task_status, num_attempts, f"{current}->{move}")
        if move == "Q":
            attempts += 1
        current = move
    return TaskWalk(current, attempts, None)


def expected(status: str, requested: str, task_status: str, num_attempts: int, max_attempts: int) -> Expected:
    """The specification's answer to requesting `requested` for a task instance in `status`."""
    unchanged = Expected("untimely", status, task_status, num_attempts)
    if (status, requested) in UNTIMELY:
        return unchanged
    if (status, requested) not in VALID:
        return Expected("JM001", status, task_status, num_attempts)
    walk = walk_task(requested, task_status, num_attempts, max_attempts)
    if walk.refused_move is not None:
        return Expected("JM002", status, task_status, num_attempts)
    return Expected("applied", requested, walk.status, walk.num_attempts)
