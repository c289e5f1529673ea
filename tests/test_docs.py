"""The state diagrams in docs/state-machine.md match the transition tables."""

from __future__ import annotations

import re
from pathlib import Path

DOC = (Path(__file__).resolve().parent.parent / "docs" / "state-machine.md").read_text(encoding="utf-8")


def _diagram_edges(heading: str) -> set[tuple[str, str]]:
    section = DOC.split(f"## {heading}\n", 1)[1].split("```", 2)[1]
    return set(re.findall(r"^\s+([A-Z]) --> ([A-Z])$", section, flags=re.MULTILINE))


def test_task_instance_diagram_draws_the_valid_transitions(conn):
    rows = conn.execute("select from_status, to_status from jobmon.task_instance_transition where kind = 'valid'")
    assert _diagram_edges("Task instance") == set(rows.fetchall())


def test_untimely_table_lists_the_untimely_transitions(conn):
    rows = conn.execute("select from_status, to_status from jobmon.task_instance_transition where kind = 'untimely'")
    assert set(re.findall(r"^\| ([A-Z]) → ([A-Z]) \|", DOC, flags=re.MULTILINE)) == set(rows.fetchall())


def test_task_diagram_draws_the_task_transitions(conn):
    rows = conn.execute("select from_status, to_status from jobmon.task_transition where kind = 'cascade'")
    assert _diagram_edges("Task") == set(rows.fetchall())


def test_resume_section_lists_the_resume_task_transitions(conn):
    rows = conn.execute("select from_status, to_status from jobmon.task_transition where kind = 'resume'")
    section = DOC.split("## Resume\n", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^- task ([A-Z]) to ([A-Z]):", section, flags=re.MULTILINE))
    assert listed == set(rows.fetchall())
