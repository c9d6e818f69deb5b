"""Warehouse: migrations, idempotent upserts, edits versioned, fetch_log and source state — on both backends."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from crawlers.records import DocumentRecord, FetchOutcome
from warehouse.db import init_db, migrations, read_connection
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import close_abandoned_runs, finish_run, start_run
from warehouse.stats import collection_stats
from warehouse.target import Warehouse


def _post(i: int, text: str | None = None, source: str = "blog") -> DocumentRecord:
    url = f"http://127.0.0.1:9/post-{i}/"
    return DocumentRecord(
        kind="post",
        source_id=source,
        url=url,
        canonical_url=url,
        title=f"Post {i}",
        text=text or f"Body of post {i}",
        author="A",
        published_at=datetime(2026, 1, i + 1, tzinfo=UTC),
    )


def _comment(i: int, post: int) -> DocumentRecord:
    parent = f"http://127.0.0.1:9/post-{post}/"
    return DocumentRecord(
        kind="comment",
        source_id="blog",
        url=f"{parent}#comment-{i}",
        canonical_url=f"{parent}#comment-{i}",
        text=f"Comment {i}",
        author="R",
        parent_url=parent,
    )


def _setup(db: Path | Warehouse) -> str:
    sync_sources(
        db,
        [
            SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed"),
            SourceSpec("crawl", "Blog crawl", "site", "http://127.0.0.1:9/"),
        ],
    )
    return start_run(db)


def test_migrations_are_versioned_and_idempotent(any_db: Path | Warehouse):
    init_db(any_db)
    init_db(any_db)
    with read_connection(any_db) as con:
        versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [m[0] for m in migrations()]


def test_ingest_is_idempotent_and_counts(any_db: Path | Warehouse):
    run = _setup(any_db)
    docs = [_post(1), _post(2), _comment(1, 1)]
    first = ingest_outcome(
        any_db, FetchOutcome("blog", "http://127.0.0.1:9/feed", "ok", 200, documents=docs), run
    )
    again = ingest_outcome(
        any_db, FetchOutcome("blog", "http://127.0.0.1:9/feed", "ok", 200, documents=docs), run
    )
    assert (first.new, first.updated, first.unchanged) == (3, 0, 0)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    with read_connection(any_db) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 3
        parent = con.execute("SELECT parent_id FROM documents WHERE kind = 'comment'").fetchone()[0]
        assert parent == _post(1).doc_id
        rows = con.execute("SELECT new, updated, unchanged FROM fetch_log ORDER BY started_at").fetchall()
    assert rows == [(3, 0, 0), (0, 0, 3)]


def test_edit_updates_row_and_records_old_version(any_db: Path | Warehouse):
    run = _setup(any_db)
    ingest_outcome(any_db, FetchOutcome("blog", "u", "ok", documents=[_post(1)]), run)
    counts = ingest_outcome(
        any_db, FetchOutcome("blog", "u", "ok", documents=[_post(1, "Corrected body")]), run
    )
    assert counts.updated == 1
    with read_connection(any_db) as con:
        text, version = con.execute("SELECT text, version FROM documents").fetchone()
        old = con.execute("SELECT version, text FROM document_versions").fetchall()
    assert (text, version) == ("Corrected body", 2)
    assert old == [(1, "Body of post 1")]


def test_same_url_from_another_source_is_not_a_new_document(any_db: Path | Warehouse):
    run = _setup(any_db)
    ingest_outcome(any_db, FetchOutcome("blog", "u", "ok", documents=[_post(1)]), run)
    other = _post(1, "slightly different extraction", source="crawl")
    counts = ingest_outcome(any_db, FetchOutcome("crawl", "u", "ok", documents=[other]), run)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 1)


def test_source_state_validators_and_failure_streak(any_db: Path | Warehouse):
    run = _setup(any_db)
    ok = FetchOutcome(
        "blog",
        "u",
        "ok",
        200,
        etag='"v1"',
        last_modified="Mon, 01 Jan 2026 00:00:00 GMT",
        validators={"u": ('"v1"', None)},
    )
    ingest_outcome(any_db, ok, run)
    for _ in range(2):
        ingest_outcome(any_db, FetchOutcome("blog", "u", "error", 503, error="HTTP 503"), run)
    with read_connection(any_db) as con:
        row = con.execute(
            "SELECT etag, consecutive_failures, last_status, last_error FROM sources WHERE source_id='blog'"
        ).fetchone()
        assert con.execute("SELECT etag FROM http_validators WHERE url = 'u'").fetchone()[0] == '"v1"'
    assert row == ('"v1"', 2, "error", "HTTP 503")


def test_stats_and_abandoned_runs(any_db: Path | Warehouse):
    run = _setup(any_db)
    ingest_outcome(any_db, FetchOutcome("blog", "u", "ok", documents=[_post(1), _comment(1, 1)]), run)
    # a run left 'running' by a process that is gone (the test's own run is still alive on a DuckLake)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from warehouse.runs import start_run; start_run(sys.argv[1])",
            str(any_db),
        ],
        check=True,
        timeout=120,
    )
    assert close_abandoned_runs(any_db) == (1 if isinstance(any_db, Warehouse) else 2)
    finish_run(any_db, run, "ok")
    run2 = start_run(any_db)
    finish_run(any_db, run2, "ok", {"documents": 2})
    stats = collection_stats(any_db)
    assert stats["sources"] == 2
    assert stats["documents"] == {
        "post_external": 1,
        "post_own": 0,
        "comment_external": 1,
        "comment_own": 0,
        "total": 2,
    }
    assert stats["runs"] == 3
    assert stats["last_run"]["run_id"] == run2 and stats["last_run"]["status"] == "ok"


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_readers_retry_while_another_process_writes(tmp_db: Path):
    import subprocess
    import sys

    import pytest

    from warehouse.db import DatabaseBusy

    init_db(tmp_db)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_db), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(DatabaseBusy, match="locked by another process"):
            with read_connection(tmp_db, timeout=0.2):
                pass
        with read_connection(tmp_db, timeout=20) as con:  # retries until the writer is gone
            assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    finally:
        holder.wait(timeout=20)
