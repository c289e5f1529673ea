"""schema/schema.sql is what a fresh migrate makes (regenerate: python -m jobmon_db.schema_dump)."""

from __future__ import annotations

import difflib
from pathlib import Path

from jobmon_db.schema_dump import HEADER, dump_schema, normalise

COMMITTED = Path(__file__).resolve().parent.parent / "schema" / "schema.sql"


def test_a_freshly_migrated_database_has_the_committed_schema(db_dsn):
    fresh = dump_schema(db_dsn)
    committed = COMMITTED.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True), "committed", "fresh"))
    assert fresh == committed, (
        "schema/schema.sql is stale: run `python -m jobmon_db.schema_dump` and commit it\n" + diff
    )


def test_normalise_drops_version_and_session_noise_and_keeps_grants():
    dump = (
        "--\n-- Dumped from database version 15.20\n-- Dumped by pg_dump version 15.20\n\n\n\n"
        "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
        "\\restrict abc123\nCREATE TABLE jobmon.t (id int);\nGRANT SELECT ON TABLE jobmon.t TO reader;\n"
        "\\unrestrict abc123\n"
    )
    assert (
        normalise(dump)
        == HEADER + "\n--\n\nCREATE TABLE jobmon.t (id int);\nGRANT SELECT ON TABLE jobmon.t TO reader;\n"
    )
