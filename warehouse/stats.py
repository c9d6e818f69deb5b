"""Counts for `resonanz stats`."""

from __future__ import annotations

from typing import Any

from .db import read_connection
from .target import Target

KINDS = ("post_external", "post_own", "comment_external", "comment_own")


def collection_stats(db: Target) -> dict[str, Any]:
    """Sources, documents by kind, runs and the last run, as one JSON-ready dict."""
    with read_connection(db) as con:
        sources = con.execute("SELECT count(*) FROM sources WHERE active").fetchone()[0]
        documents = dict.fromkeys(KINDS, 0)
        for kind, own, n in con.execute("SELECT kind, own, count(*) FROM documents GROUP BY ALL").fetchall():
            documents[f"{kind}_{'own' if own else 'external'}"] = n
        documents["total"] = sum(documents[k] for k in KINDS)
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
        last = con.execute(
            "SELECT run_id, flow, status, started_at, finished_at, error FROM runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    last_run = None
    if last:
        last_run = {
            "run_id": last[0],
            "flow": last[1],
            "status": last[2],
            "started_at": last[3].isoformat() if last[3] else None,
            "finished_at": last[4].isoformat() if last[4] else None,
            "error": last[5],
        }
    return {"sources": sources, "documents": documents, "runs": runs, "last_run": last_run}
