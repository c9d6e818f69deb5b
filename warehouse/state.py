"""What the collectors need to know before fetching: validators and known documents."""

from __future__ import annotations

from collections.abc import Sequence

from .db import DatabaseMissing, read_connection
from .target import Target

Validators = dict[str, tuple[str | None, str | None]]


def fetch_states(db: Target, source_ids: Sequence[str]) -> dict[str, tuple[Validators, set[str]]]:
    """Per source: conditional-GET validators (url -> (etag, last_modified)) and known canonical URLs.

    One read for all sources: a connection per source cost 0.1 s each, 20 s for 165 feeds.
    """
    states: dict[str, tuple[Validators, set[str]]] = {sid: ({}, set()) for sid in source_ids}
    if not source_ids:
        return states
    try:
        with read_connection(db) as con:
            validators = con.execute(
                "SELECT source_id, url, etag, last_modified FROM http_validators WHERE source_id IN ?",
                [list(source_ids)],
            ).fetchall()
            known = con.execute(
                "SELECT source_id, canonical_url FROM documents WHERE source_id IN ?", [list(source_ids)]
            ).fetchall()
    except DatabaseMissing:
        return states
    for sid, url, etag, last_modified in validators:
        states[sid][0][url] = (etag, last_modified)
    for sid, url in known:
        states[sid][1].add(url)
    return states


def known_pages(db: Target, hosts: Sequence[str]) -> set[str]:
    """Canonical URLs of the stored posts on these hosts or their subdomains (any port), whatever their source."""
    if not hosts:
        return set()
    try:
        with read_connection(db) as con:
            rows = con.execute(
                """
                WITH posts AS (
                    SELECT canonical_url, lower(regexp_extract(canonical_url, '^[A-Za-z]+://([^/:?#]+)', 1)) AS host
                    FROM documents WHERE kind = 'post'
                )
                SELECT DISTINCT canonical_url FROM posts, unnest(?::VARCHAR[]) AS t(wanted)
                WHERE host = lower(wanted) OR host LIKE '%.' || lower(wanted)
                """,
                [list(hosts)],
            ).fetchall()
    except DatabaseMissing:
        return set()
    return {row[0] for row in rows}
