"""Prefect servers: the configured one, one started for schedules, or a temporary one for a single run.

The temporary server is what Prefect starts by itself when no PREFECT_API_URL is set, but in a
session of its own: a Ctrl-C to the terminal (SIGINT to the run's process group) does not kill it,
so an interrupted run can still report its state instead of retrying a dead server for minutes.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

log = logging.getLogger(__name__)

DEFAULT_PORT = 4200
HOST = "127.0.0.1"


class PrefectServerError(RuntimeError):
    """The Prefect server could not be started or did not become healthy."""


def api_url(port: int = DEFAULT_PORT, host: str = HOST) -> str:
    return f"http://{host}:{port}/api"


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile; None means no server."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers its health check at `url` (…/api)."""
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(slots=True)
class LocalServer:
    """A Prefect server on this machine; `process` is None when an already running one was reused."""

    url: str
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server if we started it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_server(
    log_path: Path, port: int = DEFAULT_PORT, timeout: float = 120.0, ui: bool = True
) -> LocalServer:
    """Start `prefect server start` on 127.0.0.1:`port` (or reuse a healthy one) and wait until healthy."""
    url = api_url(port)
    if is_healthy(url):
        log.info("using the Prefect server already running at %s", url)
        return LocalServer(url)
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env["PREFECT_SERVER_UI_ENABLED"] = "true" if ui else "false"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)]
    with log_path.open("ab") as out:  # the child keeps its own handle
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    server = _wait_healthy(
        LocalServer(url, process, log_path), timeout, f"`prefect server start` on port {port}"
    )
    log.info("Prefect server healthy at %s (log: %s)", url, log_path)
    return server


def _wait_healthy(server: LocalServer, timeout: float, what: str) -> LocalServer:
    """Wait until `server` answers its health check; PrefectServerError when it exits or time runs out."""
    assert server.process is not None and server.log_path is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise PrefectServerError(
                f"{what} exited with code {server.process.returncode} (port in use?); "
                f"its log {server.log_path} ends:\n{_tail(server.log_path)}"
            )
        if is_healthy(server.url, timeout=1.0):
            return server
        time.sleep(0.2)
    server.stop()
    raise PrefectServerError(f"{what} was not healthy after {timeout:.0f}s; see {server.log_path}")


PR_SET_PDEATHSIG = 1


def _own_session() -> None:  # runs in the child before exec
    os.setsid()  # a Ctrl-C for the run's process group does not reach it
    with contextlib.suppress(OSError, AttributeError):  # and it ends when the run's process ends
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_temporary_server(log_path: Path, timeout: float | None = None) -> LocalServer:
    """Prefect's temporary local server (uvicorn, SQLite in PREFECT_HOME) in its own session on a free port."""
    import prefect

    timeout = timeout or float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", 120))
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent)]
    command += ["--factory", "prefect.server.api.server:create_app", "--host", HOST, "--port", str(port)]
    command += ["--log-level", "error", "--lifespan", "on"]
    with log_path.open("ab") as out:
        process = subprocess.Popen(  # preexec_fn: called before any thread of ours exists
            command, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=_own_session
        )
    return _wait_healthy(
        LocalServer(api_url(port), process, log_path), timeout, "the temporary Prefect server"
    )


@contextlib.contextmanager
def prefect_api(log_path: Path) -> Iterator[LocalServer | None]:
    """Use PREFECT_API_URL when set, else a temporary server of our own for the block.

    The server is stopped at exit (after Prefect has sent its last logs) or by `stop()`.
    """
    if configured_api_url():
        yield None
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    server = start_temporary_server(log_path)
    atexit.register(server.stop, 5.0)
    with temporary_settings(updates={PREFECT_API_URL: server.url}):
        yield server
