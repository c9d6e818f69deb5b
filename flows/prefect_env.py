"""Quiet, offline-friendly Prefect defaults; call before importing prefect."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
}


def configure_prefect(home: Path | None = None) -> None:
    """Set Prefect's environment defaults (the user's own settings win).

    One PREFECT_HOME is reused across runs (~/.resonanz/prefect by default), so the temporary
    local server starts in ~5 s instead of ~10 s. With PREFECT_API_URL set, runs go to that server.
    """
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    if "PREFECT_HOME" not in os.environ:
        target = home or Path(os.environ.get("RESONANZ_HOME", Path.home() / ".resonanz")) / "prefect"
        target.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(target)
