"""Upstream Jobmon's server on jobmon-db (`pip install 'jobmon-db[jobmon]'`, on top of upstream 3.6).

    from jobmon_db.jobmon_server import create_app, prepare
    prepare(dsn)              # as the schema owner: upstream's tables, once per upgrade
    app = create_app(dsn)     # as a login role with the application role

or `jobmon-db jobmon-server [--host H] [--port P]`. See docs/jobmon-server.md.
"""

from __future__ import annotations

from .app import DEFAULT_LOCK_TIMEOUT, create_app, replace_routes
from .prepare import SHARED_TABLES, UPSTREAM_SCHEMA, NotPrepared, check, prepare, sqlalchemy_url

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "SHARED_TABLES",
    "UPSTREAM_SCHEMA",
    "NotPrepared",
    "check",
    "create_app",
    "prepare",
    "replace_routes",
    "sqlalchemy_url",
]
