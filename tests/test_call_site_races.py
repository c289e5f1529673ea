"""Deterministic races between the call-site functions, with the harness of tests/test_races.py.

The first reporter calls its function inside an open transaction and holds
the locks; the second waits (seen in pg_stat_activity), then decides from
what the first committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import log_distributor_id, log_done, log_error, log_heartbeat, log_running, log_unknown_error
from tests.factories import make_call_site_instance, task_instance_row
from tests.test_races import WAIT_SECONDS, Reporter, conn, reporters, wait_until_blocked  # noqa: F401

INCREMENT = timedelta(seconds=279)
Call = Callable[[psycopg.Connection[Any], int, int], Any]


def running(c: psycopg.Connection[Any], ti: int, task: int) -> Any:
    return log_running(c, ti, "node-7", 4242, INCREMENT)


def distributor_id(c: psycopg.Connection[Any], ti: int, task: int) -> Any:
    return log_distributor_id(c, ti, "job-1", INCREMENT)


def done(c: psycopg.Connection[Any], ti: int, task: int) -> Any:
    return log_done(c, ti, maxrss="1G")


def unknown_error(c: psycopg.Connection[Any], ti: int, task: int) -> Any:
    return log_unknown_error(c, ti, "no exit status")


def heartbeat(c: psycopg.Connection[Any], ti: int, task: int) -> Any:
    return log_heartbeat(c, ti, INCREMENT)


def error(c: psycopg.Connection[Any], ti: int, task: int) -> Any:
    return log_error(c, ti, "E", "exit code 1")


@dataclass(frozen=True)
class Race:
    start: str  # task instance status (task in its natural status, overdue)
    first: tuple[str, Call]
    second: tuple[str, Call]
    outcomes: tuple[str, str]  # (first, second)
    end: str  # task instance status
    error_log_rows: int
    end_columns: dict[str, Any]


RACES = {
    "worker_running_then_distributor_id": Race(
        "I", ("worker", running), ("distributor", distributor_id), ("applied", "id_recorded"), "R", 0,
        {"distributor_id": "job-1", "nodename": "node-7", "submitted_date": None},
    ),
    "distributor_id_then_worker_running": Race(
        "I", ("distributor", distributor_id), ("worker", running), ("applied", "applied"), "R", 0,
        {"distributor_id": "job-1", "nodename": "node-7"},
    ),
    "worker_done_then_reconciler_unknown_error": Race(
        "R", ("worker", done), ("reconciler", unknown_error), ("applied", "untimely"), "D", 0, {"maxrss": "1G"},
    ),
    "reconciler_unknown_error_then_worker_done": Race(
        "R", ("reconciler", unknown_error), ("worker", done), ("applied", "untimely"), "U", 1, {"maxrss": None},
    ),
    "worker_heartbeat_then_reconciler_unknown_error": Race(
        "T", ("worker", heartbeat), ("reconciler", unknown_error), ("applied", "not_overdue"), "R", 0, {},
    ),
    "reconciler_unknown_error_then_worker_heartbeat": Race(
        "T", ("reconciler", unknown_error), ("worker", heartbeat), ("applied", "ignored"), "U", 1, {},
    ),
    "log_error_retried_while_the_first_is_in_flight": Race(
        "R", ("worker", error), ("worker-retry", error), ("applied", "unchanged"), "E", 1, {},
    ),
}  # fmt: skip


@pytest.mark.parametrize("race", RACES.values(), ids=RACES.keys())
def test_second_call_waits_for_the_first_and_decides_from_what_it_committed(conn, reporters, race):  # noqa: F811
    ti, task = make_call_site_instance(conn, race.start)
    before = task_instance_row(conn, ti)
    (first_name, first_call), (second_name, second_call) = race.first, race.second
    first: Reporter = reporters(first_name, autocommit=False)
    second: Reporter = reporters(second_name)

    won = first.call(first_call, ti, task)
    assert won.outcome == race.outcomes[0]
    waiting = second.start(second_call, ti, task)
    assert wait_until_blocked(conn, second.pid) == {first.pid}
    assert not waiting.done()
    assert task_instance_row(conn, ti) == before, "the first call is visible before its commit"
    first.conn.commit()
    after_first = task_instance_row(conn, ti)

    lost = waiting.result(timeout=WAIT_SECONDS)
    assert lost.outcome == race.outcomes[1]
    # What the first call committed is in its own result (after_first may already show the second call's
    # move: the commit released it before that read).
    assert lost.previous_status.value == won.status.value, "decided from the committed status"
    end = task_instance_row(conn, ti)
    assert end["status"] == race.end
    assert end["error_log_rows"] == race.error_log_rows
    for column, value in race.end_columns.items():
        assert end[column] == value, column
    if race.outcomes[1] in ("untimely", "unchanged", "not_overdue", "ignored"):
        assert end == after_first, "the losing call changed nothing"
