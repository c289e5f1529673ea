"""The faults a simulation injects, and at which rates.

Every rate is the chance that one attempt (one task instance) gets the
fault. The kinds of outcome (lost id, silent death, resource error,
application error) exclude each other and their rates must add up to at
most 1; late and duplicated reports come on top of any outcome.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: What happens to one attempt.
DONE = "done"
APP_ERROR = "app_error"  # the worker reports E
RESOURCE_ERROR = "resource_error"  # the worker reports Z
SILENT_BEFORE_START = "silent_before_start"  # the job vanishes before it starts: no heartbeat at all (O -> X)
SILENT_WHILE_RUNNING = "silent_while_running"  # the job stops heartbeating while running (R -> T)
LOST_ID = "lost_id"  # the cluster gave no job id (I -> W)
OUTCOMES = (DONE, APP_ERROR, RESOURCE_ERROR, SILENT_BEFORE_START, SILENT_WHILE_RUNNING, LOST_ID)
#: The bounds of every rate (inclusive), for the CLI's parser and FaultRates.problems().
RATE_BOUNDS = (0.0, 1.0)


@dataclass(frozen=True)
class FaultRates:
    """Per-attempt chances of each fault (0 to 1)."""

    app_error: float = 0.06
    resource_error: float = 0.03
    silent_death: float = 0.02
    lost_id: float = 0.01
    late_report: float = 0.02
    duplicate: float = 0.05

    def problems(self) -> list[str]:
        """What is wrong with these rates (empty when they are usable)."""
        low, high = RATE_BOUNDS
        found = [
            f"--{name.replace('_', '-')}-rate must be between {low:g} and {high:g}, not {value}"
            for name, value in asdict(self).items()
            if not low <= value <= high
        ]
        exclusive = self.app_error + self.resource_error + self.silent_death + self.lost_id
        if exclusive > 1.0:
            found.append(
                "--app-error-rate + --resource-error-rate + --silent-death-rate + --lost-id-rate must be at most 1,"
                f" not {exclusive:g}"
            )
        return found
