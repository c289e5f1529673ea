"""Each call-site function next to jobmon.transition_task_instance() doing the same move (1 client, prepared).

For every pair, `calls` task instances are made in the starting status for
each side; the calls then alternate (call-site function, transition, ...) so
both sides see the same server noise, with the transition history recorded
(as after migrate). Reported: the median latency of each side and their
ratio (target: within 1.2x).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import psycopg

from jobmon_db.history import set_history

TARGET_RATIO = 1.2

#: (name, starting status, task status, call-site SQL, the same move through transition_task_instance)
PAIRS = (
    ("log_running O->R", "O", "O",
     "select * from jobmon.log_running(task_instance_id => %s, nodename => 'node-1', process_group_id => 7,"
     " next_report_increment => interval '279 s')", "R"),
    ("log_heartbeat T->R", "T", "R",
     "select * from jobmon.log_heartbeat(task_instance_id => %s, next_report_increment => interval '279 s')", "R"),
    ("log_done R->D", "R", "R",
     "select * from jobmon.log_done(task_instance_id => %s, wallclock => '12', maxrss => '1G')", "D"),
    ("log_error R->E", "R", "R",
     "select * from jobmon.log_error(task_instance_id => %s, error_state => 'E', description => 'exit 1')", "E"),
    ("log_unknown_error T->U", "T", "R",
     "select * from jobmon.log_unknown_error(task_instance_id => %s, description => 'no exit status')", "U"),
    ("log_distributor_id I->O", "I", "I",
     "select * from jobmon.log_distributor_id(task_instance_id => %s, distributor_id => 'job-1',"
     " next_report_increment => interval '279 s')", "O"),
    ("log_no_distributor_id I->W", "I", "I",
     "select * from jobmon.log_no_distributor_id(task_instance_id => %s, description => 'qsub failed')", "W"),
)  # fmt: skip
TRANSITION_SQL = "select * from jobmon.transition_task_instance(%s, %s)"


@dataclass(frozen=True)
class PairResult:
    name: str
    calls: int
    call_site_ms: float
    transition_ms: float

    @property
    def ratio(self) -> float:
        return self.call_site_ms / self.transition_ms


def _instances(conn: psycopg.Connection[Any], status: str, task_status: str, count: int) -> list[int]:
    """`count` tasks in task_status with one current task instance each in status, overdue."""
    rows = conn.execute(
        """
        with wf as (insert into jobmon.workflow (name) values ('bench call sites') returning id),
             t as (insert into jobmon.task (workflow_id, status, num_attempts, max_attempts)
                   select wf.id, %s, 1, 3 from wf, generate_series(1, %s) returning id)
        insert into jobmon.task_instance (task_id, status, report_by_date)
        select t.id, %s, now() - interval '1 hour' from t returning id, task_id
        """,
        (task_status, count, status),
    ).fetchall()
    conn.execute(
        "update jobmon.task t set current_attempt_from = ti.id from jobmon.task_instance ti"
        " where ti.task_id = t.id and ti.id = any(%s)",
        ([r[0] for r in rows],),
    )
    return [r[0] for r in rows]


def _timed(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...]) -> float:
    start = time.perf_counter()
    conn.execute(sql, params, prepare=True).fetchall()
    return time.perf_counter() - start


def run(dsn: str, calls: int = 300) -> list[PairResult]:
    results = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        set_history(conn, True)  # as after migrate: both sides record their moves
        for name, status, task_status, call_sql, target in PAIRS:
            mine = _instances(conn, status, task_status, calls + 20)
            theirs = _instances(conn, status, task_status, calls + 20)
            call_site, transition = [], []
            for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                spent_a = _timed(conn, call_sql, (a,))
                spent_b = _timed(conn, TRANSITION_SQL, (b, target))
                if i >= 20:  # the first calls warm the plans and caches up
                    call_site.append(spent_a)
                    transition.append(spent_b)
            results.append(
                PairResult(name, calls, statistics.median(call_site) * 1e3, statistics.median(transition) * 1e3)
            )
    return results


def text(results: list[PairResult]) -> str:
    lines = [
        f"Call-site functions vs transition_task_instance, same move (1 client, prepared, median of {results[0].calls}"
        f" calls each, history on; target within {TARGET_RATIO}x):",
        "| move | call-site ms | transition ms | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        verdict = "PASS" if r.ratio <= TARGET_RATIO else "FAIL"
        lines.append(f"| {r.name} | {r.call_site_ms:.3f} | {r.transition_ms:.3f} | {r.ratio:.2f}x | {verdict} |")
    return "\n".join(lines)


def as_json(results: list[PairResult]) -> list[dict[str, Any]]:
    return [{**r.__dict__, "ratio": r.ratio} for r in results]
