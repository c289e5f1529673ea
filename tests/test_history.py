"""The transition history: one row per applied move, written in the move's transaction, in id order."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobmon_db import InvalidStateTransition, TaskInstanceNotFound, transition_task_instance
from jobmon_db.cli import main
from jobmon_db.history import history_enabled, set_history, task_instance_history
from jobmon_db.swarm import queue_task_batch
from tests.factories import make_array, make_array_batch, make_array_tasks, make_task_instance

SQL_FILE = Path(__file__).resolve().parent.parent / "sql" / "80_history.sql"


def moves(conn: psycopg.Connection[Any], ti: int) -> list[tuple[str, int, str | None, str, int | None]]:
    """(model, object id, from, to, caused by) of the task instance's history, in history order."""
    return [
        (e.model, e.object_id, e.from_status, e.to_status, e.task_instance_id) for e in task_instance_history(conn, ti)
    ]


def all_rows(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("select count(*) from jobmon.transition_history").fetchone()
    assert row is not None
    return int(row[0])


def queued_instance(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """A task queued by queue_task_batch (G -> Q), with its new task instance: (task_instance_id, task_id)."""
    array_id, run_id, res_id = make_array(conn)
    (task,) = make_array_tasks(conn, array_id, ["G"])
    (row,) = queue_task_batch(conn, [task], array_id, res_id, run_id)
    assert row.task_instance_id is not None
    return row.task_instance_id, task


def test_creation_and_every_applied_move_of_a_life_in_order(conn):
    ti, task = queued_instance(conn)
    for status in "IORD":
        transition_task_instance(conn, ti, status)
    assert moves(conn, ti) == [
        ("TaskInstance", ti, None, "Q", ti),
        ("Task", task, "G", "Q", None),  # a queueing: no task instance's move caused it
        ("TaskInstance", ti, "Q", "I", ti),
        ("Task", task, "Q", "I", ti),
        ("TaskInstance", ti, "I", "O", ti),
        ("Task", task, "I", "O", ti),
        ("TaskInstance", ti, "O", "R", ti),
        ("Task", task, "O", "R", ti),
        ("TaskInstance", ti, "R", "D", ti),
        ("Task", task, "R", "D", ti),
    ]
    entries = task_instance_history(conn, ti)
    assert [e.id for e in entries] == sorted(e.id for e in entries)
    assert {e.function_name for e in entries[2:]} == {"transition_task_instance"}
    assert {e.function_name for e in entries[:2]} == {"queue_task_batch"}


def test_an_error_cascade_records_each_task_step(conn):
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=2)
    transition_task_instance(conn, ti, "E")
    assert moves(conn, ti) == [
        ("TaskInstance", ti, "R", "E", ti),
        ("Task", task, "R", "E", ti),
        ("Task", task, "E", "G", ti),
    ]
    other, other_task = make_task_instance(conn, "R", "R", num_attempts=1, max_attempts=1)
    transition_task_instance(conn, other, "Z")  # no attempt left: E, then F
    assert moves(conn, other) == [
        ("TaskInstance", other, "R", "Z", other),
        ("Task", other_task, "R", "E", other),
        ("Task", other_task, "E", "F", other),
    ]


def test_a_move_that_does_not_move_the_task_records_the_task_instance_only(conn):
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1)
    transition_task_instance(conn, ti, "T")  # T cascades nothing
    assert moves(conn, ti) == [("TaskInstance", ti, "R", "T", ti)]


def test_untimely_and_refused_moves_write_nothing(conn):
    ti, _ = make_task_instance(conn, "R", "R", num_attempts=1)
    killed, _ = make_task_instance(conn, "K", "G", num_attempts=1)  # a task reset by a resume
    before = all_rows(conn)
    assert transition_task_instance(conn, ti, "O").untimely
    with pytest.raises(InvalidStateTransition):
        transition_task_instance(conn, ti, "Q")  # JM001
    with pytest.raises(InvalidStateTransition):
        transition_task_instance(conn, killed, "D")  # JM002: task G -> D refused
    row = conn.execute("select outcome from jobmon._move_task_instances(array[%s], 'R')", (ti,)).fetchone()
    assert row is not None and row[0] == "unchanged"
    assert all_rows(conn) == before


def test_a_set_based_move_is_recorded_per_row_with_its_cause(conn):
    ids = [make_task_instance(conn, "I", "I", num_attempts=1) for _ in range(3)]
    conn.execute("select * from jobmon._move_task_instances(%s, 'O')", ([ti for ti, _ in ids],))
    for ti, task in ids:
        assert sorted(moves(conn, ti)) == [("Task", task, "I", "O", ti), ("TaskInstance", ti, "I", "O", ti)]


def test_a_task_move_no_task_instance_caused_has_no_cause(conn):
    array_id, _, _ = make_array(conn)
    [(ti, task)] = make_array_batch(conn, array_id, [("R", "R")])
    workflow = conn.execute("select workflow_id from jobmon.task where id = %s", (task,)).fetchone()
    assert workflow is not None
    conn.execute("select * from jobmon.reset_tasks_for_resume(%s, true)", (workflow[0],))
    conn.execute("select * from jobmon.reset_tasks_for_resume(%s, true)", (workflow[0],))  # already G: no move
    assert moves(conn, ti) == [("Task", task, "R", "G", None)]
    assert {e.function_name for e in task_instance_history(conn, ti)} == {"reset_tasks_for_resume"}


def test_a_direct_write_by_the_owner_is_not_recorded(conn):
    ti, task = make_task_instance(conn, "R", "R", num_attempts=1)  # direct INSERTs
    conn.execute("update jobmon.task set status = 'G' where id = %s", (task,))
    conn.execute("update jobmon.task_instance set status = 'K' where id = %s", (ti,))
    assert moves(conn, ti) == []


def test_a_stale_attempt_moves_alone_and_the_task_keeps_its_history(conn):
    array_id, run_id, res_id = make_array(conn)
    [(old, task)] = make_array_batch(conn, array_id, [("R", "R")], batch_num=99)  # off the array's counter
    workflow = conn.execute("select workflow_id from jobmon.task where id = %s", (task,)).fetchone()
    assert workflow is not None
    conn.execute("select * from jobmon.reset_tasks_for_resume(%s, true)", (workflow[0],))
    (queued,) = queue_task_batch(conn, [task], array_id, res_id, run_id)
    new = queued.task_instance_id
    assert new is not None
    transition_task_instance(conn, old, "D")  # stale: the task is not touched
    transition_task_instance(conn, new, "I")
    assert moves(conn, new) == [
        ("Task", task, "R", "G", None),
        ("TaskInstance", new, None, "Q", new),
        ("Task", task, "G", "Q", None),
        ("TaskInstance", new, "Q", "I", new),
        ("Task", task, "Q", "I", new),
    ]
    assert ("TaskInstance", old, "R", "D", old) in moves(conn, old)


def test_history_order_is_the_order_of_the_moves_even_when_status_dates_go_backwards(db_dsn):
    with (
        psycopg.connect(db_dsn, autocommit=True) as setup,
        psycopg.connect(db_dsn) as early,
        psycopg.connect(db_dsn, autocommit=True) as late,
    ):
        ti, task = make_task_instance(setup, "Q", "Q", num_attempts=1)
        early.execute("select now()")  # its transaction starts first: now() is earlier ...
        transition_task_instance(late, ti, "I")  # ... than this one, which moves first and commits
        transition_task_instance(early, ti, "O")  # moves second, with the earlier status_date
        early.commit()
        entries = [e for e in task_instance_history(setup, ti) if e.from_status is not None]
        dates = setup.execute(
            "select h.id, t.status_date from jobmon.transition_history h, jobmon.task_instance t"
            " where t.id = %s and h.object_id = t.id and h.model = 'TaskInstance' and h.to_status = 'O'",
            (ti,),
        ).fetchone()
    assert [(e.model, e.from_status, e.to_status) for e in entries] == [
        ("TaskInstance", "Q", "I"),
        ("Task", "Q", "I"),
        ("TaskInstance", "I", "O"),
        ("Task", "I", "O"),
    ]
    assert [e.id for e in entries] == sorted(e.id for e in entries)
    assert [e.recorded_at for e in entries] == sorted(e.recorded_at for e in entries)
    assert dates is not None
    # The status dates went backwards: the I -> O move carries the earlier transaction start.
    i_date = [e for e in entries if e.to_status == "I"][0].recorded_at
    assert dates[1] < i_date


def test_role_and_application_name_are_recorded(db_dsn):
    with psycopg.connect(db_dsn, autocommit=True, application_name="history-test") as conn:
        ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
        login = conn.execute("select session_user").fetchone()
        conn.execute("set role jobmon_app")  # current_user inside the function is the owner anyway
        transition_task_instance(conn, ti, "I")
        conn.execute("reset role")
        entries = task_instance_history(conn, ti)
    assert login is not None
    assert {(e.role_name, e.application_name) for e in entries} == {(login[0], "history-test")}


def test_the_read_function_is_granted_to_readonly_and_refuses_unknown_ids(conn):
    ti, _ = make_task_instance(conn, "Q", "Q")
    transition_task_instance(conn, ti, "I")
    conn.execute("set role jobmon_readonly")
    try:
        assert len(task_instance_history(conn, ti)) == 2
        with pytest.raises(TaskInstanceNotFound):
            task_instance_history(conn, 987654321)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            set_history(conn, False)  # owner only
    finally:
        conn.execute("reset role")


def test_the_history_can_be_turned_off_and_on_per_database_and_stays_off_when_reapplied(conn):
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    assert history_enabled(conn)
    assert set_history(conn, False) is False
    assert not history_enabled(conn)
    before = all_rows(conn)
    transition_task_instance(conn, ti, "I")
    make_task_instance(conn, "Q", "Q")
    assert all_rows(conn) == before
    conn.execute(SQL_FILE.read_text(encoding="utf-8"))  # what migrate does when the file changed
    assert not history_enabled(conn)
    assert set_history(conn, True) is True
    transition_task_instance(conn, ti, "O")
    assert moves(conn, ti)[-2:] == [("TaskInstance", ti, "I", "O", ti), ("Task", moves(conn, ti)[-1][1], "I", "O", ti)]
    with pytest.raises(psycopg.errors.NullValueNotAllowed):
        conn.execute("select jobmon.set_history(null)")


def test_cli_history_text_json_and_switch(conn, db_dsn, capsys):
    ti, task = queued_instance(conn)
    transition_task_instance(conn, ti, "I")
    assert main(["--dsn", db_dsn, "history", str(ti)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [re.sub(r"^ *\d+  \S+ \S+  ", "", line).split("  [")[0] for line in lines] == [
        f"task_instance {ti}: created in Q",
        f"task          {task}: G -> Q",
        f"task_instance {ti}: Q -> I",
        f"task          {task}: Q -> I (by task_instance {ti})",
    ]
    assert "[queue_task_batch, " in lines[0]
    assert "[transition_task_instance, " in lines[2]
    assert main(["--dsn", db_dsn, "history", str(ti), "--json"]) == 0
    assert [e["to_status"] for e in json.loads(capsys.readouterr().out)] == ["Q", "Q", "I", "I"]
    assert main(["--dsn", db_dsn, "show", str(ti)]) == 0
    assert f"task          {task}: Q -> I (by task_instance {ti})" in capsys.readouterr().out
    assert main(["--dsn", db_dsn, "show", str(ti), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["history"]) == 4
    assert main(["--dsn", db_dsn, "history", "--disable"]) == 0
    assert main(["--dsn", db_dsn, "history", "--state"]) == 0
    assert main(["--dsn", db_dsn, "history", "--enable"]) == 0
    assert capsys.readouterr().out.splitlines() == ["history disabled", "history disabled", "history enabled"]
    assert main(["--dsn", db_dsn, "history"]) == 2
    assert main(["--dsn", db_dsn, "history", "999999"]) == 1
    assert "TaskInstance id: 999999 not found" in capsys.readouterr().err


def test_the_async_twins_read_and_switch_the_same(conn, db_dsn):
    import asyncio

    from jobmon_db.history import history_enabled_async, set_history_async, task_instance_history_async

    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    transition_task_instance(conn, ti, "I")

    async def run() -> tuple[int, bool, bool]:
        async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as aconn:
            entries = await task_instance_history_async(aconn, ti)
            off = await set_history_async(aconn, False)
            state = await history_enabled_async(aconn)
            await set_history_async(aconn, True)
            return len(entries), off, state

    assert asyncio.run(run()) == (2, False, False)


def _functions_recorded(conn: psycopg.Connection[Any], task_instance_id: int) -> list[tuple[str, str, str]]:
    return conn.execute(
        "select model, to_status, function_name from jobmon.transition_history"
        " where task_instance_id = %s and from_status is not null order by id",
        (task_instance_id,),
    ).fetchall()


def test_a_move_is_credited_to_the_function_the_caller_called(conn):
    ti, _ = make_task_instance(conn, "O", "O", num_attempts=1, max_attempts=2)
    conn.execute(
        "select * from jobmon.log_running(task_instance_id => %s, nodename => 'n', process_group_id => 1,"
        " next_report_increment => '1 minute')",
        (ti,),
    )
    conn.execute("select * from jobmon.transition_task_instance(%s, 'E')", (ti,))
    # log_running moves through transition_task_instance inside it: the history names log_running.
    assert _functions_recorded(conn, ti) == [
        ("TaskInstance", "R", "log_running"),
        ("Task", "R", "log_running"),
        ("TaskInstance", "E", "transition_task_instance"),
        ("Task", "E", "transition_task_instance"),
        ("Task", "G", "transition_task_instance"),
    ]


def test_attribution_cannot_be_forged_by_the_callers_settings(conn):
    """function_name is the function called, whatever the session set (the old settings included)."""
    ti, _ = make_task_instance(conn, "O", "O", num_attempts=1, max_attempts=2)
    other, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    conn.execute("set role jobmon_worker_node")
    try:
        conn.execute("select set_config('jobmon.route', 'log_done', false)")
        conn.execute("select set_config('jobmon.function', repeat('x', 1000000), false)")
        conn.execute(
            "select * from jobmon.log_running(task_instance_id => %s, nodename => 'n', process_group_id => 1,"
            " next_report_increment => '1 minute')",
            (ti,),
        )
    finally:
        conn.execute("reset role")
    conn.execute("select * from jobmon.transition_task_instance(%s, 'I')", (other,))
    assert _functions_recorded(conn, ti) == [("TaskInstance", "R", "log_running"), ("Task", "R", "log_running")]
    assert _functions_recorded(conn, other) == [
        ("TaskInstance", "I", "transition_task_instance"),
        ("Task", "I", "transition_task_instance"),
    ]


def test_no_function_reads_a_session_setting_for_the_history(conn):
    rows = conn.execute(
        "select p.proname from pg_proc p where p.pronamespace = 'jobmon'::regnamespace"
        " and (p.prosrc ~ 'current_setting\\(.jobmon\\.' or array_to_string(p.proconfig, ',') like '%jobmon.%')"
    ).fetchall()
    assert rows == []


def test_every_route_credits_its_moves_to_itself(conn):
    """The routes that called the public move before, and the set-based ones, name themselves."""
    t_ti, _ = make_task_instance(conn, "T", "R", num_attempts=1, max_attempts=2)
    conn.execute("select * from jobmon.log_error(%s, 'E', 'boom')", (t_ti,))  # T -> R -> E, both by log_error
    i_ti, _ = make_task_instance(conn, "I", "I", num_attempts=1)
    conn.execute("select * from jobmon.log_no_distributor_id(%s, 'no id')", (i_ti,))
    r_ti, _ = make_task_instance(conn, "R", "R", num_attempts=1)
    conn.execute("select * from jobmon.log_unknown_error(%s, 'lost')", (r_ti,))
    array_id, _, _ = make_array(conn)
    [(q_ti, _)] = make_array_batch(conn, array_id, [("Q", "Q")])
    conn.execute("select * from jobmon.instantiate_task_instances(%s)", ([q_ti],))
    conn.execute("select * from jobmon.launch_array_batch(%s, 1, '1 minute')", (array_id,))
    assert {f for _, _, f in _functions_recorded(conn, t_ti)} == {"log_error"}
    assert [(m, s) for m, s, _ in _functions_recorded(conn, t_ti)][:1] == [("TaskInstance", "R")]
    assert {f for _, _, f in _functions_recorded(conn, i_ti)} == {"log_no_distributor_id"}
    assert {f for _, _, f in _functions_recorded(conn, r_ti)} == {"log_unknown_error"}
    assert [(s, f) for m, s, f in _functions_recorded(conn, q_ti) if m == "TaskInstance"] == [
        ("I", "instantiate_task_instances"),
        ("O", "launch_array_batch"),
    ]


def test_turning_the_history_off_never_waits_for_a_move_in_progress(db_dsn):
    with (
        psycopg.connect(db_dsn, autocommit=True) as setup,
        psycopg.connect(db_dsn) as mover,
        psycopg.connect(db_dsn) as switch,
    ):
        ti, _ = make_task_instance(setup, "Q", "Q", num_attempts=1)
        other, _ = make_task_instance(setup, "Q", "Q", num_attempts=1)
        transition_task_instance(mover, ti, "I")  # holds its rows until commit
        switch.execute("set lock_timeout = '2s'")
        assert set_history(switch, False) is False  # no wait: a move in progress holds nothing it needs
        switch.commit()
        transition_task_instance(mover, other, "I")  # and the mover goes on
        mover.commit()
        assert not history_enabled(setup)
        assert set_history(setup, True) is True


def _calls(body: str, name: str) -> list[list[str]]:
    """The top-level arguments of every call of `name` in a function body (parentheses balanced, quotes skipped)."""
    calls = []
    for start in (m.end() for m in re.finditer(re.escape(name) + r"\s*\(", body)):
        depth, args, current, quoted = 1, [], "", False
        for char in body[start:]:
            if char == "'":
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
                if depth == 0:
                    break
            elif not quoted and char == "," and depth == 1:
                args.append(current)
                current = ""
                continue
            current += char
        calls.append([*args, current])
    return calls


def test_every_move_a_function_of_this_release_makes_is_credited_to_it(conn):
    """Each call of the moves names the public function; the unnamed 0.1.0 forms stay for calls in flight only."""
    unnamed = []
    for name, body in conn.execute(
        "select p.oid::regprocedure::text, p.prosrc from pg_proc p where p.pronamespace = 'jobmon'::regnamespace"
        " and obj_description(p.oid, 'pg_proc') not like '%%release 0.1.0 in flight%%'"
    ):
        for args in _calls(body, "jobmon._transition_task_instance"):
            if len(args) != 4:
                unnamed.append((name, "_transition_task_instance", len(args)))
        for args in _calls(body, "jobmon._move_task_instances"):
            if len(args) != 7 and not any("function_name =>" in a for a in args):
                unnamed.append((name, "_move_task_instances", len(args)))
    assert unnamed == []
