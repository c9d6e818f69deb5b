"""Stage fingerprints (what a stage last completed on) and the cheap warehouse markers they are made of."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from .db import DatabaseMissing, read_connection, transact
from .target import Target

# One aggregate row per table: row counts and newest change times. Every writer of these tables
# (ingest, enrichment, regrouping, retention, erasure) moves at least one of them.
_MARKERS = {
    "documents": "SELECT count(*), max(updated_at), max(purged_at), max(version) FROM documents",
    "nlp_status": "SELECT count(*), max(enriched_at) FROM nlp_status",
    "emerging_runs": "SELECT count(*), max(run_at) FROM emerging_runs",
    "question_groups": "SELECT count(*), max(updated_at), sum(n_questions) FROM question_groups",
    "sources": "SELECT count(*), md5(string_agg(concat_ws('|', source_id, name, kind, url, own, active), ','"
    " ORDER BY source_id)) FROM sources",
    "corrections": "SELECT count(*), max(created_at), max(undone_at) FROM corrections",
}


def warehouse_markers(db: Target, tables: tuple[str, ...] = tuple(_MARKERS)) -> dict[str, list[str]]:
    """Counts and newest timestamps of the tables a stage reads (a few milliseconds at a million rows)."""
    try:
        with read_connection(db) as con:
            return {t: [str(v) for v in con.execute(_MARKERS[t]).fetchone()] for t in tables}
    except (DatabaseMissing, duckdb.CatalogException):
        return {}


def stage_fingerprint(db: Target, stage: str) -> tuple[str | None, dict[str, Any]]:
    """The stored fingerprint of a stage and its detail (None: never completed, or an older database)."""
    try:
        with read_connection(db) as con:
            row = con.execute(
                "SELECT fingerprint, detail FROM stage_state WHERE stage = ?", [stage]
            ).fetchone()
    except (DatabaseMissing, duckdb.CatalogException):
        return None, {}
    return (row[0], json.loads(row[1]) if row[1] else {}) if row else (None, {})


def save_stage_fingerprint(db: Target, stage: str, fingerprint: str, detail: dict[str, Any]) -> None:
    """Record that `stage` completed on inputs with this fingerprint."""
    transact(
        db,
        lambda con: con.execute(
            """
            MERGE INTO stage_state AS s USING (SELECT ? AS stage, ? AS fingerprint, ? AS detail) AS i
                ON s.stage = i.stage
            WHEN MATCHED THEN UPDATE SET fingerprint = i.fingerprint, detail = i.detail, updated_at = now()
            WHEN NOT MATCHED THEN INSERT (stage, fingerprint, detail, updated_at)
                VALUES (i.stage, i.fingerprint, i.detail, now())
            """,
            [stage, fingerprint, json.dumps(detail, default=str)],
        ),
        claim=("aggregates",),
    )
