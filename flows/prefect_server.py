"""A Prefect server for schedules: find the configured one, or start one on 127.0.0.1 and stop it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
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
    server = LocalServer(url, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrefectServerError(
                f"`prefect server start` on port {port} exited with code {process.returncode} "
                f"(port in use?); its log {log_path} ends:\n{_tail(log_path)}"
            )
        if is_healthy(url):
            log.info("Prefect server healthy at %s (log: %s)", url, log_path)
            return server
        time.sleep(0.5)
    server.stop()
    raise PrefectServerError(
        f"the Prefect server on port {port} was not healthy after {timeout:.0f}s; see {log_path}"
    )
