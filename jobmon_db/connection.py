"""Where the database connection comes from: --dsn, then JOBMON_DB_DSN, then libpq's defaults."""

from __future__ import annotations

import os

DSN_ENV_VAR = "JOBMON_DB_DSN"


def resolve_dsn(dsn: str | None = None) -> str:
    """The DSN to use: the given one, else $JOBMON_DB_DSN, else '' (libpq's PGHOST, PGDATABASE, ... defaults)."""
    if dsn:
        return dsn
    return os.environ.get(DSN_ENV_VAR, "")
