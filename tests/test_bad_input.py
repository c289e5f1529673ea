"""Bad calls, through SQL and through Python: the exact SQLSTATE and message of each, and no row changed.

docs/errors.md shows the same catalogue; the last tests keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobmon_db import (
    InvalidArgument,
    JobmonDBError,
    TaskInstanceNotFound,
    TaskStatus,
    UnknownStatus,
    transition_task_instance,
)
from jobmon_db.errors import translate
from tests.factories import make_task_instance

DOC = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")

#: The id docs/errors.md shows for the existing task instance the calls are made on.
DOC_ID = 42

VALID_CODES = (
    "Valid codes: D (DONE), E (ERROR), F (ERROR_FATAL), I (INSTANTIATED), K (KILL_SELF), O (LAUNCHED), Q (QUEUED),"
    " R (RUNNING), T (TRIAGING), U (UNKNOWN_ERROR), W (NO_DISTRIBUTOR_ID), X (NO_HEARTBEAT), Z (RESOURCE_ERROR)."
)
NO_LABELS = "Status codes are one upper-case letter; labels are not accepted."
USE_I = "Use the one-character code: I (INSTANTIATED)."
USE_R = "Use the one-character code: R (RUNNING)."
NULL_HINT = "Pass a task-instance status code such as 'R'."
NO_FUNCTION = "No function matches the given name and argument types. You might need to add explicit type casts."

PYTHON_EXCEPTION_OF = {
    "22004": "InvalidArgument",
    "22023": "UnknownStatus",
    "JM003": "TaskInstanceNotFound",
    "22P02": "psycopg.errors.InvalidTextRepresentation",
    "42883": "psycopg.errors.UndefinedFunction",
}

TABLES = (
    "task_instance",
    "task",
    "workflow",
    "task_instance_error_log",
    "task_instance_status",
    "task_status",
    "task_instance_transition",
    "task_transition",
)


@dataclass(frozen=True)
class Bad:
    """A bad call and what it gets. `call` holds {ti} where the existing task instance's id goes."""

    call: str
    sqlstate: str | None
    message: str
    hint: str | None = None
    detail: str | None = None

    @property
    def python_exception(self) -> str:
        """The exception the Python wrapper raises for this SQLSTATE, as docs/errors.md names it."""
        return PYTHON_EXCEPTION_OF[self.sqlstate or ""]

    def render(self, ti: int) -> tuple[str, str]:
        return self.call.format(ti=ti), self.message.format(ti=ti)


def unknown(status_literal: str, hint: str = NO_LABELS) -> tuple[str, str, str, str]:
    """SQLSTATE, message, hint and detail of an unknown status (its literal as quote_literal() writes it)."""
    return "22023", f"Unknown task instance status: {status_literal}", hint, VALID_CODES


# ---------------------------------------------------------------------------
# Through SQL: `select * from jobmon.transition_task_instance(<call>)`
# ---------------------------------------------------------------------------

SQL_CASES = {
    "null_id": Bad("null, 'I'", "22004", "task_instance_id must not be NULL"),
    "null_id_and_null_status": Bad("null, null", "22004", "task_instance_id must not be NULL"),
    "null_id_and_unknown_status": Bad("null, 'Y'", "22004", "task_instance_id must not be NULL"),
    "negative_id": Bad("-1, 'I'", "JM003", "TaskInstance id: -1 not found"),
    "zero_id": Bad("0, 'I'", "JM003", "TaskInstance id: 0 not found"),
    "missing_id": Bad("9223372036854775807, 'I'", "JM003", "TaskInstance id: 9223372036854775807 not found"),
    "missing_id_and_unknown_status": Bad("-1, 'Y'", *unknown("'Y'")),
    "null_status": Bad("{ti}, null", "22004", "new_status must not be NULL", NULL_HINT),
    "null_text_status": Bad("{ti}, null::text", "22004", "new_status must not be NULL", NULL_HINT),
    "empty_status": Bad("{ti}, ''", *unknown("''")),
    "blank_status": Bad("{ti}, ' '", *unknown("' '")),
    "lower_case_code": Bad("{ti}, 'i'", *unknown("'i'", USE_I)),
    "padded_code": Bad("{ti}, ' I '", *unknown("' I '", USE_I)),
    "two_characters": Bad("{ti}, 'II'", *unknown("'II'")),
    "two_codes": Bad("{ti}, 'IO'", *unknown("'IO'")),
    "unknown_code": Bad("{ti}, 'Y'", *unknown("'Y'")),
    "task_status_code": Bad("{ti}, 'G'", *unknown("'G'")),
    "non_ascii_code": Bad("{ti}, 'É'", *unknown("'É'")),
    "label": Bad("{ti}, 'INSTANTIATED'", *unknown("'INSTANTIATED'", USE_I)),
    "lower_case_label": Bad("{ti}, 'running'", *unknown("'running'", USE_R)),
    "task_status_label": Bad("{ti}, 'REGISTERING'", *unknown("'REGISTERING'")),
    "quote": Bad("{ti}, 'I'''", *unknown("'I'''")),
    "double_quote": Bad("{ti}, 'I\"'", *unknown("'I\"'")),
    "backslash": Bad("{ti}, E'I\\\\'", *unknown("E'I\\\\'")),
    "statement_in_status": Bad(
        "{ti}, 'I''; drop table jobmon.task; --'", *unknown("'I''; drop table jobmon.task; --'")
    ),
    "tautology_in_status": Bad("{ti}, ''' or ''1''=''1'", *unknown("''' or ''1''=''1'")),
    "format_directives_in_status": Bad("{ti}, '%s %I %L'", *unknown("'%s %I %L'")),
    "text_id": Bad(
        "'abc'::text, 'I'",
        "42883",
        "function jobmon.transition_task_instance(text, unknown) does not exist",
        NO_FUNCTION,
    ),
    "numeric_text_id": Bad(
        "'{ti}'::text, 'I'",
        "42883",
        "function jobmon.transition_task_instance(text, unknown) does not exist",
        NO_FUNCTION,
    ),
    "word_literal_id": Bad("'abc', 'I'", "22P02", 'invalid input syntax for type bigint: "abc"'),
    "statement_in_id": Bad(
        "'1; drop table jobmon.task', 'I'", "22P02", 'invalid input syntax for type bigint: "1; drop table jobmon.task"'
    ),
    "fractional_id": Bad(
        "1.5, 'I'", "42883", "function jobmon.transition_task_instance(numeric, unknown) does not exist", NO_FUNCTION
    ),
    "id_beyond_bigint": Bad(
        "9223372036854775808, 'I'",
        "42883",
        "function jobmon.transition_task_instance(numeric, unknown) does not exist",
        NO_FUNCTION,
    ),
    "integer_status": Bad(
        "{ti}, 5", "42883", "function jobmon.transition_task_instance(integer, integer) does not exist", NO_FUNCTION
    ),
    "missing_status_argument": Bad(
        "{ti}", "42883", "function jobmon.transition_task_instance(integer) does not exist", NO_FUNCTION
    ),
    "arguments_swapped": Bad(
        "'I', {ti}", "42883", "function jobmon.transition_task_instance(unknown, integer) does not exist", NO_FUNCTION
    ),
}

# ---------------------------------------------------------------------------
# Through Python: jobmon_db.transition_task_instance(conn, <id>, <status>)
# ---------------------------------------------------------------------------

TI = object()  # stands for the existing task instance's id


@dataclass(frozen=True)
class PyBad:
    """A bad wrapper call: its arguments (TI for the existing id), and the exception, SQLSTATE and message."""

    args: tuple[Any, Any]
    exception: type[Exception]
    sqlstate: str | None
    message: str
    hint: str | None = None

    def resolve(self, ti: int) -> tuple[Any, Any]:
        return tuple(ti if arg is TI else arg for arg in self.args)  # type: ignore[return-value]

    def shown(self) -> str:
        """The call as docs/errors.md shows it."""
        return ", ".join(str(DOC_ID) if arg is TI else shown(arg) for arg in self.args)


def py_unknown(literal: str, hint: str = NO_LABELS) -> tuple[type[Exception], str, str, str]:
    return UnknownStatus, "22023", f"Unknown task instance status: {literal}", hint


def shown(arg: Any) -> str:
    return f"{type(arg).__name__}.{arg.name}" if isinstance(arg, TaskStatus) else repr(arg)


NO_NUL = "PostgreSQL text fields cannot contain NUL (0x00) bytes"

PY_CASES = {
    "none_id": PyBad((None, "I"), InvalidArgument, "22004", "task_instance_id must not be NULL"),
    "none_status": PyBad((TI, None), InvalidArgument, "22004", "new_status must not be NULL", NULL_HINT),
    "negative_id": PyBad((-1, "I"), TaskInstanceNotFound, "JM003", "TaskInstance id: -1 not found"),
    "zero_id": PyBad((0, "I"), TaskInstanceNotFound, "JM003", "TaskInstance id: 0 not found"),
    "missing_id": PyBad(
        (2**63 - 1, "I"), TaskInstanceNotFound, "JM003", "TaskInstance id: 9223372036854775807 not found"
    ),
    "empty_status": PyBad((TI, ""), *py_unknown("''")),
    "lower_case_code": PyBad((TI, "i"), *py_unknown("'i'", USE_I)),
    "padded_code": PyBad((TI, " I "), *py_unknown("' I '", USE_I)),
    "two_characters": PyBad((TI, "II"), *py_unknown("'II'")),
    "unknown_code": PyBad((TI, "Y"), *py_unknown("'Y'")),
    "label": PyBad((TI, "INSTANTIATED"), *py_unknown("'INSTANTIATED'", USE_I)),
    "lower_case_label": PyBad((TI, "running"), *py_unknown("'running'", USE_R)),
    "task_status_enum": PyBad(
        (TI, TaskStatus.REGISTERING),
        InvalidArgument,
        None,
        "new_status must be a task-instance status, not TaskStatus.REGISTERING",
    ),
    "quote": PyBad((TI, "I'"), *py_unknown("'I'''")),
    "double_quote": PyBad((TI, 'I"'), *py_unknown("'I\"'")),
    "backslash": PyBad((TI, "a'b\\c"), *py_unknown("E'a''b\\\\c'")),
    "statement_in_status": PyBad(
        (TI, "I'; drop table jobmon.task; --"), *py_unknown("'I''; drop table jobmon.task; --'")
    ),
    "tautology_in_status": PyBad((TI, "' or '1'='1"), *py_unknown("''' or ''1''=''1'")),
    "placeholder_in_status": PyBad((TI, "%s %(x)s"), *py_unknown("'%s %(x)s'")),
    # Refused by the wrapper before anything is sent (no SQLSTATE):
    "list_status": PyBad(
        (TI, ["I"]), InvalidArgument, None, "new_status must be a str code such as 'R', not list: ['I']"
    ),
    "int_status": PyBad((TI, 5), InvalidArgument, None, "new_status must be a str code such as 'R', not int: 5"),
    "bytes_status": PyBad(
        (TI, b"I"), InvalidArgument, None, "new_status must be a str code such as 'R', not bytes: b'I'"
    ),
    "nul_in_status": PyBad(
        (TI, "I\x00"), InvalidArgument, None, "new_status must not contain NUL characters: 'I\\x00'"
    ),
    "word_id": PyBad(("abc", "I"), InvalidArgument, None, "task_instance_id must be an int, not str: 'abc'"),
    "numeric_string_id": PyBad(("42", "I"), InvalidArgument, None, "task_instance_id must be an int, not str: '42'"),
    "statement_in_id": PyBad(
        ("1; drop table jobmon.task", "I"),
        InvalidArgument,
        None,
        "task_instance_id must be an int, not str: '1; drop table jobmon.task'",
    ),
    "float_id": PyBad((1.5, "I"), InvalidArgument, None, "task_instance_id must be an int, not float: 1.5"),
    "bool_id": PyBad((True, "I"), InvalidArgument, None, "task_instance_id must be an int, not bool: True"),
    "id_beyond_bigint": PyBad(
        (2**63, "I"), InvalidArgument, None, "task_instance_id is out of range for bigint: 9223372036854775808"
    ),
    "task_status_enum_sharing_a_code": PyBad(
        (TI, TaskStatus.DONE), InvalidArgument, None, "new_status must be a task-instance status, not TaskStatus.DONE"
    ),
}


# ---------------------------------------------------------------------------
# Fixtures and checks
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(module_db_dsn: str) -> Iterator[tuple[psycopg.Connection[Any], int]]:
    """An autocommit connection and a queued task instance (of a queued task) every bad call is aimed at."""
    with psycopg.connect(module_db_dsn, autocommit=True) as conn:
        make_task_instance(conn, "R", "R", num_attempts=1)  # rows that must not change either
        ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
        make_task_instance(conn, "E", "G", num_attempts=1, max_attempts=2)
        yield conn, ti


def everything(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Every row of every jobmon table a call could touch, and the list of the schema's tables."""
    rows: dict[str, Any] = {t: conn.execute(f"select * from jobmon.{t} order by 1, 2").fetchall() for t in TABLES}
    rows["tables"] = conn.execute("select tablename from pg_tables where schemaname = 'jobmon' order by 1").fetchall()
    return rows


@pytest.mark.parametrize("case", SQL_CASES.values(), ids=SQL_CASES.keys())
def test_bad_sql_call_gets_its_exact_sqlstate_and_message_and_changes_nothing(
    db: tuple[psycopg.Connection[Any], int], case: Bad
) -> None:
    conn, ti = db
    call, message = case.render(ti)
    before = everything(conn)
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(f"select * from jobmon.transition_task_instance({call})")
    diag = raised.value.diag
    assert (diag.sqlstate, diag.message_primary) == (case.sqlstate, message)
    assert diag.message_hint == case.hint
    assert diag.message_detail == case.detail
    # The wrapper would raise this for the same call: a jobmon_db exception, or psycopg's own when unmapped.
    assert name(type(translate(raised.value) or raised.value)) == case.python_exception
    assert everything(conn) == before


@pytest.mark.parametrize("case", PY_CASES.values(), ids=PY_CASES.keys())
def test_bad_python_call_raises_its_exact_exception_and_message_and_changes_nothing(
    db: tuple[psycopg.Connection[Any], int], case: PyBad
) -> None:
    conn, ti = db
    before = everything(conn)
    with pytest.raises(Exception) as raised:
        transition_task_instance(conn, *case.resolve(ti))
    error = raised.value
    assert type(error) is case.exception
    if isinstance(error, JobmonDBError):
        assert (error.sqlstate, error.message, error.hint) == (case.sqlstate, case.message, case.hint)
        if case.sqlstate is None:  # refused by the wrapper: nothing was sent
            assert error.__cause__ is None
        else:  # psycopg's error kept as the cause
            assert isinstance(error.__cause__, psycopg.Error)
    else:  # not mapped: psycopg's own error, as is
        assert isinstance(error, psycopg.Error)
        assert error.sqlstate == case.sqlstate
        assert (error.diag.message_primary or str(error)) == case.message
        assert error.diag.message_hint == case.hint
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert everything(conn) == before


def test_the_task_instance_the_bad_calls_aimed_at_still_takes_a_good_call(
    db: tuple[psycopg.Connection[Any], int],
) -> None:
    conn, ti = db
    result = transition_task_instance(conn, ti, "I")
    assert result.applied and (result.previous_status.value, result.status.value) == ("Q", "I")
    conn.execute("update jobmon.task_instance set status = 'Q' where id = %s", (ti,))  # back, for reruns


ACCEPTED_SQL = {
    "quoted_numeric_id": "'{ti}', 'I'",
    "integer_id": "{ti}::integer, 'I'",
    "varchar_status": "{ti}, 'I'::varchar",
    "char_status": "{ti}, 'I'::char",
    "char_status_with_trailing_blanks": "{ti}, 'I  '::char(3)",
}


@pytest.mark.parametrize("call", ACCEPTED_SQL.values(), ids=ACCEPTED_SQL.keys())
def test_loosely_typed_sql_call_is_accepted_as_the_code_it_carries(
    db: tuple[psycopg.Connection[Any], int], call: str
) -> None:
    conn, _ = db
    ti, _ = make_task_instance(conn, "Q", "Q", num_attempts=1)
    row = conn.execute(
        f"select outcome, previous_status, status from jobmon.transition_task_instance({call.format(ti=ti)})"
    ).fetchone()
    assert row == ("applied", "Q", "I")


# ---------------------------------------------------------------------------
# docs/errors.md shows this catalogue
# ---------------------------------------------------------------------------


def doc_rows(heading: str) -> list[list[str]]:
    """The cells (code spans unwrapped) of the table under a '## heading' of docs/errors.md."""
    section = DOC.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # after the header and the rule
    return [[re.sub(r"^`(.*)`$", r"\1", cell.strip()) for cell in row.strip("|").split(" | ")] for row in rows]


def test_docs_show_every_sql_case_with_its_sqlstate_message_and_python_exception() -> None:
    shown = {(row[0], row[1], row[2], row[4]) for row in doc_rows("Bad calls through SQL")}
    expected = set()
    for case in SQL_CASES.values():
        call, message = case.render(DOC_ID)
        expected.add((f"transition_task_instance({call})", case.sqlstate or "", message, case.python_exception))
    assert shown == expected


def test_docs_show_every_python_case_with_its_exception() -> None:
    shown = {(row[0], row[1], row[2], row[3]) for row in doc_rows("Bad calls through Python")}
    expected = {
        (f"transition_task_instance(conn, {case.shown()})", case.sqlstate or "none", case.message, name(case.exception))
        for case in PY_CASES.values()
    }
    assert shown == expected


def name(exception: type[Exception]) -> str:
    module = exception.__module__
    return exception.__name__ if module.startswith("jobmon_db") else f"{module}.{exception.__name__}"


# ---------------------------------------------------------------------------
# The call-site functions and wire forms: each bad call through SQL
# (named arguments) and through Python, its SQLSTATE, message and exception;
# no row changes, and no message echoes more than ~200 characters of input.
# docs/errors.md, '## Bad calls of the call-site functions', shows the same list.
# ---------------------------------------------------------------------------

HUGE = 20_000_000  # a 20 MB argument
X200 = "x" * 200


@dataclass(frozen=True)
class CallSiteBad:
    sql: str  # after `select * from jobmon.`; {ti} is the existing task instance (status Q)
    python: str  # a jobmon_db call, evaluated with conn, ti and timedelta
    sqlstate: str
    message: str
    exception: str


CALL_SITE_CASES = [
    CallSiteBad(
        "log_running(task_instance_id => null, nodename => 'n', process_group_id => 1, next_report_increment => '1 min')",  # noqa: E501
        "log_running(conn, None, 'n', 1, timedelta(minutes=1))",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_running(task_instance_id => 0, nodename => 'n', process_group_id => 1, next_report_increment => '1 min')",
        "log_running(conn, 0, 'n', 1, timedelta(minutes=1))",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        "log_running(task_instance_id => {ti}, nodename => 'n', process_group_id => 1, next_report_increment => null)",
        "log_running(conn, ti, 'n', 1, None)",
        "22004",
        "next_report_increment must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        f"log_running(task_instance_id => {{ti}}, nodename => repeat('x', {HUGE}), process_group_id => 1, next_report_increment => '1 min')",  # noqa: E501
        f"log_running(conn, ti, 'x' * {HUGE}, 1, timedelta(minutes=1))",
        "22001",
        f"nodename is too long: {HUGE} characters, at most 150 are stored",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_running(task_instance_id => {ti}, nodename => 'n', process_group_id => 1, next_report_increment => '1 min')",  # noqa: E501
        "log_running(conn, ti, 'n', 1, timedelta(minutes=1))",
        "JM001",
        "Cannot transition TaskInstance id: {ti} from Q to R",
        "InvalidStateTransition",
    ),
    CallSiteBad(
        "log_heartbeat(task_instance_id => null, next_report_increment => '1 min')",
        "log_heartbeat(conn, None, timedelta(minutes=1))",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_heartbeat(task_instance_id => 0, next_report_increment => '1 min')",
        "log_heartbeat(conn, 0, timedelta(minutes=1))",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        "log_heartbeat(task_instance_id => {ti}, next_report_increment => '-1 min')",
        "log_heartbeat(conn, ti, timedelta(minutes=-1))",
        "22023",
        "next_report_increment must be positive, not -00:01:00",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_heartbeat(task_instance_id => {ti}, next_report_increment => '0')",
        "log_heartbeat(conn, ti, timedelta(0))",
        "22023",
        "next_report_increment must be positive, not 00:00:00",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_heartbeat(task_instance_id => {ti}, next_report_increment => '999999999 days')",
        "log_heartbeat(conn, ti, timedelta(days=999999999))",
        "22023",
        "next_report_increment must be at most 100 years, not 2777777 years 9 mons 9 days",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_running(task_instance_id => {ti}, nodename => 'n', process_group_id => 1, next_report_increment => '999999999 days')",  # noqa: E501
        "log_running(conn, ti, 'n', 1, timedelta(days=999999999))",
        "22023",
        "next_report_increment must be at most 100 years, not 2777777 years 9 mons 9 days",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_running(task_instance_id => {ti}, nodename => 'n', process_group_id => 1, next_report_increment => '1 min', distributor_id => ' ')",  # noqa: E501
        "log_running(conn, ti, 'n', 1, timedelta(minutes=1), distributor_id=' ')",
        "22023",
        "distributor_id must not be blank",
        "UnknownStatus",
    ),
    CallSiteBad(
        f"log_done(task_instance_id => {{ti}}, stdout_log => repeat('x', {HUGE}))",
        f"log_done(conn, ti, stdout_log='x' * {HUGE})",
        "22001",
        f"stdout_log is too long: {HUGE} characters, at most 65535 are stored",
        "InvalidArgument",
    ),
    CallSiteBad(
        f"log_error(task_instance_id => {{ti}}, error_state => 'E', description => repeat('x', {HUGE}))",
        f"log_error(conn, ti, 'E', 'x' * {HUGE})",
        "22001",
        f"description is too long: {HUGE} characters, at most 65535 are stored",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => {ti}, distributor_id => '', next_report_increment => '1 min')",
        "log_distributor_id(conn, ti, '', timedelta(minutes=1))",
        "22023",
        "distributor_id must not be blank",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => {ti}, distributor_id => '  ', next_report_increment => '300000 years')",  # noqa: E501
        "log_distributor_id(conn, ti, '  ', timedelta(days=365 * 300000))",
        "22023",
        "distributor_id must not be blank",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => {ti}, distributor_id => 'j', next_report_increment => '109500000 days')",  # noqa: E501
        "log_distributor_id(conn, ti, 'j', timedelta(days=109500000))",
        "22023",
        "next_report_increment must be at most 100 years, not 304166 years 8 mons",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_done(task_instance_id => null)",
        "log_done(conn, None)",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_done(task_instance_id => 0)",
        "log_done(conn, 0)",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        f"log_done(task_instance_id => {{ti}}, usage_str => repeat('x', {HUGE}))",
        f"log_done(conn, ti, usage_str='x' * {HUGE})",
        "22001",
        f"usage_str is too long: {HUGE} characters, at most 250 are stored",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_done(task_instance_id => {ti})",
        "log_done(conn, ti)",
        "JM001",
        "Cannot transition TaskInstance id: {ti} from Q to D",
        "InvalidStateTransition",
    ),
    CallSiteBad(
        "log_error(task_instance_id => null, error_state => 'E', description => 'boom')",
        "log_error(conn, None, 'E', 'boom')",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_error(task_instance_id => 0, error_state => 'E', description => 'boom')",
        "log_error(conn, 0, 'E', 'boom')",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        "log_error(task_instance_id => {ti}, error_state => null, description => 'boom')",
        "log_error(conn, ti, None, 'boom')",
        "22004",
        "error_state must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_error(task_instance_id => {ti}, error_state => 'D', description => 'boom')",
        "log_error(conn, ti, 'D', 'boom')",
        "22023",
        "Unknown error_state: 'D'",
        "UnknownStatus",
    ),
    CallSiteBad(
        f"log_error(task_instance_id => {{ti}}, error_state => repeat('x', {HUGE}), description => 'boom')",
        f"log_error(conn, ti, 'x' * {HUGE}, 'boom')",
        "22023",
        f"Unknown error_state: '{X200}... ({HUGE} characters)'",
        "UnknownStatus",
    ),
    CallSiteBad(
        "log_error(task_instance_id => {ti}, error_state => 'E', description => null)",
        "log_error(conn, ti, 'E', None)",
        "22004",
        "description must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_unknown_error(task_instance_id => null, description => 'x')",
        "log_unknown_error(conn, None, 'x')",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_unknown_error(task_instance_id => 0, description => 'x')",
        "log_unknown_error(conn, 0, 'x')",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        "log_unknown_error(task_instance_id => {ti}, description => null)",
        "log_unknown_error(conn, ti, None)",
        "22004",
        "description must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => null, distributor_id => 'j', next_report_increment => '1 min')",
        "log_distributor_id(conn, None, 'j', timedelta(minutes=1))",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => 0, distributor_id => 'j', next_report_increment => '1 min')",
        "log_distributor_id(conn, 0, 'j', timedelta(minutes=1))",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => {ti}, distributor_id => null, next_report_increment => '1 min')",
        "log_distributor_id(conn, ti, None, timedelta(minutes=1))",
        "22004",
        "distributor_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        f"log_distributor_id(task_instance_id => {{ti}}, distributor_id => repeat('x', {HUGE}), next_report_increment => '1 min')",  # noqa: E501
        f"log_distributor_id(conn, ti, 'x' * {HUGE}, timedelta(minutes=1))",
        "22001",
        f"distributor_id is too long: {HUGE} characters, at most 20 are stored",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_distributor_id(task_instance_id => {ti}, distributor_id => 'j', next_report_increment => '1 min')",
        "log_distributor_id(conn, ti, 'j', timedelta(minutes=1))",
        "JM001",
        "Cannot transition TaskInstance id: {ti} from Q to O",
        "InvalidStateTransition",
    ),
    CallSiteBad(
        "log_no_distributor_id(task_instance_id => null, description => 'x')",
        "log_no_distributor_id(conn, None, 'x')",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "log_no_distributor_id(task_instance_id => 0, description => 'x')",
        "log_no_distributor_id(conn, 0, 'x')",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
    CallSiteBad(
        "log_no_distributor_id(task_instance_id => {ti}, description => null)",
        "log_no_distributor_id(conn, ti, None)",
        "22004",
        "description must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "distributor_task_instances(task_instance_ids => null)",
        "distributor_task_instances(conn, None)",
        "22004",
        "task_instance_ids must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "worker_node_task_instance(task_instance_id => null)",
        "worker_node_task_instance(conn, None)",
        "22004",
        "task_instance_id must not be NULL",
        "InvalidArgument",
    ),
    CallSiteBad(
        "worker_node_task_instance(task_instance_id => 0)",
        "worker_node_task_instance(conn, 0)",
        "JM003",
        "TaskInstance id: 0 not found",
        "TaskInstanceNotFound",
    ),
]


@pytest.mark.parametrize(
    "case", CALL_SITE_CASES, ids=[c.python.split("(")[0] + f"-{i}" for i, c in enumerate(CALL_SITE_CASES)]
)
def test_bad_call_site_sql_call_gets_its_sqlstate_and_a_short_message_and_changes_nothing(
    db: tuple[psycopg.Connection[Any], int], case: CallSiteBad
) -> None:
    conn, ti = db
    before = everything(conn)
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("select * from jobmon." + case.sql.format(ti=ti))
    diag = raised.value.diag
    assert (diag.sqlstate, diag.message_primary) == (case.sqlstate, case.message.format(ti=ti))
    assert len(diag.message_primary or "") < 250 and len(diag.message_detail or "") < 500
    assert name(type(translate(raised.value) or raised.value)) == case.exception
    assert everything(conn) == before


@pytest.mark.parametrize(
    "case", CALL_SITE_CASES, ids=[c.python.split("(")[0] + f"-{i}" for i, c in enumerate(CALL_SITE_CASES)]
)
def test_bad_call_site_python_call_raises_its_exception_and_changes_nothing(
    db: tuple[psycopg.Connection[Any], int], case: CallSiteBad
) -> None:
    import datetime

    import jobmon_db

    conn, ti = db
    before = everything(conn)
    with pytest.raises(JobmonDBError) as raised:
        eval(case.python, {"conn": conn, "ti": ti, "timedelta": datetime.timedelta, **vars(jobmon_db)})
    error = raised.value
    assert (name(type(error)), error.sqlstate, error.message) == (
        case.exception,
        case.sqlstate,
        case.message.format(ti=ti),
    )
    assert len(str(error)) < 1000
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert everything(conn) == before


def test_docs_show_every_call_site_case() -> None:
    shown = {tuple(row[:5]) for row in doc_rows("Bad calls of the call-site functions")}
    expected = {
        (c.sql.format(ti=DOC_ID), c.sqlstate, c.message.format(ti=DOC_ID), c.python, c.exception)
        for c in CALL_SITE_CASES
    }
    assert shown == expected


# ---------------------------------------------------------------------------
# The batch functions (docs/errors.md, "Bad calls of the batch functions")
# ---------------------------------------------------------------------------

NOTHING_CHANGED = "Nothing was changed."
BATCH_CASES = {
    "queue_null_task_ids": Bad(
        "queue_task_batch(null, 1, 1, 1)",
        "22004",
        "task_ids must not be NULL",
        "Pass an array of task ids, for example '{1,2,3}' (an empty array queues nothing). Nothing was changed.",
    ),
    "queue_null_array": Bad(
        "queue_task_batch('{1}', null, 1, 1)",
        "22004",
        "array_id must not be NULL",
        "Pass the id of the array the tasks belong to. Nothing was changed.",
    ),
    "queue_unknown_array": Bad(
        "queue_task_batch('{1}', -1, 1, 1)",
        "22023",
        "Array id: -1 not found",
        "Pass the id of an existing jobmon.array row. Nothing was changed.",
    ),
    "queue_text_ids": Bad("queue_task_batch('{a}', 1, 1, 1)", "22P02", 'invalid input syntax for type bigint: "a"'),
    "instantiate_null": Bad(
        "instantiate_task_instances(null)",
        "22004",
        "task_instance_ids must not be NULL",
        "Pass an array of task instance ids, for example '{1,2,3}'. Nothing was changed.",
    ),
    "launch_null_array": Bad(
        "launch_array_batch(null, 1, '1 minute')", "22004", "array_id must not be NULL", NOTHING_CHANGED
    ),
    "launch_null_increment": Bad(
        "launch_array_batch(1, 1, null)", "22004", "next_report_increment must not be NULL", NOTHING_CHANGED
    ),
    "launch_negative_increment": Bad(
        "launch_array_batch(1, 1, '-5 seconds')",
        "22023",
        "next_report_increment must be positive, not -00:00:05",
        "Pass how long the instances may go without a heartbeat, for example '279 seconds'. Nothing was changed.",
    ),
    "launch_zero_increment": Bad(
        "launch_array_batch(1, 1, '0')",
        "22023",
        "next_report_increment must be positive, not 00:00:00",
        "Pass how long the instances may go without a heartbeat, for example '279 seconds'. Nothing was changed.",
    ),
    "distributor_ids_of_other_length": Bad(
        "log_array_distributor_ids(1, 1, '{0,1}', '{a}')",
        "22023",
        "array_step_ids has 2 elements but distributor_ids has 1: they must pair up one to one",
        "Pass one distributor id per step, in the same order. Nothing was changed.",
    ),
    "distributor_ids_null": Bad(
        "log_array_distributor_ids(1, 1, '{0}', null)", "22004", "distributor_ids must not be NULL", NOTHING_CHANGED
    ),
    "heartbeats_null_ids": Bad(
        "log_heartbeats(null, '1 minute')", "22004", "task_instance_ids must not be NULL", NOTHING_CHANGED
    ),
    "heartbeats_negative_increment": Bad(
        "log_heartbeats('{1}', '-1 minute')",
        "22023",
        "next_report_increment must be positive, not -00:01:00",
        "Pass how long the instances may go without a heartbeat, for example '279 seconds'. Nothing was changed.",
    ),
    "array_task_instance_null_step": Bad(
        "array_task_instance(1, 1, null)", "22004", "array_step_id must not be NULL", "Nothing was read."
    ),
    "array_task_instance_missing": Bad(
        "array_task_instance(-1, 1, 0)",
        "JM003",
        "TaskInstance of array -1, batch 1, step 0 not found",
        "Check the array id, batch number and step the cluster gave this job. Nothing was read.",
    ),
}


@pytest.mark.parametrize("case", BATCH_CASES.values(), ids=BATCH_CASES.keys())
def test_bad_batch_call_gets_its_exact_sqlstate_and_message_and_changes_nothing(
    db: tuple[psycopg.Connection[Any], int], case: Bad
) -> None:
    conn, _ = db
    before = everything(conn)
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(f"select * from jobmon.{case.call}")
    diag = raised.value.diag
    assert (diag.sqlstate, diag.message_primary, diag.message_hint) == (case.sqlstate, case.message, case.hint)
    assert name(type(translate(raised.value) or raised.value)) == case.python_exception
    assert everything(conn) == before


def test_docs_show_every_bad_batch_call() -> None:
    shown = {tuple(row[:5]) for row in doc_rows("Bad calls of the batch functions")}
    expected = {
        (case.call, case.sqlstate or "", case.message, case.hint or "", case.python_exception)
        for case in BATCH_CASES.values()
    }
    assert shown == expected


# ---------------------------------------------------------------------------
# The failure and resume functions (triage, kill, terminate, reset, change feed)
# ---------------------------------------------------------------------------

#: The ids docs/errors.md shows for the existing workflow and workflow run; 999999 exists in neither table.
DOC_WORKFLOW, DOC_RUN = 7, 8

RESUME_EXCEPTION_OF = {
    "22004": "InvalidArgument",
    "22023": "UnknownStatus",
    "JM010": "WorkflowRunNotFound",
    "JM011": "WorkflowNotFound",
    "42883": "psycopg.errors.UndefinedFunction",
}
NOTHING = "Nothing was changed."
CURSOR_HINT = "Pass 0 for every task, then the largest cursor the previous call returned"

# (call with {wf}/{run}, SQLSTATE, message, HINT)
RESUME_SQL_CASES = [
    ("triage_overdue(null, '1 minute')", "22004", "workflow_run_id must not be NULL",
     "Nothing was changed. Pass the id of a workflow run."),
    ("triage_overdue(999999, '1 minute')", "JM010", "WorkflowRun id: 999999 not found",
     "Nothing was changed. Check the id against jobmon.workflow_run."),
    ("triage_overdue({run}, null)", "22004", "launched_grace must not be NULL",
     "Nothing was changed. Pass how long an instance may stay launched, e.g. '10 minutes'."),
    ("triage_overdue({run}, '-1 minute')", "22023", "launched_grace must not be negative: -00:01:00", NOTHING),
    ("triage_overdue({run}, 10)", "42883", "function jobmon.triage_overdue(integer, integer) does not exist",
     NO_FUNCTION),
    ("kill_task_instances(null)", "22004", "task_instance_ids must not be NULL",
     "Nothing was changed. Pass an array of task instance ids (it may be empty)."),
    ("kill_task_instances('{{1,x}}')", "22P02", 'invalid input syntax for type bigint: "x"', None),
    ("terminate_workflow_run(null)", "22004", "workflow_run_id must not be NULL",
     "Nothing was changed. Pass the id of a workflow run."),
    ("terminate_workflow_run(999999)", "JM010", "WorkflowRun id: 999999 not found",
     "Nothing was changed. Check the id against jobmon.workflow_run."),
    ("terminate_workflow_run({run}, null)", "22004", "hot must not be NULL",
     "Nothing was changed. Pass true for a hot resume (running instances go on), false for a cold one."),
    ("reset_tasks_for_resume(null, true)", "22004", "workflow_id must not be NULL",
     "Nothing was changed. Pass the id of a workflow."),
    ("reset_tasks_for_resume(999999, true)", "JM011", "Workflow id: 999999 not found",
     "Nothing was changed. Check the id against jobmon.workflow."),
    ("reset_tasks_for_resume({wf}, null)", "22004", "reset_running must not be NULL",
     "Nothing was changed. Pass true for a cold resume (running tasks too), false for a hot one."),
    ("task_status_changes(null, 0)", "22004", "workflow_id must not be NULL",
     "Nothing was changed. Pass the id of a workflow."),
    ("task_status_changes(999999, 0)", "JM011", "Workflow id: 999999 not found",
     "Nothing was changed. Check the id against jobmon.workflow."),
    ("task_status_changes({wf}, null)", "22004", "after must not be NULL", CURSOR_HINT + "."),
    ("task_status_changes({wf}, -1)", "22023", "after is not a cursor of task_status_changes(): -1",
     CURSOR_HINT + " (not a time or a row id)."),
    ("task_status_changes({wf}, 1700000000000)", "22023",
     "after is not a cursor of task_status_changes(): 1700000000000", CURSOR_HINT + " (not a time or a row id)."),
]  # fmt: skip
RESUME_EXCEPTION_OF["22P02"] = "psycopg.errors.InvalidTextRepresentation"


@pytest.fixture(scope="module")
def resume_db(db: tuple[psycopg.Connection[Any], int]) -> tuple[psycopg.Connection[Any], int, int]:
    conn, _ = db
    wf, run = conn.execute(
        "with wf as (insert into jobmon.workflow (name) values ('resume') returning id)"
        " insert into jobmon.workflow_run (workflow_id) select id from wf returning workflow_id, id"
    ).fetchone()
    return conn, wf, run


@pytest.mark.parametrize(
    ("call", "sqlstate", "message", "hint"), RESUME_SQL_CASES, ids=[c[0] for c in RESUME_SQL_CASES]
)
def test_bad_call_of_a_resume_function_gets_its_sqlstate_message_and_hint_and_changes_nothing(
    resume_db: tuple[psycopg.Connection[Any], int, int], call: str, sqlstate: str, message: str, hint: str | None
) -> None:
    conn, wf, run = resume_db
    before = everything(conn)
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(f"select * from jobmon.{call.format(wf=wf, run=run)}")
    diag = raised.value.diag
    assert (diag.sqlstate, diag.message_primary, diag.message_hint) == (sqlstate, message, hint)
    assert name(type(translate(raised.value) or raised.value)) == RESUME_EXCEPTION_OF[sqlstate]
    assert everything(conn) == before


def _resume_py_cases() -> list[tuple[str, Any, str]]:
    from datetime import timedelta

    from jobmon_db import (
        kill_task_instances,
        reset_tasks_for_resume,
        task_status_changes,
        terminate_workflow_run,
        triage_overdue,
    )

    minute = timedelta(minutes=1)
    return [
        ("triage_overdue(conn, '8', timedelta(minutes=1))", lambda c: triage_overdue(c, "8", minute),  # type: ignore[arg-type]
         "workflow_run_id must be an int, not str: '8'"),
        ("triage_overdue(conn, 8, 10)", lambda c: triage_overdue(c, 8, 10),  # type: ignore[arg-type]
         "launched_grace must be a datetime.timedelta, not int: 10"),
        ("kill_task_instances(conn, 5)", lambda c: kill_task_instances(c, 5),  # type: ignore[arg-type]
         "task_instance_ids must be an iterable of ints, not int: 5"),
        ("kill_task_instances(conn, '12')", lambda c: kill_task_instances(c, "12"),  # type: ignore[arg-type]
         "task_instance_ids must be an iterable of ints, not str: '12'"),
        ("kill_task_instances(conn, [1, 'x'])", lambda c: kill_task_instances(c, [1, "x"]),  # type: ignore[list-item]
         "task_instance_ids[1] must be an int, not str: 'x'"),
        ("terminate_workflow_run(conn, 8, hot='yes')", lambda c: terminate_workflow_run(c, 8, hot="yes"),  # type: ignore[arg-type]
         "hot must be a bool, not str: 'yes'"),
        ("reset_tasks_for_resume(conn, 7, 1)", lambda c: reset_tasks_for_resume(c, 7, 1),  # type: ignore[arg-type]
         "reset_running must be a bool, not int: 1"),
        ("task_status_changes(conn, 7, 2**63)", lambda c: task_status_changes(c, 7, 2**63),
         "after is out of range for bigint: 9223372036854775808"),
        ("task_status_changes(conn, True, 0)", lambda c: task_status_changes(c, True, 0),
         "workflow_id must be an int, not bool: True"),
    ]  # fmt: skip


@pytest.mark.parametrize("case", range(9))
def test_bad_python_call_of_a_resume_function_is_refused_before_anything_is_sent(
    resume_db: tuple[psycopg.Connection[Any], int, int], case: int
) -> None:
    conn, _, _ = resume_db
    _, call, message = _resume_py_cases()[case]
    before = everything(conn)
    with pytest.raises(InvalidArgument) as raised:
        call(conn)
    assert (raised.value.sqlstate, raised.value.message, raised.value.__cause__) == (None, message, None)
    assert everything(conn) == before


def test_docs_show_every_bad_call_of_the_resume_functions() -> None:
    shown = {tuple(row[:4]) for row in doc_rows("Bad calls of the failure and resume functions")}
    expected = {
        (call.format(wf=DOC_WORKFLOW, run=DOC_RUN), sqlstate, message, RESUME_EXCEPTION_OF[sqlstate])
        for call, sqlstate, message, _ in RESUME_SQL_CASES
    } | {(shown_call, "none", message, "InvalidArgument") for shown_call, _, message in _resume_py_cases()}
    assert shown == expected
