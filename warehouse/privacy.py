"""Privacy (GDPR): pseudonymised comment authors, retention of raw text, erasure of one author."""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb
import pandas as pd

from .db import read_connection, transact
from .target import Target

log = logging.getLogger(__name__)

PSEUDONYM_PREFIX = "author-"
DOC_TABLES_SQL = """
    SELECT c.table_name FROM information_schema.columns c
    JOIN information_schema.tables t USING (table_catalog, table_schema, table_name)
    WHERE c.column_name = 'doc_id' AND t.table_type = 'BASE TABLE'
      AND c.table_catalog = current_database() AND c.table_schema = current_schema()
    ORDER BY c.table_name = 'documents', c.table_name
"""


def normalize_name(name: str) -> str:
    """An author name as compared: Unicode-normalised, whitespace collapsed, case-folded."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def pseudonym(name: str, key: bytes) -> str:
    """A stable keyed pseudonym of an author name, e.g. 'author-3f9a1c2e4b7d' (HMAC-SHA256)."""
    digest = hmac.new(key, normalize_name(name).encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:12]


def name_hash(name: str) -> str:
    """What the erasure list keeps of a name: a hash, never the name itself."""
    return hashlib.sha256(normalize_name(name).encode("utf-8")).hexdigest()


def pseudonymize_comment_authors(frame: pd.DataFrame, key: bytes) -> None:
    """Replace the `author` of comment rows in a documents frame by their pseudonyms (in place)."""
    mask = (frame["kind"] == "comment") & frame["author"].notna()
    frame.loc[mask, "author"] = [pseudonym(a, key) for a in frame.loc[mask, "author"]]


def drop_erased_authors(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, key: bytes | None
) -> pd.DataFrame:
    """The documents frame without documents of erased authors (`resonanz purge --author`)."""
    erased = {row[0] for row in con.execute("SELECT name_hash FROM erased_authors").fetchall()}
    if not erased or frame.empty:
        return frame
    names = frame["author"].fillna("")
    hit = names.map(lambda a: bool(a) and name_hash(a) in erased)
    if key:
        hit |= names.map(lambda a: bool(a) and name_hash(pseudonym(a, key)) in erased)
    if hit.any():
        log.info("dropped %d incoming document(s) of erased authors", int(hit.sum()))
    return frame[~hit].reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """What a retention pass emptied."""

    cutoff: datetime
    documents: int
    versions: int


EXPIRED = "coalesce(published_at, fetched_at) < $cutoff"
EXPIRED_DOCUMENTS = f"{EXPIRED} AND (text <> '' OR title IS NOT NULL)"
EXPIRED_VERSIONS = (
    "(text IS NOT NULL OR title IS NOT NULL) "
    f"AND (replaced_at < $cutoff OR doc_id IN (SELECT doc_id FROM documents WHERE {EXPIRED}))"
)


def purge_expired(
    db: Target, retention_days: int, now: datetime | None = None, *, dry_run: bool = False
) -> RetentionResult:
    """Empty text and title of documents published (else fetched) more than `retention_days` ago.

    Rows, ids, hashes, dates, authors and every enrichment result stay, so counts and trends
    keep working; `purged_at` marks what was emptied. Earlier versions of those documents (and
    versions replaced before the cutoff) lose their text and title too. `dry_run` only counts
    them, on a read-only connection.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    params = {"cutoff": cutoff}
    if dry_run:
        with read_connection(db) as con:
            documents = con.execute(
                f"SELECT count(*) FROM documents WHERE {EXPIRED_DOCUMENTS}", params
            ).fetchone()[0]
            versions = con.execute(
                f"SELECT count(*) FROM document_versions WHERE {EXPIRED_VERSIONS}", params
            ).fetchone()[0]
        return RetentionResult(cutoff, documents, versions)

    def work(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
        documents = con.execute(
            f"UPDATE documents SET text = '', title = NULL, purged_at = now() WHERE {EXPIRED_DOCUMENTS}",
            params,
        ).fetchone()[0]
        versions = con.execute(
            "UPDATE document_versions SET text = NULL, title = NULL, purged_at = now() "
            f"WHERE {EXPIRED_VERSIONS}",
            params,
        ).fetchone()[0]
        return documents, versions

    documents, versions = transact(db, work, claim=("documents",))
    if documents or versions:
        log.info(
            "retention: emptied %d document(s) and %d version(s) older than %s", documents, versions, cutoff
        )
    return RetentionResult(cutoff, documents, versions)


@dataclass(slots=True)
class ErasureResult:
    """What `purge_author` deleted (or would delete): rows per table and the documents."""

    authors: list[str] = field(default_factory=list)  # the stored author values that matched
    rows: dict[str, int] = field(default_factory=dict)
    documents: list[dict] = field(default_factory=list)  # doc_id, kind, url, published_at


def _matching_authors(con: duckdb.DuckDBPyConnection, name: str, key: bytes | None) -> list[str]:
    wanted = {normalize_name(name)}
    if key:
        wanted.add(normalize_name(pseudonym(name, key)))
    stored = con.execute(
        "SELECT author FROM documents WHERE author IS NOT NULL UNION SELECT author FROM document_versions "
        "WHERE author IS NOT NULL"
    ).fetchall()
    return sorted(a for (a,) in stored if normalize_name(a) in wanted)


def _erase(con: duckdb.DuckDBPyConnection, name: str, key: bytes | None, delete: bool) -> ErasureResult:
    result = ErasureResult(authors=_matching_authors(con, name, key))
    if not result.authors:
        return result
    con.execute(
        "CREATE OR REPLACE TEMP TABLE erase_ids AS SELECT doc_id FROM documents WHERE author IN $a "
        "UNION SELECT doc_id FROM document_versions WHERE author IN $a",
        {"a": result.authors},
    )
    frame = con.execute(
        "SELECT doc_id, kind, url, published_at FROM documents WHERE doc_id IN (SELECT doc_id FROM erase_ids) "
        "ORDER BY published_at NULLS LAST, url"
    ).df()
    result.documents = frame.to_dict("records")
    for (table,) in con.execute(DOC_TABLES_SQL).fetchall():
        where = f'FROM "{table}" WHERE doc_id IN (SELECT doc_id FROM erase_ids)'
        count = con.execute(f"{'DELETE' if delete else 'SELECT count(*)'} {where}").fetchone()[0]
        if count:
            result.rows[table] = count
    if delete:
        con.execute(
            "UPDATE documents SET near_duplicate_of = NULL WHERE near_duplicate_of IN (SELECT doc_id FROM erase_ids)"
        )
    con.execute("DROP TABLE erase_ids")
    return result


def purge_author(
    db: Target, name: str, key: bytes | None = None, *, dry_run: bool = False, remember: bool = True
) -> ErasureResult:
    """Delete every document of an author (raw name or its pseudonym) from every table keyed by doc_id.

    Tables are discovered through information_schema (any table with a `doc_id` column), so
    enrichment tables added later are covered. With `remember`, a hash of the name goes on the
    erasure list and later runs drop that author's documents at ingest.
    """
    if dry_run:
        with read_connection(db) as con:
            return _erase(con, name, key, delete=False)

    def work(con: duckdb.DuckDBPyConnection) -> ErasureResult:
        result = _erase(con, name, key, delete=True)
        if remember:
            hashes = sorted({name_hash(name)} | ({name_hash(pseudonym(name, key))} if key else set()))
            con.execute(
                """
                MERGE INTO erased_authors AS e USING (SELECT unnest($h) AS name_hash) AS i
                    ON e.name_hash = i.name_hash
                WHEN NOT MATCHED THEN INSERT (name_hash) VALUES (i.name_hash)
                """,
                {"h": hashes},
            )
        return result

    result = transact(db, work, claim=("documents",))
    log.info("erased %d document(s) of one author: %s", len(result.documents), result.rows)
    return result
