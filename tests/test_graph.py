"""`jobmon-db graph` draws exactly the transition tables, styled by kind, with counts from the history."""

from __future__ import annotations

import re
import shutil

import pytest

from jobmon_db import graph, transition_task_instance
from jobmon_db.cli import main
from jobmon_db.swarm import queue_task_batch
from tests.factories import make_array, make_array_tasks

MERMAID_EDGE = re.compile(r"^    (\w+) (-->|-\.->)(?:\|([^|]*)\|)? (\w+)$", re.MULTILINE)


def _mermaid_edges(text: str) -> set[tuple[str, str, str, str]]:
    return {(f, arrow, label or "", t) for f, arrow, label, t in MERMAID_EDGE.findall(text)}


def test_mermaid_task_instance_machine_is_the_table(conn):
    drawn = _mermaid_edges(graph.draw(conn, "mermaid", ["task_instance"]).decode())
    rows = conn.execute("select from_status, to_status, kind from jobmon.task_instance_transition").fetchall()
    expected = {(f, "-->" if k == "valid" else "-.->", "" if k == "valid" else "untimely", t) for f, t, k in rows}
    assert drawn == expected | {("start", "-->", "", "Q")}
    nodes = set(
        re.findall(r'^    ([A-Z])\["\1 (\w+)"\]$', graph.draw(conn, "mermaid", ["task_instance"]).decode(), re.M)
    )
    assert nodes == set(conn.execute("select id, label from jobmon.task_instance_status").fetchall())


def test_task_moves_of_another_kind_are_drawn_apart(conn):
    # The migrations have resume moves; a kind of this test's own shows any other kind is drawn apart too.
    conn.execute(
        "insert into jobmon.task_transition (from_status, to_status, kind, reason) values ('R', 'A', 'adjust', 'x')"
    )
    text = graph.draw(conn, "mermaid", ["task"]).decode()
    rows = conn.execute("select from_status, to_status, kind from jobmon.task_transition").fetchall()
    expected = {(f, "-->" if k == "cascade" else "-.->", "" if k == "cascade" else k, t) for f, t, k in rows}
    assert _mermaid_edges(text) == expected | {("start", "-->", "", "G")}
    assert {("R", "-.->", "resume", "G"), ("R", "-.->", "adjust", "A")} <= _mermaid_edges(text)
    assert "linkStyle" in text
    dot_text = graph.draw(conn, "dot", ["task"]).decode()
    assert re.search(r'task_R -> task_G \[style=dashed, [^]]*label="resume"\];', dot_text)


def test_dot_draws_both_machines_with_every_edge_once(conn):
    text = graph.draw(conn, "dot").decode()
    for name, table, kind_style in (
        ("task_instance", "task_instance_transition", {"valid": "", "untimely": "style=dotted"}),
        ("task", "task_transition", {"cascade": "", "resume": 'style=dashed, color="#3366cc"'}),
    ):
        for f, t, k in conn.execute(f"select from_status, to_status, kind from jobmon.{table}").fetchall():
            # A pair can be a move of two kinds (E -> G: a cascade and a resume): one edge per kind.
            lines = [
                line
                for line in text.splitlines()
                if line.strip().startswith(f"{name}_{f} -> {name}_{t}")
                and (kind_style[k] in line if kind_style[k] else "style=" not in line)
            ]
            assert len(lines) == 1, (name, f, t, k)


def test_counts_come_from_the_history(conn):
    array_id, run_id, res_id = make_array(conn)
    tasks = make_array_tasks(conn, array_id, ["G", "G"], max_attempts=2)
    for row in queue_task_batch(conn, tasks, array_id, res_id, run_id):
        assert row.task_instance_id is not None
        for status in "IORE":
            transition_task_instance(conn, row.task_instance_id, status)
    # A move no rule allows, as a write around the functions left it in an older database's history.
    conn.execute(
        "insert into jobmon.transition_history (model, object_id, task_id, from_status, to_status)"
        " select 'Task', t, t, 'G', 'D' from unnest(%s::bigint[]) t",
        (tasks,),
    )
    instance = _mermaid_edges(graph.draw(conn, "mermaid", ["task_instance"], counts=True).decode())
    assert {("Q", "-->", "×2", "I"), ("R", "-->", "×2", "E"), ("R", "-->", "×0", "D"), ("start", "-->", "×2", "Q")} <= (
        instance
    )
    assert ("R", "-.->", "untimely ×0", "O") in instance
    task = _mermaid_edges(graph.draw(conn, "mermaid", ["task"], counts=True).decode())
    assert {("R", "-->", "×2", "E"), ("E", "-->", "×2", "G"), ("G", "-.->", "not in the rules ×2", "D")} <= task


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed (apt-get install graphviz)")
@pytest.mark.parametrize(("image_format", "magic"), [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_images_are_rendered_by_graphviz(image_format, magic, db_dsn, tmp_path):
    out = tmp_path / f"machines.{image_format}"
    assert main(["--dsn", db_dsn, "graph", "--format", image_format, "--output", str(out), "--counts"]) == 0
    assert magic in out.read_bytes()[:400]


def test_cli_prints_both_machines_by_default(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "graph"]) == 0
    out = capsys.readouterr().out
    assert out.count("flowchart LR") == 2 and "%% Task instance" in out and "%% Task\n" in out
    assert main(["--dsn", db_dsn, "graph", "--format", "dot", "--machine", "task"]) == 0
    dot_out = capsys.readouterr().out
    assert dot_out.startswith("digraph jobmon {") and "cluster_task_instance" not in dot_out
