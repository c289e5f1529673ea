"""Every python and sql example of README.md runs as written, after the README's first command.

The first command is `jobmon-db migrate && jobmon-db simulate` on the
default database; here the default database (libpq's PG* variables) is a
fresh test database, and the simulation is a small one (the default takes
half a minute; tests/test_simulate.py runs it with every fault). Blocks
are found by their fence (```python, ```sql); a block preceded by
`<!-- not run by tests: reason -->` is skipped, so new examples are tested
unless someone says why not.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from jobmon_db.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(?P<skip><!-- not run by tests:[^>]*-->\n)?```(?P<lang>python|sql)\n(?P<code>.*?)```", re.DOTALL)
BLOCKS = [(m.group("lang"), m.group("code"), m.start()) for m in BLOCK.finditer(README) if not m.group("skip")]


def _libpq_env(dsn: str) -> dict[str, str]:
    """An environment whose libpq defaults point at `dsn`, as a reader's would after `export PG...`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "JOBMON_DB_DSN"}
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE"}
    env.update({names[k]: str(v) for k, v in conninfo_to_dict(dsn).items() if k in names and v is not None})
    return env


def test_the_readme_has_runnable_examples_of_both_kinds():
    assert {lang for lang, _, _ in BLOCKS} == {"python", "sql"}
    assert README.index("jobmon-db migrate && jobmon-db simulate") < min(start for _, _, start in BLOCKS)


@pytest.mark.parametrize(("lang", "code"), [(lang, code) for lang, code, _ in BLOCKS])
def test_readme_example_runs(lang, code, db_dsn, monkeypatch, capsys):
    if "from jobmon.client" in code:
        pytest.importorskip("jobmon.server.web.api", reason="upstream Jobmon 3.6 is not installed")
    env = _libpq_env(db_dsn)
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "JOBMON_DB_DSN"):
        monkeypatch.delenv(name, raising=False)
        if name in env:
            monkeypatch.setenv(name, env[name])
    # The README's first command, on the default database.
    assert main(["migrate"]) == 0
    assert main(["simulate", "--tasks", "20", "--workers", "2", "--heartbeat", "0.05", "--no-progress"]) == 0
    capsys.readouterr()
    if lang == "sql":
        with psycopg.connect("", autocommit=True) as conn:
            conn.execute(code)
    else:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
