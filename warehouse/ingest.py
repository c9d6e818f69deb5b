"""Idempotent, set-based ingestion of collected documents, fetch outcomes and sources."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from crawlers.records import DocumentRecord, FetchOutcome

from .comment_reach import mark_deleted_comments, record_comment_checks
from .db import transact
from .neardup import link_near_duplicates
from .privacy import drop_erased_authors, pseudonymize_comment_authors
from .target import Target

DOC_COLUMNS = [
    "doc_id",
    "kind",
    "own",
    "parent_id",
    "source_id",
    "url",
    "canonical_url",
    "guid",
    "title",
    "text",
    "author",
    "published_at",
    "lang",
    "content_hash",
    "via",
    "meta",
]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A configured source as the warehouse records it."""

    source_id: str
    name: str
    kind: str  # feed | site | own_blog
    url: str
    own: bool = False


@dataclass(frozen=True, slots=True)
class IngestCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    near_duplicates: int = 0  # of the new and updated documents

    def __add__(self, other: IngestCounts) -> IngestCounts:
        return IngestCounts(
            self.new + other.new,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.near_duplicates + other.near_duplicates,
        )


def now_utc() -> datetime:
    return datetime.now(UTC)


def sync_sources(db: Target, specs: list[SourceSpec]) -> None:
    """Insert or update the configured sources; sources no longer configured become inactive."""
    frame = pd.DataFrame(
        [(s.source_id, s.name, s.kind, s.url, s.own) for s in specs],
        columns=["source_id", "name", "kind", "url", "own"],
    )
    frame = frame.drop_duplicates("source_id", keep="last")

    def work(con: duckdb.DuckDBPyConnection) -> None:
        con.register("incoming_sources", frame)
        con.execute(
            """
            MERGE INTO sources USING incoming_sources AS i ON sources.source_id = i.source_id
            WHEN MATCHED THEN UPDATE SET name = i.name, kind = i.kind, url = i.url, own = i.own,
                active = TRUE, updated_at = now()
            WHEN NOT MATCHED THEN INSERT (source_id, name, kind, url, own, active)
                VALUES (i.source_id, i.name, i.kind, i.url, i.own, TRUE)
            """
        )
        con.execute(
            "UPDATE sources SET active = FALSE"
            " WHERE active AND source_id NOT IN (SELECT source_id FROM incoming_sources)"
        )
        con.unregister("incoming_sources")

    transact(db, work, claim=("documents",))


def _frame(docs: list[DocumentRecord], fetched_at: datetime) -> pd.DataFrame:
    latest: dict[str, DocumentRecord] = {}
    for doc in docs:  # the last record of a document within one batch wins
        latest[doc.doc_id] = doc
    rows = [
        (
            d.doc_id,
            d.kind,
            d.own,
            d.parent_id,
            d.source_id,
            d.url,
            d.canonical_url,
            d.guid,
            d.title,
            d.text,
            d.author,
            d.published_at,
            d.lang,
            d.content_hash,
            d.via,
            json.dumps(d.meta) if d.meta else None,
        )
        for d in latest.values()
    ]
    frame = pd.DataFrame(rows, columns=DOC_COLUMNS)
    for column in DOC_COLUMNS:  # text columns stay VARCHAR even when every value is None
        if column not in ("own", "published_at"):
            frame[column] = frame[column].astype("string")
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    frame["fetched_at"] = pd.Timestamp(fetched_at)
    return frame


def upsert_documents(
    con: duckdb.DuckDBPyConnection,
    docs: list[DocumentRecord],
    run_id: str | None,
    pseudonym_key: bytes | None = None,
) -> IngestCounts:
    """Insert new documents, version and update edited ones, leave the rest; inside the caller's transaction.

    A document belongs to the source that delivered it first: the same URL seen through another
    source (a feed and a crawl of the same blog) counts as unchanged. With `pseudonym_key`, comment
    authors are stored as keyed pseudonyms; documents of erased authors are dropped.
    """
    if not docs:
        return IngestCounts()
    frame = drop_erased_authors(con, _frame(docs, now_utc()), pseudonym_key)
    if pseudonym_key:
        pseudonymize_comment_authors(frame, pseudonym_key)
    con.register("incoming_docs", frame)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE staged AS
        SELECT i.*, d.content_hash AS old_hash, d.source_id AS old_source, d.version AS old_version
        FROM incoming_docs i LEFT JOIN documents d USING (doc_id)
        """
    )
    new, updated, unchanged = con.execute(
        """
        SELECT count(*) FILTER (WHERE old_hash IS NULL),
               count(*) FILTER (WHERE old_hash IS NOT NULL AND old_source = source_id AND old_hash <> content_hash),
               count(*) FILTER (WHERE old_hash IS NOT NULL AND (old_source <> source_id OR old_hash = content_hash))
        FROM staged
        """
    ).fetchone()
    if updated:
        con.execute(
            """
            INSERT INTO document_versions (doc_id, version, title, text, author, content_hash, replaced_at, run_id)
            SELECT d.doc_id, d.version, d.title, d.text, d.author, d.content_hash, now(), ?
            FROM documents d JOIN staged s USING (doc_id)
            WHERE s.old_source = s.source_id AND s.old_hash <> s.content_hash
            """,
            [run_id],
        )
        con.execute(
            """
            UPDATE documents AS d SET
                title = s.title, text = s.text, author = s.author, content_hash = s.content_hash,
                published_at = coalesce(s.published_at, d.published_at), url = s.url, guid = s.guid,
                lang = coalesce(s.lang, d.lang), meta = s.meta, updated_at = s.fetched_at,
                version = d.version + 1, last_run_id = ?
            FROM staged s
            WHERE d.doc_id = s.doc_id AND s.old_source = s.source_id AND s.old_hash <> s.content_hash
            """,
            [run_id],
        )
    if new:
        con.execute(
            """
            INSERT INTO documents (doc_id, kind, own, parent_id, source_id, url, canonical_url, guid, title, text,
                author, published_at, fetched_at, updated_at, lang, content_hash, via, version, first_run_id,
                last_run_id, meta)
            SELECT doc_id, kind, own, parent_id, source_id, url, canonical_url, guid, title, text, author,
                published_at, fetched_at, fetched_at, lang, content_hash, via, 1, ?, ?, meta
            FROM staged WHERE old_hash IS NULL
            """,
            [run_id, run_id],
        )
    changed = con.execute(
        "SELECT doc_id, kind, text FROM staged WHERE old_hash IS NULL OR (old_source = source_id AND old_hash <> content_hash)"
    ).df()
    near = link_near_duplicates(con, changed, replace=bool(updated))
    con.execute("DROP TABLE staged")
    con.unregister("incoming_docs")
    return IngestCounts(new, updated, unchanged, near)


def record_fetch(
    con: duckdb.DuckDBPyConnection, outcome: FetchOutcome, run_id: str, counts: IngestCounts
) -> None:
    """Write the fetch_log row, the source's state (validators, failure streak) and its comment checks."""
    deleted, restored = mark_deleted_comments(con, outcome, run_id)
    if deleted or restored:
        outcome.meta.update(comments_deleted=deleted, comments_restored=restored)
    started = now_utc() - timedelta(seconds=outcome.elapsed_s)
    con.execute(
        """
        INSERT INTO fetch_log (run_id, source_id, url, started_at, elapsed_ms, status, http_status, error, pages,
            new, updated, unchanged, near_duplicates, meta)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            run_id,
            outcome.source_id,
            outcome.url,
            started,
            int(outcome.elapsed_s * 1000),
            outcome.status,
            outcome.http_status,
            outcome.error,
            outcome.pages,
            counts.new,
            counts.updated,
            counts.unchanged,
            counts.near_duplicates,
            json.dumps(outcome.meta, default=str) if outcome.meta else None,
        ],
    )
    if outcome.validators:
        frame = pd.DataFrame(
            [(url, outcome.source_id, e, lm) for url, (e, lm) in outcome.validators.items()],
            columns=["url", "source_id", "etag", "last_modified"],
        )
        con.register("incoming_validators", frame.drop_duplicates("url", keep="last"))
        con.execute(
            """
            MERGE INTO http_validators AS v USING incoming_validators AS i ON v.url = i.url
            WHEN MATCHED THEN UPDATE SET etag = i.etag, last_modified = i.last_modified,
                source_id = i.source_id, checked_at = now()
            WHEN NOT MATCHED THEN INSERT (url, source_id, etag, last_modified)
                VALUES (i.url, i.source_id, i.etag, i.last_modified)
            """
        )
        con.unregister("incoming_validators")
    record_comment_checks(con, outcome.source_id, outcome.comment_checks, run_id)
    failed = outcome.status == "error"
    con.execute(
        """
        UPDATE sources SET
            etag = CASE WHEN ? THEN etag ELSE coalesce(?, etag) END,
            last_modified = CASE WHEN ? THEN last_modified ELSE coalesce(?, last_modified) END,
            consecutive_failures = CASE WHEN ? THEN consecutive_failures + 1 ELSE 0 END,
            last_status = ?, last_error = ?, last_fetched_at = now(), updated_at = now()
        WHERE source_id = ?
        """,
        [
            failed,
            outcome.etag,
            failed,
            outcome.last_modified,
            failed,
            outcome.status,
            outcome.error,
            outcome.source_id,
        ],
    )


def ingest_outcome(
    db: Target,
    outcome: FetchOutcome,
    run_id: str,
    batch_size: int = 2000,
    pseudonym_key: bytes | None = None,
) -> IngestCounts:
    """Store one source's fetch: documents in short batches, then its fetch_log row and source state.

    The fetch_log row and the new validators (ETag, Last-Modified) are written in the same
    transaction as the last batch, so a crash never leaves validators that claim documents
    we do not have. Each batch claims the documents group (`warehouse.db.transact`): concurrent
    writers into a DuckLake commit one after the other, each on the other's rows, so a document is
    never inserted twice; a conflicting batch runs again. `pseudonym_key` (privacy.pseudonymize_authors) replaces comment authors by
    keyed pseudonyms before anything is stored.
    """
    docs = outcome.documents
    counts = IngestCounts()
    batches = [docs[i : i + batch_size] for i in range(0, len(docs), batch_size)] or [[]]
    for index, batch in enumerate(batches):
        last = index == len(batches) - 1

        def work(con: duckdb.DuckDBPyConnection, batch=batch, last=last, before=counts) -> IngestCounts:
            total = before + upsert_documents(con, batch, run_id, pseudonym_key)
            if last:
                record_fetch(con, outcome, run_id, total)
            return total

        counts = transact(db, work, claim=("documents",))
    return counts
