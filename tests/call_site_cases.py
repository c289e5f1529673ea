"""The expected behaviour of every call-site function from every task-instance status.

Written from the reference CALL_SITES.md and the state machine
(docs/state-machine.md), not from the implementation. The task is in the
status its task instance's status implies (tests.factories.NATURAL_TASK_STATUS),
with attempts left, and report_by_date is in the past (overdue).

Each expected entry: (outcome or SQLSTATE, status after, route columns written?, error-log rows added).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    InvalidStateTransition,
    log_distributor_id,
    log_done,
    log_error,
    log_heartbeat,
    log_no_distributor_id,
    log_running,
    log_unknown_error,
)
from tests.factories import make_call_site_instance, task_instance_row

Expected = tuple[str, str, bool, int]
STATUSES = "QIOWRTXZUEDKF"
USAGE = {
    "nodename": "node-7", "stdout": "/o", "stderr": "/e", "stdout_log": "out", "stderr_log": "err",
    "wallclock": "12", "maxrss": "1G", "maxpss": "900M", "cpu": "11", "io": "3", "usage_str": "u",
}  # fmt: skip
INCREMENT = timedelta(seconds=279)


def _invalid(status: str) -> Expected:
    return ("JM001", status, False, 0)


def _table(**given: Expected) -> dict[str, Expected]:
    """Statuses not given are invalid for the route (JM001, nothing written)."""
    table = {s: given.get(s, _invalid(s)) for s in STATUSES}
    assert set(given) <= set(STATUSES)
    return table


# log_running: O/I (and T) -> R with the route's columns; K -> F and X -> E without them; R is a repeat,
# and so are F and E, which is what log_running makes of K and X: a retried call changes nothing.
LOG_RUNNING = _table(
    I=("applied", "R", True, 0), O=("applied", "R", True, 0), T=("applied", "R", True, 0),
    R=("unchanged", "R", False, 0), K=("applied", "F", False, 0), X=("applied", "E", False, 0),
    F=("unchanged", "F", False, 0), E=("unchanged", "E", False, 0),
)  # fmt: skip
# log_heartbeat: only live instances (O, R, T; T back to R) get a deadline; nothing is ever invalid.
LOG_HEARTBEAT = {s: ("ignored", s, False, 0) for s in STATUSES} | {
    "O": ("applied", "O", True, 0), "R": ("applied", "R", True, 0), "T": ("applied", "R", True, 0),
}  # fmt: skip
# log_done: R -> D, K -> D (resumed run let it finish); U -> D untimely; D is a repeat.
LOG_DONE = _table(
    R=("applied", "D", True, 0), K=("applied", "D", True, 0),
    U=("untimely", "U", False, 0), D=("unchanged", "D", False, 0),
)  # fmt: skip
# log_error E: R -> E, X -> E, T -> R -> E; U -> E and K -> E untimely; E is a repeat.
LOG_ERROR_E = _table(
    R=("applied", "E", True, 1), X=("applied", "E", True, 1), T=("applied", "E", True, 1),
    U=("untimely", "U", False, 0), K=("untimely", "K", False, 0), E=("unchanged", "E", False, 0),
)  # fmt: skip
# log_error Z: O, R, T -> Z; U -> Z and K -> Z untimely; Z is a repeat.
LOG_ERROR_Z = _table(
    O=("applied", "Z", True, 1), R=("applied", "Z", True, 1), T=("applied", "Z", True, 1),
    U=("untimely", "U", False, 0), K=("untimely", "K", False, 0), Z=("unchanged", "Z", False, 0),
)  # fmt: skip
# log_error F: O -> F, T -> F, K -> F (the rules' moves to F); F is a repeat.
LOG_ERROR_F = _table(
    O=("applied", "F", True, 1), T=("applied", "F", True, 1), K=("applied", "F", True, 1),
    F=("unchanged", "F", False, 0),
)  # fmt: skip
# log_unknown_error, overdue: O, R, T -> U; E, Z, D, K -> U untimely; U is a repeat.
LOG_UNKNOWN_ERROR = _table(
    O=("applied", "U", False, 1), R=("applied", "U", False, 1), T=("applied", "U", False, 1),
    E=("untimely", "E", False, 0), Z=("untimely", "Z", False, 0), D=("untimely", "D", False, 0),
    K=("untimely", "K", False, 0), U=("unchanged", "U", False, 0),
)  # fmt: skip
# log_unknown_error with report_by_date in the future: a heartbeat came after triage; nothing, ever.
LOG_UNKNOWN_ERROR_NOT_OVERDUE = {s: ("not_overdue", s, False, 0) for s in STATUSES} | {
    "U": ("unchanged", "U", False, 0)
}
# log_distributor_id: I -> O with id and dates; launched or moved on (O, R, T, X, K) keep their status and
# get the id they lack; finished ones are left alone; Q was never instantiated (Q -> O invalid).
LOG_DISTRIBUTOR_ID = {s: ("ignored", s, False, 0) for s in "WDEUZF"} | {
    s: ("id_recorded", s, True, 0) for s in "ORTXK"
} | {"I": ("applied", "O", True, 0), "Q": _invalid("Q")}  # fmt: skip
# log_no_distributor_id: I -> W with one error-log row; W is a repeat.
LOG_NO_DISTRIBUTOR_ID = _table(I=("applied", "W", False, 1), W=("unchanged", "W", False, 0))

#: The columns each route writes (besides status and status_date, which only the move writes).
ROUTE_COLUMNS = {
    "log_running": {"nodename", "process_group_id", "distributor_id", "report_by_date"},
    "log_heartbeat": {"report_by_date"},
    "log_done": set(USAGE),
    "log_error": set(USAGE),
    "log_unknown_error": set(),
    "log_distributor_id": {"distributor_id", "submitted_date", "report_by_date"},
    "log_no_distributor_id": set(),
}

Call = Callable[[psycopg.Connection[Any], int], Any]
CALLS: dict[str, tuple[str, Call]] = {
    "log_running": ("log_running", lambda c, ti: log_running(c, ti, "node-7", 4242, INCREMENT, "job-1")),
    "log_heartbeat": ("log_heartbeat", lambda c, ti: log_heartbeat(c, ti, INCREMENT)),
    "log_done": ("log_done", lambda c, ti: log_done(c, ti, **USAGE)),
    "log_error_E": ("log_error", lambda c, ti: log_error(c, ti, "E", "boom", **USAGE)),
    "log_error_Z": ("log_error", lambda c, ti: log_error(c, ti, "Z", "out of memory", **USAGE)),
    "log_error_F": ("log_error", lambda c, ti: log_error(c, ti, "F", "fatal", **USAGE)),
    "log_unknown_error": ("log_unknown_error", lambda c, ti: log_unknown_error(c, ti, "no exit status")),
    "log_distributor_id": ("log_distributor_id", lambda c, ti: log_distributor_id(c, ti, "job-1", INCREMENT)),
    "log_no_distributor_id": ("log_no_distributor_id", lambda c, ti: log_no_distributor_id(c, ti, "qsub failed")),
}


def check(conn: psycopg.Connection[Any], call: str, status: str, expected: Expected, *, overdue: bool = True) -> None:
    """Make a task instance in `status`, make the call, and compare everything with `expected`."""
    function, make_call = CALLS[call]
    outcome, status_after, writes, error_rows = expected
    ti, _ = make_call_site_instance(conn, status, overdue=overdue)
    before = task_instance_row(conn, ti)
    if outcome.startswith("JM"):
        with pytest.raises(InvalidStateTransition) as raised:
            make_call(conn, ti)
        assert raised.value.sqlstate == outcome
    else:
        result = make_call(conn, ti)
        assert (result.outcome, result.previous_status.value, result.status.value) == (outcome, status, status_after)
        assert getattr(result, "error_log_id", None) is None or error_rows == 1
    after = task_instance_row(conn, ti)
    assert after["status"] == status_after
    assert after["error_log_rows"] - before["error_log_rows"] == error_rows
    moved = status_after != status
    assert (after["status_date"] != before["status_date"]) == moved
    route = ROUTE_COLUMNS[function]
    if function == "log_distributor_id" and outcome == "id_recorded":
        route = {"distributor_id"}
    for column, value in after.items():
        if column in ("status", "status_date", "error_log_rows"):
            continue
        if column in route and writes:
            assert value != before[column], f"{column} should have been written"
        else:
            assert value == before[column], f"{column} should not have changed"
