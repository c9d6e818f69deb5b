"""What the collectors need to know before fetching: validators and known documents."""

from __future__ import annotations

from pathlib import Path

from .db import DatabaseMissing, read_connection


def fetch_state(db: str | Path, source_ids: list[str]) -> tuple[dict[str, tuple[str | None, str | None]], set[str]]:
    """Conditional-GET validators (url -> (etag, last_modified)) and known canonical URLs of these sources."""
    if not source_ids:
        return {}, set()
    try:
        with read_connection(db) as con:
            validators = {
                url: (etag, lm)
                for url, etag, lm in con.execute(
                    "SELECT url, etag, last_modified FROM http_validators WHERE source_id IN ?", [source_ids]
                ).fetchall()
            }
            known = {
                row[0]
                for row in con.execute(
                    "SELECT canonical_url FROM documents WHERE source_id IN ?", [source_ids]
                ).fetchall()
            }
    except DatabaseMissing:
        return {}, set()
    return validators, known
