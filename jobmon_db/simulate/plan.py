"""The plan of a simulation: what happens to each attempt, decided from the seed alone.

The fate of attempt ``attempt`` of task ``index`` in epoch ``epoch`` (0
before the cold resume, 1 after it) is a pure function of (seed, index,
epoch, attempt): a hash, never thread timing or a shared random generator.
Which attempt a task is on when the resume comes depends on timing; what
happens to that attempt does not.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .faults import (
    APP_ERROR,
    DONE,
    LOST_ID,
    RESOURCE_ERROR,
    SILENT_BEFORE_START,
    SILENT_WHILE_RUNNING,
    FaultRates,
)


@dataclass(frozen=True)
class Fate:
    """What happens to one attempt (one task instance)."""

    outcome: str
    #: The worker's final report comes late: it goes silent for longer than its deadline first
    #: (the reconciler may log U before it), and the distributor records the job id late.
    late: bool
    #: Every report of this attempt is sent twice (a client retrying the same call).
    duplicate: bool
    #: Submitted alone (log_distributor_id) instead of with its array batch (launch_array_batch).
    single: bool
    #: For a silent death while running: what the reconciler finds, 'U' (no exit status) or 'Z' (killed for memory).
    verdict: str
    #: How long the job runs, as a multiple of the heartbeat interval (0.05 .. 1.55).
    duration: float


def _uniforms(seed: int, index: int, epoch: int, attempt: int) -> list[float]:
    digest = hashlib.blake2b(f"{seed}:{index}:{epoch}:{attempt}".encode(), digest_size=32).digest()
    return [int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in range(0, 32, 4)]


@dataclass(frozen=True)
class Plan:
    """The deterministic plan of a run: a seed and the fault rates."""

    seed: int
    rates: FaultRates

    def fate(self, index: int, epoch: int, attempt: int) -> Fate:
        """The fate of attempt ``attempt`` (1, 2, ...) of task ``index`` (0-based) in ``epoch``."""
        u = _uniforms(self.seed, index, epoch, attempt)
        r = self.rates
        outcome = DONE
        edge = 0.0
        for kind, rate in (
            (LOST_ID, r.lost_id),
            (SILENT_BEFORE_START, r.silent_death / 2),
            (SILENT_WHILE_RUNNING, r.silent_death / 2),
            (RESOURCE_ERROR, r.resource_error),
            (APP_ERROR, r.app_error),
        ):
            edge += rate
            if u[0] < edge:
                outcome = kind
                break
        return Fate(
            outcome=outcome,
            late=u[1] < r.late_report,
            duplicate=u[2] < r.duplicate,
            single=u[3] < 0.2,
            verdict="Z" if u[4] < 0.5 else "U",
            duration=0.05 + 1.5 * u[5] ** 2,
        )

    def summary(self, tasks: int, attempts: int = 1) -> dict[str, int]:
        """How many of the first ``attempts`` attempts of ``tasks`` tasks (epoch 0) get each outcome and flag."""
        counts: dict[str, int] = {}
        for index in range(tasks):
            for attempt in range(1, attempts + 1):
                fate = self.fate(index, 0, attempt)
                for key, on in ((fate.outcome, True), ("late", fate.late), ("duplicate", fate.duplicate)):
                    if on:
                        counts[key] = counts.get(key, 0) + 1
        return counts
