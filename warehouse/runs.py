"""Run history: one row per pipeline run."""

from __future__ import annotations

import json
import os
import socket
import uuid
from pathlib import Path
from typing import Any

from .db import write_connection
from .ingest import now_utc


def start_run(db: str | Path, flow: str = "pipeline", run_id: str | None = None) -> str:
    """Record a run as started and return its id."""
    run_id = run_id or f"{now_utc():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    with write_connection(db) as con:
        con.execute(
            "INSERT INTO runs (run_id, flow, started_at, status, host, pid) VALUES (?, ?, ?, 'running', ?, ?)",
            [run_id, flow, now_utc(), socket.gethostname(), os.getpid()],
        )
    return run_id


def finish_run(
    db: str | Path, run_id: str, status: str, summary: dict[str, Any] | None = None, error: str | None = None
) -> None:
    """Record the end of a run with its status (ok | partial | failed) and summary."""
    with write_connection(db) as con:
        con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ?, error = ? WHERE run_id = ?",
            [now_utc(), status, json.dumps(summary or {}, default=str), error, run_id],
        )


def close_abandoned_runs(db: str | Path) -> int:
    """Mark runs left 'running' by a killed process as failed (call while holding the run lock)."""
    with write_connection(db) as con:
        count = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
        con.execute(
            "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, now()),"
            " error = coalesce(error, 'abandoned: the process ended without finishing the run')"
            " WHERE status = 'running'"
        )
    return count
