"""What a simulation did, and the invariants checked on the database afterwards.

The invariants read the database only (the tables and jobmon.transition_history),
so they can be checked again on a run kept with --keep (``jobmon-db simulate
--check WORKFLOW_ID``).

Definitions used by the checks:

* final task statuses: D and F; in a failed workflow (a task F) also G for a
  task that never had a task instance (downstream of the failure). Final task-instance statuses: those the rules
  give no valid move out of (D, E, F, U, W, Z, read from
  jobmon.task_instance_transition); the others (Q, I, O, R, T, X, K) are live.
* a task instance is a *live attempt* of its task from its creation (history
  row with no from_status) until it enters a final status, or until its task
  is reset by a resume, after which it is a stale attempt (its moves never
  touch the task, see docs/state-machine.md).
* a *resume reset* in the history: a maximal run of consecutive task rows of
  the workflow (in history order) that move a task to G with no task
  instance as the cause; it resets every task of the workflow (a task
  already in G is reset without a history row).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from ..inspect import live_task_instance_statuses


@dataclass(frozen=True)
class Check:
    """One invariant and whether the database satisfies it."""

    name: str
    ok: bool
    detail: str


@dataclass
class HistoryFacts:
    """What the history of one workflow says."""

    instance_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    task_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    created: int = 0
    resets: int = 0
    overlaps: list[str] = field(default_factory=list)
    over_attempts: list[str] = field(default_factory=list)


HISTORY_SQL = """
select h.id, h.model, h.object_id, h.task_id, h.task_instance_id, h.from_status, h.to_status
  from jobmon.transition_history h
 where h.task_id in (select t.id from jobmon.task t where t.workflow_id = %s)
 order by h.id
"""

FORBIDDEN_SQL = """
select h.model, coalesce(h.from_status, 'new') as from_status, h.to_status, count(*) as n
  from jobmon.transition_history h
 where h.task_id in (select t.id from jobmon.task t where t.workflow_id = %s)
   and case
         when h.model = 'TaskInstance' and h.from_status is null then h.to_status <> 'Q'
         when h.model = 'TaskInstance' then not exists (
              select 1 from jobmon.task_instance_transition r
               where r.from_status = h.from_status and r.to_status = h.to_status and r.kind = 'valid')
         when h.from_status is null then h.to_status <> 'G'
         else not exists (
              select 1 from jobmon.task_transition r
               where r.from_status = h.from_status and r.to_status = h.to_status)
       end
 group by 1, 2, 3
 order by 1, 2, 3
"""


def read_history(conn: psycopg.Connection[Any], workflow_id: int, max_attempts: dict[int, int]) -> HistoryFacts:
    """Replay the workflow's history in order: moves by pair, live attempts and attempts per resume epoch."""
    facts = HistoryFacts()
    live_statuses = live_task_instance_statuses(conn)
    live: dict[int, set[int]] = defaultdict(set)
    attempts: Counter[int] = Counter()
    in_reset = False
    for _, model, object_id, task_id, cause, from_status, to_status in conn.execute(HISTORY_SQL, (workflow_id,)):
        if model == "Task":
            facts.task_moves[(from_status or "new", to_status)] += 1
            reset = to_status == "G" and cause is None
            if reset and not in_reset:
                facts.resets += 1
                live.clear()
                attempts.clear()
            in_reset = reset
            continue
        facts.instance_moves[(from_status or "new", to_status)] += 1
        if from_status is None:
            facts.created += 1
            if live[task_id]:
                others = ", ".join(str(i) for i in sorted(live[task_id]))
                facts.overlaps.append(f"task {task_id}: instance {object_id} created while {others} still live")
            live[task_id].add(object_id)
            attempts[task_id] += 1
            if attempts[task_id] > max_attempts.get(task_id, 0):
                facts.over_attempts.append(
                    f"task {task_id}: attempt {attempts[task_id]} (instance {object_id}) of {max_attempts.get(task_id)}"
                )
        elif to_status not in live_statuses:
            live[task_id].discard(object_id)
    return facts


def _cut(items: list[str], n: int = 3) -> str:
    more = f" (and {len(items) - n} more)" if len(items) > n else ""
    return "; ".join(items[:n]) + more


def _tasks(conn: psycopg.Connection[Any], workflow_id: int) -> dict[int, tuple[str, int, int]]:
    """task id -> (status, num_attempts, max_attempts) of the workflow's tasks."""
    return {
        task_id: (status, num_attempts, max_attempts)
        for task_id, status, num_attempts, max_attempts in conn.execute(
            "select id, status, num_attempts, max_attempts from jobmon.task where workflow_id = %s", (workflow_id,)
        )
    }


def _instance_count(conn: psycopg.Connection[Any], workflow_id: int) -> int:
    """How many task instances the workflow's tasks have."""
    row = conn.execute(
        "select count(*) from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id where t.workflow_id = %s",
        (workflow_id,),
    ).fetchone()
    return int(row[0]) if row else 0


def check_invariants(conn: psycopg.Connection[Any], workflow_id: int) -> tuple[list[Check], HistoryFacts]:
    """The invariants of a finished simulation, read from the database."""
    tasks = _tasks(conn, workflow_id)
    facts = read_history(conn, workflow_id, {t: m for t, (_, _, m) in tasks.items()})
    checks: list[Check] = []

    by_status = Counter(status for status, _, _ in tasks.values())
    # A failed workflow (a task F) stops: its tasks downstream never run and stay G with no instance.
    never_ran = 0
    if by_status["F"]:
        row = conn.execute(
            """select count(*) from jobmon.task t
                where t.workflow_id = %s and t.status = 'G'
                  and not exists (select 1 from jobmon.task_instance ti where ti.task_id = t.id)""",
            (workflow_id,),
        ).fetchone()
        never_ran = int(row[0]) if row else 0
    unfinished = {s: n - (never_ran if s == "G" else 0) for s, n in by_status.items() if s not in ("D", "F")}
    unfinished = {s: n for s, n in unfinished.items() if n}
    detail = f"{len(tasks)} tasks: " + ", ".join(f"{s} {n}" for s, n in sorted(by_status.items()))
    if never_ran:
        detail += f" ({never_ran} G never ran: the workflow failed before them)"
    checks.append(Check("every task ended D or F", bool(tasks) and not unfinished, detail))

    left = conn.execute(
        """select ti.status, count(*) from jobmon.task_instance ti join jobmon.task t on t.id = ti.task_id
            where t.workflow_id = %s and ti.status = any(%s) group by 1 order by 1""",
        (workflow_id, sorted(live_task_instance_statuses(conn))),
    ).fetchall()
    instances = _instance_count(conn, workflow_id)
    checks.append(
        Check(
            "every task instance ended (none left in Q, I, O, R, T, X or K)",
            not left,
            f"{instances} task instances" + (": left " + ", ".join(f"{s} {n}" for s, n in left) if left else ""),
        )
    )

    checks += _history_checks(conn, workflow_id, tasks, facts, instances)
    return checks, facts


def history_checks(conn: psycopg.Connection[Any], workflow_id: int) -> list[Check]:
    """The invariants that hold at any moment, finished or not (the history's), of one workflow."""
    tasks = _tasks(conn, workflow_id)
    facts = read_history(conn, workflow_id, {t: m for t, (_, _, m) in tasks.items()})
    return _history_checks(conn, workflow_id, tasks, facts, _instance_count(conn, workflow_id))


def _history_checks(
    conn: psycopg.Connection[Any],
    workflow_id: int,
    tasks: dict[int, tuple[str, int, int]],
    facts: HistoryFacts,
    instances: int,
) -> list[Check]:
    checks: list[Check] = []
    checks.append(
        Check(
            "the history recorded every task instance",
            facts.created == instances and instances > 0,
            f"{facts.created} creations in jobmon.transition_history for {instances} task instances",
        )
    )

    checks.append(
        Check(
            "no task ever had two live task instances at once",
            not facts.overlaps,
            _cut(facts.overlaps) if facts.overlaps else f"replayed {sum(facts.instance_moves.values())} moves",
        )
    )

    over_now = [f"task {t}: {n} of {m}" for t, (_, n, m) in tasks.items() if n > m]
    checks.append(
        Check(
            "attempts never exceeded max_attempts",
            not facts.over_attempts and not over_now,
            _cut(facts.over_attempts + over_now)
            if facts.over_attempts or over_now
            else f"counted per resume epoch ({facts.resets} resume reset{'s' if facts.resets != 1 else ''})",
        )
    )

    forbidden = conn.execute(FORBIDDEN_SQL, (workflow_id,)).fetchall()
    checks.append(
        Check(
            "every applied move is allowed by the tables",
            not forbidden,
            _cut([f"{m} {f} -> {t} ({n}x)" for m, f, t, n in forbidden])
            if forbidden
            else "task instances: jobmon.task_instance_transition (valid); tasks: jobmon.task_transition",
        )
    )
    return checks


# ---------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass
class Summary:
    """Everything the command prints at the end (also as JSON)."""

    options: dict[str, Any]
    workflow_id: int
    workflow_runs: list[int]
    seconds: float
    tasks: dict[str, int]
    task_instances: int
    faults: dict[str, int]
    instance_moves: dict[str, int]
    task_moves: dict[str, int]
    reports: dict[str, int]
    calls: dict[str, dict[str, Any]]
    calls_per_second: float
    errors: list[str]
    problems: list[str]
    invariants: list[Check]
    kept: bool
    cleanup: str

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.invariants) and not self.problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def text(self) -> str:
        o = self.options
        lines = [
            f"jobmon-db simulate: {o['tasks']} tasks, {o['workers']} workers, seed {o['seed']},"
            f" max attempts {o['max_attempts']}, {'one cold resume half way' if o['resume'] else 'no resume'}"
            f" (workflow {self.workflow_id}, runs {', '.join(map(str, self.workflow_runs))})"
            + (f", through upstream Jobmon's HTTP routes at {o['server']}" if o.get("server") else ""),
            f"finished in {self.seconds:.1f} s",
            "tasks: " + ", ".join(f"{n} {label}" for label, n in self.tasks.items()),
            f"task instances (attempts): {self.task_instances}",
            "faults injected: " + (", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"),
            "task-instance moves (history): " + _pairs(self.instance_moves),
            "task moves (history): " + _pairs(self.task_moves),
            "reports: " + ", ".join(f"{k} {v}" for k, v in self.reports.items()),
            f"calls: {sum(c['calls'] for c in self.calls.values())} in {self.seconds:.1f} s"
            f" ({self.calls_per_second:.0f}/s)",
            f"  {'function':<28} {'calls':>7} {'p50 ms':>8} {'p99 ms':>8}  outcomes",
        ]
        for name, c in sorted(self.calls.items()):
            outcomes = ", ".join(f"{k} {v}" for k, v in sorted(c["outcomes"].items()))
            lines.append(f"  {name:<28} {c['calls']:>7} {c['p50_ms']:>8.2f} {c['p99_ms']:>8.2f}  {outcomes}")
        if self.errors:
            lines.append(f"refused or failed calls ({len(self.errors)}; the state machine changed nothing):")
            lines += [f"  {e}" for e in self.errors[:10]]
            if len(self.errors) > 10:
                lines.append(f"  ... and {len(self.errors) - 10} more")
        for problem in self.problems:
            lines.append(f"PROBLEM: {problem}")
        lines.append("invariants:")
        lines += [f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in self.invariants]
        lines.append(self.cleanup)
        return "\n".join(lines)


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


def call_table(latencies: dict[str, list[float]], outcomes: Counter[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for name, values in latencies.items():
        table[name] = {
            "calls": len(values),
            "p50_ms": _percentile(values, 50) * 1000,
            "p99_ms": _percentile(values, 99) * 1000,
            "outcomes": {o: n for (f, o), n in outcomes.items() if f == name},
        }
    return table


def report_counts(outcomes: Counter[tuple[str, str]]) -> dict[str, int]:
    """Untimely, repeated ('unchanged') and other answers that changed nothing, over every function."""
    by_outcome: Counter[str] = Counter()
    for (_, outcome), n in outcomes.items():
        by_outcome[outcome] += n
    keys = ("untimely", "unchanged", "ignored", "not_overdue", "skipped", "refused", "conflict")
    counts = {k: by_outcome[k] for k in keys}
    counts["errors"] = sum(n for o, n in by_outcome.items() if o.startswith("error"))
    return counts
