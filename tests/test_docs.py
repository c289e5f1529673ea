"""The state diagrams in docs/state-machine.md are what `jobmon-db graph` draws from the transition tables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobmon_db.cli import main

DOC = (Path(__file__).resolve().parent.parent / "docs" / "state-machine.md").read_text(encoding="utf-8")


def _diagram(heading: str) -> str:
    block = DOC.split(f"## {heading}\n", 1)[1].split("```", 2)[1]
    assert block.startswith("mermaid\n")
    return block.removeprefix("mermaid\n")


@pytest.mark.parametrize(("heading", "machine"), [("Task instance", "task_instance"), ("Task", "task")])
def test_the_diagram_is_the_output_of_jobmon_db_graph(heading, machine, db_dsn, capsys):
    assert main(["--dsn", db_dsn, "graph", "--machine", machine]) == 0
    assert _diagram(heading) == capsys.readouterr().out


def test_task_instance_diagram_draws_the_transition_table(conn):
    edges = set(re.findall(r"^    ([A-Z]) (-->|-\.->\|untimely\|) ([A-Z])$", _diagram("Task instance"), re.MULTILINE))
    rows = conn.execute("select from_status, to_status, kind from jobmon.task_instance_transition").fetchall()
    assert edges == {(f, "-->" if k == "valid" else "-.->|untimely|", t) for f, t, k in rows}


def test_untimely_table_lists_the_untimely_transitions(conn):
    rows = conn.execute("select from_status, to_status from jobmon.task_instance_transition where kind = 'untimely'")
    assert set(re.findall(r"^\| ([A-Z]) → ([A-Z]) \|", DOC, flags=re.MULTILINE)) == set(rows.fetchall())


def test_task_diagram_draws_the_task_transitions(conn):
    edges = set(re.findall(r"^    ([A-Z]) (-->|-\.->\|\w+\|) ([A-Z])$", _diagram("Task"), re.MULTILINE))
    rows = conn.execute("select from_status, to_status, kind from jobmon.task_transition").fetchall()
    assert edges == {(f, "-->" if k == "cascade" else f"-.->|{k}|", t) for f, t, k in rows}


def test_resume_section_lists_the_resume_task_transitions(conn):
    rows = conn.execute("select from_status, to_status from jobmon.task_transition where kind = 'resume'")
    section = DOC.split("## Resume\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^- task ([A-Z]) to ([A-Z]):", section, flags=re.MULTILINE))
    assert listed == set(rows.fetchall())


#: Which actor calls each call-site function (CALL_SITES.md of the reference), by its participant letter.
CALLERS = {
    "log_distributor_id": "D",
    "log_no_distributor_id": "D",
    "log_running": "W",
    "log_heartbeat": "W",
    "log_done": "W",
    "log_error": "W",
    "log_unknown_error": "R",
}


def test_the_life_of_a_task_instance_names_the_function_each_actor_calls():
    diagram = _diagram("One task instance's life across the actors")
    assert diagram.startswith("sequenceDiagram\n")
    calls = set(re.findall(r"^\s*(\w)->>DB: (\w+)\(", diagram, flags=re.MULTILINE))
    assert {(actor, function) for function, actor in CALLERS.items()} <= calls
