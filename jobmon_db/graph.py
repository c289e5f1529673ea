"""Draw the two state machines from the lookup tables (`jobmon-db graph`).

The task-instance machine comes from jobmon.task_instance_transition (valid
moves solid, untimely ones dotted), the task machine from
jobmon.task_transition (kind 'cascade' solid, any other kind dashed and
labelled with its kind). With counts, every edge is labelled with how often
the history (jobmon.transition_history) took it. Output: Mermaid or DOT
text, or SVG/PNG made by Graphviz ``dot``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

FORMATS = ("mermaid", "dot", "svg", "png")
MACHINES = ("task_instance", "task")
START = "start"  # the node new rows come from
OFF_RULES = "not in the rules"  # kind of a move the history holds that no rule allows
SOLID = ("valid", "cascade", "initial")


@dataclass(frozen=True)
class Edge:
    from_status: str
    to_status: str
    kind: str  # 'valid' / 'untimely' (task instance), 'cascade' or another kind (task)
    count: int | None = None  # how often the history took it (None: not asked)


@dataclass(frozen=True)
class Machine:
    name: str  # 'task_instance' or 'task'
    title: str
    statuses: list[tuple[str, str]]  # (code, label)
    initial: str
    edges: list[Edge]


_QUERIES = {
    "task_instance": (
        "Task instance",
        "select id, label from jobmon.task_instance_status order by id",
        "select from_status, to_status, kind from jobmon.task_instance_transition"
        " order by kind = 'untimely', from_status, to_status",
        "TaskInstance",
        "Q",
    ),
    "task": (
        "Task",
        "select id, label from jobmon.task_status order by id",
        "select from_status, to_status, kind from jobmon.task_transition"
        " order by kind <> 'cascade', kind, from_status, to_status",
        "Task",
        "G",
    ),
}

_COUNTS_SQL = """
select coalesce(from_status, '') as from_status, to_status, count(*)
  from jobmon.transition_history
 where model = %s
 group by 1, 2
"""


def read_machine(conn: psycopg.Connection[Any], name: str, counts: bool = False) -> Machine:
    """One machine as the database holds it; with counts, how often the history took each edge."""
    title, statuses_sql, edges_sql, model, initial = _QUERIES[name]
    statuses = [(str(code), str(label)) for code, label in conn.execute(statuses_sql).fetchall()]
    taken: dict[tuple[str, str], int] = {}
    if counts:
        taken = {(f or START, t): n for f, t, n in conn.execute(_COUNTS_SQL, (model,)).fetchall()}
    edges = [Edge(START, initial, "initial", taken.get((START, initial)) if counts else None)]
    edges += [Edge(f, t, k, taken.get((f, t), 0) if counts else None) for f, t, k in conn.execute(edges_sql).fetchall()]
    # Moves the history holds that no rule allows (written around the functions).
    drawn = {(e.from_status, e.to_status) for e in edges}
    edges += [Edge(f, t, OFF_RULES, n) for (f, t), n in sorted(taken.items()) if (f, t) not in drawn]
    return Machine(name, title, statuses, initial, edges)


def read_machines(
    conn: psycopg.Connection[Any], names: Iterable[str] = MACHINES, counts: bool = False
) -> list[Machine]:
    return [read_machine(conn, name, counts) for name in names]


def _count_label(edge: Edge) -> str:
    return "" if edge.count is None else f"×{edge.count}"


def _edge_label(edge: Edge) -> str:
    words = [] if edge.kind in SOLID else [edge.kind]
    if edge.count is not None:
        words.append(_count_label(edge))
    return " ".join(words)


def mermaid(machine: Machine) -> str:
    """A Mermaid flowchart: solid arrows for valid and cascade moves, dotted for untimely, dashed for other kinds."""
    lines = ["flowchart LR", f"    {START}(( ))"]
    lines += [f'    {code}["{code} {label}"]' for code, label in machine.statuses]
    for edge in machine.edges:
        label = _edge_label(edge)
        if edge.kind in SOLID:
            arrow = f"-->|{label}|" if label else "-->"
        else:
            arrow = f"-.->|{label}|"
        lines.append(f"    {edge.from_status} {arrow} {edge.to_status}")
    # Untimely moves grey; task moves of other kinds blue; moves off the rules red.
    for number, edge in enumerate(machine.edges):
        if edge.kind not in SOLID:
            lines.append(f"    linkStyle {number} {_MERMAID_STYLES.get(edge.kind, _MERMAID_STYLES['other'])}")
    return "\n".join(lines) + "\n"


_MERMAID_STYLES = {
    "untimely": "stroke:#999,color:#777",
    OFF_RULES: "stroke:#c00,color:#c00",
    "other": "stroke:#36c,color:#36c",
}
_DOT_STYLES = {
    "untimely": 'style=dotted, color="#999999", fontcolor="#777777"',
    OFF_RULES: 'style=bold, color="#cc0000", fontcolor="#cc0000"',
    "other": 'style=dashed, color="#3366cc", fontcolor="#3366cc"',
}


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(machines: list[Machine]) -> str:
    """Graphviz DOT: one cluster per machine."""
    lines = ["digraph jobmon {", "    rankdir=LR;", '    node [shape=box, style=rounded, fontname="Helvetica"];']
    lines.append('    edge [fontname="Helvetica", fontsize=10];')
    for machine in machines:
        prefix = machine.name
        lines.append(f"    subgraph cluster_{prefix} {{")
        lines.append(f"        label={_dot_quote(machine.title)};")
        lines.append(f'        {prefix}_{START} [shape=point, width=0.15, label=""];')
        for code, label in machine.statuses:
            node_label = _dot_quote(code)[:-1] + "\\n" + _dot_quote(label)[1:]
            lines.append(f"        {prefix}_{code} [label={node_label}];")
        for edge in machine.edges:
            attributes = [] if edge.kind in SOLID else [_DOT_STYLES.get(edge.kind, _DOT_STYLES["other"])]
            label = _edge_label(edge)
            if label:
                attributes.append(f"label={_dot_quote(label)}")
            suffix = f" [{', '.join(attributes)}]" if attributes else ""
            lines.append(f"        {prefix}_{edge.from_status} -> {prefix}_{edge.to_status}{suffix};")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


class GraphvizMissing(RuntimeError):
    """Graphviz's `dot` is not installed."""


def render(dot_text: str, image_format: str) -> bytes:
    """SVG or PNG of DOT text, made by Graphviz `dot` (Debian: apt-get install graphviz)."""
    if image_format not in ("svg", "png"):
        raise ValueError(f"not an image format: {image_format!r}")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing("Graphviz's dot is not installed (Debian: apt-get install graphviz); use --format dot")
    finished = subprocess.run([program, f"-T{image_format}"], input=dot_text.encode(), capture_output=True, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"dot failed: {finished.stderr.decode(errors='replace').strip()}")
    return finished.stdout


def draw(
    conn: psycopg.Connection[Any], output_format: str, names: Iterable[str] = MACHINES, counts: bool = False
) -> bytes:
    """The machines in one of FORMATS: Mermaid (one chart per machine, titled by a comment when several), DOT,
    SVG or PNG."""
    machines = read_machines(conn, names, counts)
    if output_format == "mermaid":
        if len(machines) == 1:
            return mermaid(machines[0]).encode()
        return "\n".join(f"%% {m.title}\n{mermaid(m)}" for m in machines).encode()
    text = dot(machines)
    if output_format == "dot":
        return text.encode()
    return render(text, output_format)
