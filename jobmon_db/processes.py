"""A free port for a server started as a subprocess (by the simulation, by upstream's test plugin), and its end."""

from __future__ import annotations

import socket
import subprocess
from typing import Any

#: How long a server may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 30.0


def free_port() -> int:
    """A local TCP port no one listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """Ask `process` to exit (SIGTERM), kill it if it has not within `timeout` seconds, and reap it."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
