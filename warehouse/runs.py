"""Run history: one row per pipeline run."""

from __future__ import annotations

import json
import os
import socket
import uuid
from typing import Any

import duckdb

from .db import transact
from .ingest import now_utc
from .target import Target, as_warehouse


def start_run(db: Target, flow: str = "pipeline", run_id: str | None = None) -> str:
    """Record a run as started and return its id."""
    run_id = run_id or f"{now_utc():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    values = [run_id, flow, now_utc(), socket.gethostname(), os.getpid()]
    transact(
        db,
        lambda con: con.execute(
            "INSERT INTO runs (run_id, flow, started_at, status, host, pid) VALUES (?, ?, ?, 'running', ?, ?)",
            values,
        ),
    )
    return run_id


def finish_run(
    db: Target, run_id: str, status: str, summary: dict[str, Any] | None = None, error: str | None = None
) -> None:
    """Record the end of a run with its status (ok | partial | failed) and summary."""
    values = [now_utc(), status, json.dumps(summary or {}, default=str), error, run_id]
    transact(
        db,
        lambda con: con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, summary = ?, error = ? WHERE run_id = ?", values
        ),
    )


def close_abandoned_runs(db: Target) -> int:
    """Mark runs left 'running' by a killed process as failed (call while holding the run lock).

    On a DuckLake other processes and hosts run at the same time: only runs of this host whose
    process is gone are closed.
    """
    wh = as_warehouse(db)

    def work(con: duckdb.DuckDBPyConnection) -> int:
        rows = con.execute("SELECT run_id, host, pid FROM runs WHERE status = 'running'").fetchall()
        if wh.is_lake:
            here = socket.gethostname()
            rows = [r for r in rows if r[1] == here and not _alive(r[2])]
        if rows:
            con.execute(
                "UPDATE runs SET status = 'failed', finished_at = coalesce(finished_at, now()),"
                " error = coalesce(error, 'abandoned: the process ended without finishing the run')"
                " WHERE status = 'running' AND run_id IN $ids",
                {"ids": [r[0] for r in rows]},
            )
        return len(rows)

    return transact(wh, work)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
