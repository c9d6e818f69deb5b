"""Stage gates: a stage is skipped only when nothing it reads or depends on changed since it completed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from crawlers.records import DocumentRecord, FetchOutcome
from flows.gates import aggregates_gate, enrichment_gate
from resonanz.config import parse_config
from warehouse.db import write_connection
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.privacy import purge_expired

CONFIG = """
[company]
name = "Kontor"
brand_keywords = ["Kontor"]
[[feeds]]
id = "blog"
url = "http://127.0.0.1:9/feed"
[[topics]]
name = "E-Rechnung"
description = "XRechnung und ZUGFeRD"
"""


def _post(i: int, text: str = "Body") -> DocumentRecord:
    url = f"http://127.0.0.1:9/post-{i}/"
    return DocumentRecord(
        kind="post",
        source_id="blog",
        url=url,
        canonical_url=url,
        title=f"Post {i}",
        text=text,
        author="A",
        published_at=datetime(2026, 1, i + 1, tzinfo=UTC),
    )


def _ingest(db: Path, *docs: DocumentRecord) -> None:
    ingest_outcome(
        db, FetchOutcome("blog", "http://127.0.0.1:9/feed", "ok", 200, documents=list(docs)), "run-1"
    )


def test_enrichment_gate_skips_only_unchanged_inputs(tmp_db: Path):
    cfg = parse_config(CONFIG, "x.toml")
    sync_sources(tmp_db, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed")])
    _ingest(tmp_db, _post(1), _post(2))
    gate = enrichment_gate(cfg, tmp_db)
    assert not gate.unchanged()  # never completed
    gate.completed({"tasks": ["language", "sentiment"]})
    again = enrichment_gate(cfg, tmp_db)
    assert again.unchanged() and again.detail == {"tasks": ["language", "sentiment"]}
    _ingest(tmp_db, _post(1), _post(2))  # the same documents again: nothing changes
    assert enrichment_gate(cfg, tmp_db).unchanged()

    _ingest(tmp_db, _post(2, "Edited body"))  # an edit
    assert not enrichment_gate(cfg, tmp_db).unchanged()
    enrichment_gate(cfg, tmp_db).completed()
    switched = parse_config(CONFIG + '[models]\nsentiment = "org/other-model"\n', "x.toml")
    assert not enrichment_gate(switched, tmp_db).unchanged()  # another model
    assert enrichment_gate(cfg, tmp_db).unchanged()
    with write_connection(tmp_db) as con:  # an erasure deletes documents
        con.execute("DELETE FROM documents WHERE canonical_url LIKE '%post-1/'")
    assert not enrichment_gate(cfg, tmp_db).unchanged()
    enrichment_gate(cfg, tmp_db).completed()
    purge_expired(tmp_db, 1)  # retention empties texts
    assert not enrichment_gate(cfg, tmp_db).unchanged()


def test_aggregates_gate_depends_on_the_day_sources_and_brand(tmp_db: Path):
    cfg = parse_config(CONFIG, "x.toml")
    sync_sources(tmp_db, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed")])
    _ingest(tmp_db, _post(1))
    aggregates_gate(cfg, tmp_db, date(2026, 3, 1)).completed()
    assert aggregates_gate(cfg, tmp_db, date(2026, 3, 1)).unchanged()
    sync_sources(
        tmp_db, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed")]
    )  # same sources again
    assert aggregates_gate(cfg, tmp_db, date(2026, 3, 1)).unchanged()
    assert not aggregates_gate(cfg, tmp_db, date(2026, 3, 2)).unchanged()  # a new day moves the windows
    renamed = [SourceSpec("blog", "The Blog", "feed", "http://127.0.0.1:9/feed")]
    sync_sources(tmp_db, renamed)
    assert not aggregates_gate(cfg, tmp_db, date(2026, 3, 1)).unchanged()
    aggregates_gate(cfg, tmp_db, date(2026, 3, 1)).completed()
    branded = parse_config(CONFIG.replace('["Kontor"]', '["Kontor", "KontorOne"]'), "x.toml")
    assert not aggregates_gate(branded, tmp_db, date(2026, 3, 1)).unchanged()
