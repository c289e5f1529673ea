"""Summaries, targets, the printed table, the JSON file and the chart."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runner import ANSWERS, IMPLEMENTATIONS, RunResult

FN_VARIANTS = ("fn", "fn_prepared")  # the shipped configuration: the history on
# The cascade floor with what the function cannot do without: the lock order, then also a PL/pgSQL call as the owner.
LOCK_ORDER_FLOORS = ("locked_floor", "plpgsql_floor")


@dataclass(frozen=True)
class Summary:
    """One implementation in one scenario, over all rounds."""

    implementation: str
    scenario: str
    clients: int
    shared: bool
    throughput: float  # transitions per second, median of the rounds
    p50_ms: float
    p99_ms: float
    transitions: int
    answers: dict[str, int]
    errors: dict[str, int]
    final_statuses: dict[str, dict[str, int]]  # of the last round
    multixacts: int | None  # created over all rounds (None: could not be read)


def summarize(results: list[RunResult]) -> list[Summary]:
    summaries = []
    for key in dict.fromkeys((r.scenario, r.implementation) for r in results):
        runs = [r for r in results if (r.scenario, r.implementation) == key]
        latencies = [latency for r in runs for latency in r.latencies]
        p50, p99 = _percentiles(latencies)
        summaries.append(
            Summary(
                implementation=key[1],
                scenario=key[0],
                clients=runs[0].clients,
                shared=runs[0].shared,
                throughput=statistics.median(r.throughput for r in runs),
                p50_ms=p50 * 1000,
                p99_ms=p99 * 1000,
                transitions=sum(r.transitions for r in runs),
                answers={a: sum(r.answers.get(a, 0) for r in runs) for a in ANSWERS},
                errors=_add_counts(r.errors for r in runs),
                final_statuses=runs[-1].final_statuses,
                multixacts=None if any(r.multixacts is None for r in runs) else sum(r.multixacts or 0 for r in runs),
            )
        )
    return summaries


def _percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def _add_counts(counts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for label, n in count.items():
            total[label] = total.get(label, 0) + n
    return total


def _find(summaries: list[Summary], implementation: str, scenario: str) -> Summary:
    return next(s for s in summaries if s.implementation == implementation and s.scenario == scenario)


@dataclass(frozen=True)
class Target:
    description: str
    value: float
    passed: bool
    unit: str = "x"


def ratios(summaries: list[Summary]) -> dict[str, dict[str, dict[str, float]]]:
    """Per scenario and fn variant: speed-up over app (throughput ratio), cost over the floors (time ratios)."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for scenario in dict.fromkeys(s.scenario for s in summaries):
        app, floor = _find(summaries, "app", scenario), _find(summaries, "floor", scenario)
        app_lean = _find(summaries, "app_lean", scenario)
        history_floor = _find(summaries, "history_floor", scenario)
        cascade_floor = _find(summaries, "cascade_floor", scenario)
        plpgsql_floor = _find(summaries, "plpgsql_floor", scenario)
        table[scenario] = {
            fn: {
                "fn/history_floor cost": history_floor.throughput / _find(summaries, fn, scenario).throughput,
                "fn/app_lean speed-up": _find(summaries, fn, scenario).throughput / app_lean.throughput,
                "fn/app speed-up": _find(summaries, fn, scenario).throughput / app.throughput,
                "fn/cascade_floor cost": cascade_floor.throughput / _find(summaries, fn, scenario).throughput,
                "fn/plpgsql_floor cost": plpgsql_floor.throughput / _find(summaries, fn, scenario).throughput,
                "fn/floor cost": floor.throughput / _find(summaries, fn, scenario).throughput,
            }
            for fn in FN_VARIANTS
        }
        table[scenario]["cascade_floor"] = {"cascade_floor/floor cost": floor.throughput / cascade_floor.throughput}
        table[scenario]["history_floor"] = {
            "history_floor/cascade_floor cost": cascade_floor.throughput / history_floor.throughput
        }
        for name in LOCK_ORDER_FLOORS:
            cost = cascade_floor.throughput / _find(summaries, name, scenario).throughput
            table[scenario][name] = {f"{name}/cascade_floor cost": cost}
    return table


def history_cost(summaries: list[Summary]) -> dict[str, float]:
    """Per scenario: time per transition with the history recorded over without (fn_prepared vs fn_no_history)."""
    return {
        scenario: _find(summaries, "fn_no_history", scenario).throughput
        / _find(summaries, "fn_prepared", scenario).throughput
        for scenario in dict.fromkeys(s.scenario for s in summaries)
    }


def targets(summaries: list[Summary]) -> list[Target]:
    """The issue's targets, checked for both ways of calling the function."""
    by_scenario = ratios(summaries)
    one, many, shared = list(by_scenario)
    checks = []
    for fn in FN_VARIANTS:
        for scenario in (one, many):
            cost = by_scenario[scenario][fn]["fn/history_floor cost"]
            checks.append(Target(f"{fn} costs <= 1.2x history_floor, {scenario}", cost, cost <= 1.2))
        lean = by_scenario[one][fn]["fn/app_lean speed-up"]
        checks.append(_at_least(f"{fn} >= 2x app_lean throughput, {one}", lean, 2.0))
        for scenario in (many, shared):
            speed_up = by_scenario[scenario][fn]["fn/app_lean speed-up"]
            checks.append(_at_least(f"{fn} not slower than app_lean, {scenario}", speed_up, 1.0))
        checks.append(_no_multixacts(_find(summaries, fn, many)))
        checks.append(_only_state_machine_answers(_find(summaries, fn, shared)))
    return checks


def _no_multixacts(s: Summary) -> Target:
    """Status checks must lock no shared row: no MultiXact may be created when clients work side by side."""
    if s.multixacts is None:
        return Target(f"{s.implementation}, {s.scenario}: MultiXacts not measured (needs a superuser)", 0, True, "")
    return Target(f"{s.implementation} creates 0 MultiXacts, {s.scenario}", s.multixacts, s.multixacts == 0, "")


def _only_state_machine_answers(s: Summary) -> Target:
    """Under contention every request must get the state machine's answer: no deadlock, no other error."""
    deadlocks = sum(n for label, n in s.errors.items() if label.startswith("40P01"))
    others = sum(s.errors.values()) - deadlocks
    description = (
        f"{s.implementation}, {s.scenario}: {deadlocks} deadlocks, {others} other errors"
        f" ({s.answers['applied']} applied, {s.answers['untimely']} untimely, {s.answers['rejected']} rejected)"
    )
    return Target(description, deadlocks + others, deadlocks + others == 0, " errors")


def _at_least(description: str, value: float, threshold: float) -> Target:
    return Target(description, value, value >= threshold)


def table(summaries: list[Summary]) -> str:
    """The results as a Markdown table (printed as is, and pasted into docs/performance.md)."""
    lines = [
        "| scenario | implementation | transitions/s | p50 ms | p99 ms | applied | untimely | rejected | errors"
        " | MultiXacts |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        errors = ", ".join(f"{n} {label}" for label, n in s.errors.items()) or "0"
        lines.append(
            f"| {s.scenario} | {s.implementation} | {s.throughput:,.0f} | {s.p50_ms:.2f} | {s.p99_ms:.2f}"
            f" | {s.answers['applied']} | {s.answers['untimely']} | {s.answers['rejected']} | {errors}"
            f" | {'-' if s.multixacts is None else s.multixacts} |"
        )
    return "\n".join(lines)


def targets_text(checks: list[Target]) -> str:
    lines = ["Targets:"]
    for check in checks:
        value = f"{check.value:.2f}" if check.unit == "x" else f"{check.value:.0f}"
        lines.append(f"  {'PASS' if check.passed else 'FAIL'}  {check.description}: {value}{check.unit}")
    return "\n".join(lines)


def ratios_text(summaries: list[Summary]) -> str:
    lines = [
        "Ratios (fn/app: throughput speed-up, higher is better; the others: cost per transition,"
        " 1.0 is the floor named after the slash):"
    ]
    for scenario, variants in ratios(summaries).items():
        cells = "; ".join(
            f"{fn}/history_floor {v['fn/history_floor cost']:.2f}x, {fn}/app_lean {v['fn/app_lean speed-up']:.2f}x,"
            f" {fn}/app {v['fn/app speed-up']:.2f}x, {fn}/cascade_floor {v['fn/cascade_floor cost']:.2f}x,"
            f" {fn}/plpgsql_floor {v['fn/plpgsql_floor cost']:.2f}x, {fn}/floor {v['fn/floor cost']:.2f}x"
            for fn, v in variants.items()
            if fn in FN_VARIANTS
        )
        floors = ", ".join(
            f"{name}/cascade_floor {variants[name][f'{name}/cascade_floor cost']:.2f}x" for name in LOCK_ORDER_FLOORS
        )
        cascade = variants["cascade_floor"]["cascade_floor/floor cost"]
        history = variants["history_floor"]["history_floor/cascade_floor cost"]
        lines.append(
            f"  {scenario}: {cells}; {floors}; history_floor/cascade_floor {history:.2f}x;"
            f" cascade_floor/floor {cascade:.2f}x"
        )
    lines.append(
        "History (fn_prepared/fn_no_history: cost per transition with the transition history recorded, 1.0 is free):"
    )
    lines += [f"  {scenario}: {cost:.2f}x" for scenario, cost in history_cost(summaries).items()]
    return "\n".join(lines)


def write_json(path: Path, summaries: list[Summary], results: list[RunResult], meta: dict[str, Any]) -> None:
    checks = targets(summaries)
    document = {
        **meta,
        "summary": [s.__dict__ for s in summaries],
        "ratios": ratios(summaries),
        "history_cost": history_cost(summaries),
        "targets": [c.__dict__ for c in checks],
        "runs": [
            {k: v for k, v in r.__dict__.items() if k != "latencies"} | {"throughput": r.throughput} for r in results
        ],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def write_chart(path: Path, summaries: list[Summary], title: str) -> None:
    """Grouped bars: throughput per scenario, and p50 / p99 latency (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = list(dict.fromkeys(s.scenario for s in summaries))
    width = 0.8 / len(IMPLEMENTATIONS)
    figure, (speed, latency) = plt.subplots(1, 2, figsize=(13, 5))
    for i, implementation in enumerate(IMPLEMENTATIONS):
        rows = [_find(summaries, implementation, scenario) for scenario in scenarios]
        xs = [x + (i - (len(IMPLEMENTATIONS) - 1) / 2) * width for x in range(len(scenarios))]
        speed.bar(xs, [r.throughput for r in rows], width, label=implementation)
        bars = latency.bar(xs, [r.p50_ms for r in rows], width, label=f"{implementation} p50")
        latency.scatter(xs, [r.p99_ms for r in rows], marker="_", s=300, color=bars.patches[0].get_facecolor())
    for axis, ylabel in ((speed, "transitions per second"), (latency, "latency, ms (bar p50, dash p99)")):
        axis.set_xticks(range(len(scenarios)), scenarios)
        axis.set_ylabel(ylabel)
        axis.grid(axis="y", alpha=0.3)
    latency.set_yscale("log")
    speed.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
