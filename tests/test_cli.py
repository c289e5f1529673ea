"""The jobmon-db command line, run in-process against a test database."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import psycopg
import pytest

from jobmon_db import TaskInstanceStatus
from jobmon_db.cli import build_parser, main
from jobmon_db.connection import resolve_dsn
from jobmon_db.migrate import MAX_LOCK_TIMEOUT_MS
from tests.factories import make_task_instance


def test_dsn_comes_from_the_option_then_the_environment_then_libpq_defaults(monkeypatch):
    monkeypatch.setenv("JOBMON_DB_DSN", "dbname=from_env")
    assert resolve_dsn("dbname=from_option") == "dbname=from_option"
    assert resolve_dsn(None) == "dbname=from_env"
    monkeypatch.delenv("JOBMON_DB_DSN")
    assert resolve_dsn(None) == ""


def test_transition_accepts_codes_and_labels(conn, db_dsn, capsys):
    ti, task = make_task_instance(conn, "Q", "Q", num_attempts=1)
    assert main(["--dsn", db_dsn, "transition", str(ti), "I"]) == 0
    assert main(["transition", str(ti), "LAUNCHED", "--dsn", db_dsn]) == 0
    assert main(["--dsn", db_dsn, "transition", str(ti), "running", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"task_instance {ti}: Q (QUEUED) -> I (INSTANTIATED); task {task}: Q -> I (attempts 1)"
    assert json.loads(out[2])["status"] == "R"


def test_transition_uses_the_environment_dsn(conn, db_dsn, monkeypatch, capsys):
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    monkeypatch.setenv("JOBMON_DB_DSN", db_dsn)
    assert main(["transition", str(ti), "I"]) == 0
    assert "-> I (INSTANTIATED)" in capsys.readouterr().out


def test_untimely_request_succeeds_with_a_warning(conn, db_dsn, capsys):
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1)
    assert main(["--dsn", db_dsn, "transition", str(ti), "O"]) == 0
    captured = capsys.readouterr()
    assert "untimely request ignored" in captured.out
    assert "untimely transition" in captured.err


def test_refused_transition_exits_1_with_the_allowed_targets(conn, db_dsn, capsys):
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    assert main(["--dsn", db_dsn, "transition", str(ti), "D"]) == 1
    err = capsys.readouterr().err
    assert f"Cannot transition TaskInstance id: {ti} from Q to D" in err
    assert "I (INSTANTIATED), K (KILL_SELF)" in err


@pytest.mark.parametrize("argv", [["transition", "1", "BOGUS"], ["transition", "abc", "R"], ["show", "-3"], []])
def test_bad_usage_exits_2(argv, db_dsn, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--dsn", db_dsn, *argv])
    assert exited.value.code == 2
    assert "usage: jobmon-db" in capsys.readouterr().err


def test_show_prints_task_instance_and_task(conn, db_dsn, capsys):
    ti, task = make_task_instance(conn, "R", "R", num_attempts=2, max_attempts=3)
    assert main(["--dsn", db_dsn, "show", str(ti)]) == 0
    text = capsys.readouterr().out
    assert f"task_instance {ti}: R (RUNNING)" in text and f"task          {task}: R (RUNNING)" in text
    assert "attempts 2 of 3" in text
    assert main(["--dsn", db_dsn, "show", str(ti), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["task_id"] == task


def test_show_of_a_missing_task_instance_exits_1(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "show", "999999"]) == 1
    assert "TaskInstance id: 999999 not found" in capsys.readouterr().err


def test_unreachable_database_exits_1_with_the_reason(capsys):
    assert main(["--dsn", "host=127.0.0.1 port=1 connect_timeout=2", "show", "1"]) == 1
    assert "jobmon-db: error:" in capsys.readouterr().err


def test_migrate_status_rollback_cycle(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["--dsn", db_dsn, "status"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["applied", "0001_schema"]  # after the releases
    assert main(["--dsn", db_dsn, "rollback"]) == 1  # not confirmed: no terminal to ask
    assert main(["--dsn", db_dsn, "rollback", "--all", "--yes"]) == 0
    assert main(["--dsn", db_dsn, "status"]) == 0
    assert capsys.readouterr().out.count("pending") >= 3
    assert main(["--dsn", db_dsn, "migrate"]) == 0
    assert "applied 0001_schema" in capsys.readouterr().out


def test_demo_walks_a_task_instance_through_its_life(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "demo"]) == 0
    out = capsys.readouterr().out
    assert "R (RUNNING) -> D (DONE)" in out and "untimely request ignored" in out and "refused:" in out
    assert "D (DONE)" in out.splitlines()[-2]


def test_demo_makes_every_move_through_the_functions(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "demo"]) == 0
    with psycopg.connect(db_dsn) as conn:
        moves = conn.execute(
            "select model, from_status, to_status, function_name from jobmon.transition_history"
        ).fetchall()
    assert moves and all(function_name is not None for *_, function_name in moves), moves
    assert ("Task", "G", "Q", "queue_task_batch") in moves


def test_demo_registers_its_task_through_bind_tasks(db_dsn, capsys):
    assert main(["--dsn", db_dsn, "demo"]) == 0
    with psycopg.connect(db_dsn) as conn:
        (workflow_id,) = conn.execute("select id from jobmon.workflow where name = 'jobmon-db demo'").fetchone()
        rebound = conn.execute(
            "select outcome from jobmon.bind_tasks(%s, '{1}', '{demo}', '{null}', '{null}', '{demo task}', '{null}',"
            " '{2}', '{null}', '{null}', '{false}')",
            (workflow_id,),
        ).fetchall()
    assert rebound == [("unchanged",)]  # the same key: bind_tasks finds the demo's task, which ended D


@pytest.mark.parametrize("option", ["--remove", "--check"])
def test_a_workflow_id_option_names_a_workflow_in_its_error(option, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["simulate", option, "x"])
    assert exited.value.code == 2
    assert f"argument {option}: not a workflow id: 'x'" in capsys.readouterr().err


def test_a_closed_pipe_ends_the_command_quietly(db_dsn):
    command = [sys.executable, "-m", "jobmon_db", "--dsn", db_dsn, "status"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # what `| head -1` does
        err = process.stderr.read()
        process.wait(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err
    assert process.returncode in (0, 141)


def test_the_simulate_options_have_their_bounds_written_once(capsys):
    from jobmon_db.simulate import LIMITS, SimulationOptions

    for name, (low, high) in LIMITS.items():
        kind = int if isinstance(low, int) and isinstance(high, int) else float
        too_big = kind(high) + 1
        with pytest.raises(SystemExit):
            main(["simulate", f"--{name}", str(too_big)])
        assert f"must be between {low:g} and {high:g}" in capsys.readouterr().err
        options = SimulationOptions(**{name.replace("-", "_"): too_big})
        assert any(problem.startswith(f"--{name} must be between") for problem in options.problems())


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("jobmon-db 0.")


# --- What a newcomer trips over ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["transition", "1", "R"], ["show", "1"], ["demo"], ["transition", "1", "R", "--json"]]
)
def test_commands_against_a_database_never_migrated_say_to_run_migrate(argv, empty_dsn, capsys):
    assert main(["--dsn", empty_dsn, *argv]) == 1
    captured = capsys.readouterr()
    text = captured.out if "--json" in argv else captured.err
    assert "run `jobmon-db migrate` first" in text
    if "--json" in argv:
        assert json.loads(text)["error"]["sqlstate"] == "3F000"


def test_transition_waits_at_most_the_lock_timeout_and_reports_json_errors_on_stdout(conn, db_dsn, capsys):
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1)
    with psycopg.connect(db_dsn) as holder:
        holder.execute("select 1 from jobmon.task_instance where id = %s for update", (ti,))
        started = time.monotonic()
        assert main(["--dsn", db_dsn, "transition", str(ti), "D", "--lock-timeout", "200ms", "--json"]) == 1
        assert time.monotonic() - started < 10
        holder.rollback()
    captured = capsys.readouterr()
    error = json.loads(captured.out)["error"]
    assert error["sqlstate"] == "55P03" and error["retryable"] is True
    assert "nothing was changed" in error["message"]
    assert set(error) == {"sqlstate", "message", "detail", "hint", "retryable"}
    assert main(["--dsn", db_dsn, "transition", str(ti), "Q", "--json"]) == 1  # refused
    refused = json.loads(capsys.readouterr().out)["error"]
    assert refused["sqlstate"] == "JM001" and refused["retryable"] is False and "D (DONE)" in refused["detail"]
    assert main(["--dsn", db_dsn, "transition", str(ti), "D", "--lock-timeout", "1s"]) == 0


@pytest.mark.parametrize("longest", [f"{MAX_LOCK_TIMEOUT_MS}ms", f"{MAX_LOCK_TIMEOUT_MS}", "24d"])
def test_the_longest_lock_timeout_the_cli_takes_is_one_the_server_takes(longest, conn, db_dsn, capsys):
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1)
    assert main(["--dsn", db_dsn, "transition", str(ti), "D", "--lock-timeout", longest]) == 0, capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--dsn", db_dsn, "transition", str(ti), "D", "--lock-timeout", f"{MAX_LOCK_TIMEOUT_MS + 1}ms"])
    assert exited.value.code == 2
    assert "lock timeout too long" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["transition", str(2**63), "R"],
        ["show", "99999999999999999999"],
        ["--dsn", "host=db =oops", "status"],
        ["--dsn", "postgresql://[bad", "migrate"],
        ["rollback", "--lock-timeout", "later"],
        ["transition", "1", "R", "--lock-timeout", "forever"],
        ["transition", "1", "R", "--lock-timeout", "1000000000000ms"],  # PostgreSQL would refuse it: exit 1
        ["migrate", "--lock-timeout", "25d"],
        ["rollback", "--lock-timeout", "2147483648"],
    ],
)
def test_more_bad_usage_exits_2(argv, db_dsn, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--dsn", db_dsn, *argv])
    assert exited.value.code == 2
    assert "usage: jobmon-db" in capsys.readouterr().err


def test_a_malformed_dsn_in_the_environment_is_a_usage_error_naming_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("JOBMON_DB_DSN", "host=db =oops")
    with pytest.raises(SystemExit) as exited:
        main(["status"])
    assert exited.value.code == 2
    assert "$JOBMON_DB_DSN is not a libpq connection string" in capsys.readouterr().err


def test_every_command_has_a_description_and_transition_help_lists_the_statuses(capsys):
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in commands.choices.items():
        assert subparser.description and len(subparser.description) > 20, name
    with pytest.raises(SystemExit):
        main(["transition", "--help"])
    text = capsys.readouterr().out
    for status in TaskInstanceStatus:
        assert f"  {status.value} {status.name}\n" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "applied, pending, changed or missing" in " ".join(capsys.readouterr().out.split())
