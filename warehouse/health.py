"""Run history and source health: read-only queries for `resonanz health` and the app's Runs page."""

from __future__ import annotations

import pandas as pd

from .db import query
from .target import Target


def runs_history(db: Target, limit: int = 50) -> pd.DataFrame:
    """The latest runs, newest first, with their per-source totals from fetch_log.

    Columns: run_id, flow, status, started_at, finished_at, duration_s, sources, failed_sources,
    failed (list of source ids), pages, new, updated, unchanged, near_duplicates, fetch_s, error.
    """
    return query(
        db,
        """
        WITH latest AS (SELECT * FROM runs ORDER BY started_at DESC LIMIT $limit),
        per_run AS (
            SELECT run_id, count(*) AS sources, count(*) FILTER (WHERE status = 'error') AS failed_sources,
                   coalesce(list(source_id ORDER BY source_id) FILTER (WHERE status = 'error'), []) AS failed,
                   sum(pages)::BIGINT AS pages, sum(new)::BIGINT AS new, sum(updated)::BIGINT AS updated,
                   sum(unchanged)::BIGINT AS unchanged, sum(coalesce(near_duplicates, 0))::BIGINT AS near_duplicates,
                   sum(elapsed_ms) / 1000.0 AS fetch_s
            FROM fetch_log WHERE run_id IN (SELECT run_id FROM latest) GROUP BY run_id
        )
        SELECT r.run_id, r.flow, r.status, r.started_at, r.finished_at,
               round(epoch(r.finished_at) - epoch(r.started_at), 3) AS duration_s,
               coalesce(p.sources, 0) AS sources, coalesce(p.failed_sources, 0) AS failed_sources,
               coalesce(p.failed, []) AS failed, coalesce(p.pages, 0) AS pages, coalesce(p.new, 0) AS new,
               coalesce(p.updated, 0) AS updated, coalesce(p.unchanged, 0) AS unchanged,
               coalesce(p.near_duplicates, 0) AS near_duplicates, coalesce(p.fetch_s, 0) AS fetch_s, r.error
        FROM latest r LEFT JOIN per_run p USING (run_id)
        ORDER BY r.started_at DESC
        """,
        {"limit": limit},
    )


def run_sources(db: Target, run_id: str) -> pd.DataFrame:
    """Per source of one run: status, HTTP status, counts, elapsed seconds and error (fetch_log rows)."""
    return query(
        db,
        """
        SELECT f.source_id, s.name, f.status, f.http_status, f.pages, f.new, f.updated, f.unchanged,
               coalesce(f.near_duplicates, 0) AS near_duplicates, f.elapsed_ms / 1000.0 AS elapsed_s,
               f.started_at, f.error
        FROM fetch_log f LEFT JOIN sources s USING (source_id)
        WHERE f.run_id = $run_id
        ORDER BY f.status = 'error' DESC, f.source_id
        """,
        {"run_id": run_id},
    )


def failing_sources(db: Target, threshold: int = 3) -> pd.DataFrame:
    """Active sources whose last `threshold` or more fetches in a row failed, worst first.

    Columns: source_id, name, kind, url, consecutive_failures, failing_since (first failed fetch
    of the current streak), last_fetched_at, last_error.
    """
    return query(
        db,
        """
        WITH last_ok AS (
            SELECT source_id, max(started_at) AS ok_at FROM fetch_log WHERE status <> 'error' GROUP BY source_id
        ), streak AS (
            SELECT f.source_id, min(f.started_at) AS failing_since
            FROM fetch_log f LEFT JOIN last_ok o USING (source_id)
            WHERE f.status = 'error' AND (o.ok_at IS NULL OR f.started_at > o.ok_at)
            GROUP BY f.source_id
        )
        SELECT s.source_id, s.name, s.kind, s.url, s.consecutive_failures, k.failing_since, s.last_fetched_at,
               s.last_error
        FROM sources s LEFT JOIN streak k USING (source_id)
        WHERE s.active AND s.consecutive_failures >= $threshold
        ORDER BY s.consecutive_failures DESC, s.source_id
        """,
        {"threshold": threshold},
    )
