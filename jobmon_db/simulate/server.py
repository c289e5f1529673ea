"""The `jobmon-db jobmon-server` a simulation talks to: one started for the run, or one already running.

`started_server()` starts `jobmon-db jobmon-server` on a free local port as
a subprocess (it prepares upstream's tables first when the role may), with
upstream's heartbeat settings on the simulation's clock, and stops it
afterwards. `check_server()` asks a server given by URL whether it answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import httpx

from ..processes import free_port, stop
from .http import API_PREFIX

#: Upstream's report_by_buffer for a started server: its triage grace (2 x buffer x task_instance_interval) is
#: then 3 heartbeats, the simulation's launched grace.
REPORT_BY_BUFFER = 1.5
START_TIMEOUT = 180.0  # preparing upstream's tables the first time runs its Alembic migrations


class ServerError(RuntimeError):
    """The server could not be started or does not answer."""


def server_settings(heartbeat: float) -> dict[str, str]:
    """Upstream's settings for a server that simulates at `heartbeat` seconds (no authentication)."""
    return {
        "JOBMON__AUTH__ENABLED": "false",
        "JOBMON__HEARTBEAT__TASK_INSTANCE_INTERVAL": f"{heartbeat:g}",
        "JOBMON__HEARTBEAT__REPORT_BY_BUFFER": f"{REPORT_BY_BUFFER:g}",
    }


def check_server(url: str, timeout: float = 5.0) -> None:
    """Raise ServerError unless the server at `url` answers its health route."""
    try:
        answer = httpx.get(f"{url.rstrip('/')}{API_PREFIX}/health", timeout=timeout)
    except httpx.HTTPError as error:
        raise ServerError(f"no Jobmon server answers at {url}: {error}") from None
    if answer.status_code != 200:
        raise ServerError(f"the Jobmon server at {url} answered its health route with HTTP {answer.status_code}")


@contextmanager
def started_server(dsn: str, heartbeat: float, *, command: Sequence[str] | None = None) -> Iterator[str]:
    """A `jobmon-db jobmon-server` on the database of `dsn`, on a free port; yields its URL.

    `command` replaces `python -m jobmon_db --dsn DSN jobmon-server` by another
    server's command line (it gets `--port N` appended and the same settings),
    e.g. one that serves upstream's own routes for a comparison.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **server_settings(heartbeat)}
    serve = [sys.executable, "-m", "jobmon_db", "--dsn", dsn, "jobmon-server"] if command is None else list(command)
    name = "`jobmon-db jobmon-server`" if command is None else "the server"  # its command line may hold a password
    argv = [*serve, "--port", str(port)]
    with tempfile.TemporaryFile(mode="w+") as log:
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise ServerError(f"{name} exited ({server.returncode}): {log.read()[-2000:]}")
                try:
                    check_server(url, timeout=2)
                    break
                except ServerError:
                    if time.monotonic() > deadline:
                        raise ServerError(f"{name} did not answer within {START_TIMEOUT:g} s") from None
                    time.sleep(0.3)
            yield url
        finally:
            stop(server)
