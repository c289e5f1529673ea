"""Upstream Jobmon's FastAPI application on jobmon-db's database.

`create_app()` builds upstream's app (`jobmon.server.web.api:get_app`) on
the database of a libpq DSN and, in this process only:

- applies the PostgreSQL fixes (`postgresql.apply()`);
- gives every new connection the search_path `jobmon_upstream, jobmon`
  (upstream's tables, then jobmon-db's shared ones) and a `lock_timeout`;
- commits every request's session before its response is sent (upstream's
  session dependency is replaced by one that closes with the route);
- replaces each state-machine route by the one in `routes.py`, which calls
  the jobmon-db function made for it (same path, method and response).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from ..connection import resolve_dsn
from . import postgresql
from .prepare import UPSTREAM_SCHEMA, search_path, set_search_path_on_connect, sqlalchemy_url

DEFAULT_LOCK_TIMEOUT = "5s"
URI_ENV_VAR = "JOBMON__DB__SQLALCHEMY_DATABASE_URI"
API_PREFIX = "/api/v3"


def create_app(
    dsn: str | None = None,
    *,
    lock_timeout: str = DEFAULT_LOCK_TIMEOUT,
    schema: str = UPSTREAM_SCHEMA,
    jobmon_db_routes: bool = True,
    versions: list[str] | None = None,
) -> FastAPI:
    """Upstream's app on the database of `dsn` (default: $JOBMON_DB_DSN, then libpq's defaults).

    With `jobmon_db_routes=False` every route stays upstream's (the PostgreSQL
    fixes still apply): for comparisons only, since upstream's routes write
    statuses directly, which the application role may not. `versions` is
    upstream's `get_app(versions=...)` (its tests pass ["v3"]).
    """
    from jobmon.core.configuration import JobmonConfig
    from jobmon.server.web.api import get_app
    from jobmon.server.web.config import get_jobmon_config
    from jobmon.server.web.db.deps import get_db, get_dialect

    os.environ[URI_ENV_VAR] = sqlalchemy_url(resolve_dsn(dsn))
    get_jobmon_config(JobmonConfig())  # read the environment again (upstream keeps one config per process)
    postgresql.apply()
    app = get_app(versions=versions)
    app.dependency_overrides[get_dialect] = lambda: postgresql.STATEMENT_DIALECT

    upstream_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with upstream_lifespan(app):
            # The engine exists and has made no connection yet.
            set_search_path_on_connect(app.state.db_engine, search_path(schema), ("lock_timeout", lock_timeout))
            yield

    app.router.lifespan_context = lifespan
    app.dependency_overrides[get_db] = _session_closed_with_the_route
    if jobmon_db_routes:
        from .routes import ROUTES

        replace_routes(app, ROUTES)
    return app


def _session(request: Request) -> Iterator[Session]:
    """Upstream's get_db: a session of the app's sessionmaker, committed when the route returned normally."""
    session: Session = request.app.state.db_sessionmaker()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def _session_closed_with_the_route(session: Annotated[Session, Depends(_session, scope="function")]) -> Session:
    """Stands in for upstream's get_db: the same session, closed (committed) before the response is sent.

    Upstream's routes declare Depends(get_db), whose exit runs after the
    response has gone out: a client could read before the write committed,
    and a commit that fails would go unnoticed. A dependency of scope
    "function" exits with the route, before the response.
    """
    return session


def _v3_router() -> Any:
    from jobmon.server.web.routes.v3 import api_v3_router

    return api_v3_router


def _api_routes(router: Any) -> list[APIRoute]:
    """Every APIRoute of an APIRouter and of the routers included in it (FastAPI keeps them by reference)."""
    found: list[APIRoute] = []
    for route in router.routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router))
        elif hasattr(route, "routes"):
            found.extend(_api_routes(route))
    return found


def replace_routes(app: FastAPI, routes: dict[tuple[str, str], Callable[..., Any]]) -> list[tuple[str, str]]:
    """Answer each (method, path under /api/v3) of `routes` with its endpoint instead of upstream's.

    Each new route goes first in the app's routing table (the first route that
    matches answers), with the dependencies upstream puts on its v3 routes
    (its authentication). Returns what was replaced; raises LookupError when
    upstream has no such route (another version of upstream).
    """
    from jobmon.server.web.routes.utils import get_user, get_user_or_anonymous, is_auth_enabled

    upstream = {(m, r.path) for r in _api_routes(_v3_router()) for m in r.methods or ()}
    dependencies = [Depends(get_user)] if is_auth_enabled() else [Depends(get_user_or_anonymous)]
    replaced: list[tuple[str, str]] = []
    for (method, path), endpoint in routes.items():
        if (method, path) not in upstream:
            raise LookupError(f"upstream Jobmon has no route {method} {API_PREFIX}{path}")
        app.router.add_api_route(
            API_PREFIX + path,
            endpoint,
            methods=[method],
            dependencies=dependencies,
            tags=["jobmon-db"],
            name=f"jobmon_db_{endpoint.__name__}",
        )
        app.router.routes.insert(0, app.router.routes.pop())
        replaced.append((method, path))
    app.openapi_schema = None
    return replaced
