"""Read-only queries behind the app's first page and the run history."""

from __future__ import annotations

import pandas as pd

from .db import query
from .target import Target


def overview_kpis(db: Target) -> dict:
    """Documents, active sources and the last run."""
    frame = query(
        db,
        """
        SELECT (SELECT count(*) FROM documents) AS documents,
               (SELECT count(*) FROM documents WHERE kind = 'post') AS posts,
               (SELECT count(*) FROM documents WHERE kind = 'comment') AS comments,
               (SELECT count(*) FROM sources WHERE active) AS sources,
               (SELECT count(*) FROM sources WHERE active AND last_status = 'error') AS failing_sources
        """,
    )
    kpis = frame.iloc[0].to_dict()
    last = query(
        db, "SELECT run_id, status, started_at, finished_at, error FROM runs ORDER BY started_at DESC LIMIT 1"
    )
    kpis["last_run"] = last.iloc[0].to_dict() if len(last) else None
    return kpis


def latest_documents(db: Target, limit: int = 50, kind: str | None = None) -> pd.DataFrame:
    """Newest documents with their source."""
    return query(
        db,
        """
        SELECT d.published_at, s.name AS source, d.kind, d.own, d.title, d.author, d.url,
               left(d.text, 280) AS excerpt
        FROM documents d JOIN sources s USING (source_id)
        WHERE ? IS NULL OR d.kind = ?
        ORDER BY d.published_at DESC NULLS LAST, d.fetched_at DESC
        LIMIT ?
        """,
        [kind, kind, limit],
    )


def source_health(db: Target) -> pd.DataFrame:
    """Per source: last status and error, failure streak, documents, last run's counts."""
    return query(
        db,
        """
        WITH last AS (
            SELECT source_id, arg_max(status, started_at) AS last_status, arg_max(http_status, started_at) AS http,
                   arg_max(new, started_at) AS new_last_run, max(started_at) AS last_fetch,
                   count(*) FILTER (WHERE status = 'error') AS errors_total
            FROM fetch_log GROUP BY source_id
        ), docs AS (SELECT source_id, count(*) AS documents FROM documents GROUP BY source_id)
        SELECT s.source_id, s.name, s.kind, s.own, coalesce(docs.documents, 0) AS documents,
               last.last_status, last.http, last.new_last_run, last.last_fetch, s.consecutive_failures,
               s.last_error, last.errors_total
        FROM sources s LEFT JOIN last USING (source_id) LEFT JOIN docs USING (source_id)
        WHERE s.active
        ORDER BY s.consecutive_failures DESC, s.name
        """,
    )
