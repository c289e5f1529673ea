"""The upstream-tests CI step (.ci/upstream-tests): its list of expected failures, its doc, its plugin.

The step itself (upstream Jobmon's own suites through `jobmon-db jobmon-server`,
about 20 minutes) runs from .ci/run, not here; these tests keep its pieces in step.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "upstream-tests.md"
ROW = re.compile(r"^\| `(?P<nodeid>tests/[^`]+)` \| (?P<kind>\w+) \|")


def _plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "jobmon_db_upstream", ROOT / "tests_upstream" / "jobmon_db_upstream.py"
    )
    assert spec is not None and spec.loader is not None
    if spec.name in sys.modules:
        return sys.modules[spec.name]
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def _doc_rows(heading: str) -> list[tuple[str, str]]:
    """The (nodeid, kind) rows of the table under `heading` in docs/upstream-tests.md."""
    section = DOC.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [(m["nodeid"], m["kind"]) for line in section.splitlines() if (m := ROW.match(line))]


def test_the_doc_lists_exactly_the_expected_failures_of_the_list_file():
    listed = [(e.nodeid, e.kind) for e in _plugin().read_expected_failures()]
    assert listed, "the list is read"
    assert len(set(listed)) == len(listed)
    assert sorted(_doc_rows("Expected failures")) == sorted(listed)


def test_the_doc_names_every_suite_the_step_runs():
    suites = [line for line in (ROOT / "tests_upstream" / "suites.txt").read_text().splitlines() if line.strip()]
    text = DOC.read_text()
    assert suites and all(f"`{suite}`" in text for suite in suites)


def test_ci_runs_the_step():
    assert ".ci/upstream-tests" in (ROOT / ".ci" / "run").read_text()
    assert "suites.txt" in (ROOT / ".ci" / "upstream-tests").read_text()


@pytest.mark.parametrize(
    "line",
    [
        "tests/x.py::test_a | flaky | upstream's own flakiness",  # not a kind
        "tests/x.py::test_a | bug",  # no reason
        "tests/x.py::test_a | bug | a | b",
    ],
)
def test_a_malformed_line_is_refused_with_its_number(tmp_path, line):
    path = tmp_path / "list.txt"
    path.write_text(f"# comment\n\n{line}\n")
    with pytest.raises(ValueError, match=r"list.txt:3: expected"):
        _plugin().read_expected_failures(path)


def test_upstream_tests_mysql_sql_is_made_postgresql():
    rewrite = _plugin()._test_sql_for_postgresql
    statement, params = rewrite(None, None, 'UPDATE workflow SET status="F" WHERE id=1', {"a": 1}, None, False)
    assert (statement, params) == ("UPDATE workflow SET status = 'F' WHERE id=1", {"a": 1})
    statement, _ = rewrite(None, None, 'SELECT id FROM array WHERE id = 2; SELECT 1 FROM "array"', None, None, False)
    assert statement == 'SELECT id FROM "array" WHERE id = 2; SELECT 1 FROM "array"'
