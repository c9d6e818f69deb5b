"""The DuckLake backend: migrations translated, the same read models as the file, concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import new_lake
from fixtures.insight_db import build_insight_db

from warehouse.aggregates import AGG_TABLES
from warehouse.db import init_db, migrations, query, read_connection
from warehouse.ddl import for_ducklake, split_statements
from warehouse.target import Warehouse, as_warehouse


def test_ddl_for_ducklake_drops_keys_indexes_sequences_and_checks():
    sql = """
    -- a comment with a ; and a ( paren
    CREATE SEQUENCE ids START 1;
    CREATE TABLE t (
        id INTEGER PRIMARY KEY DEFAULT nextval('ids'),
        code VARCHAR UNIQUE NOT NULL,
        parent INTEGER REFERENCES t (id) ON DELETE CASCADE,
        n INTEGER CHECK (n > 0 AND (n < 10)),
        note VARCHAR DEFAULT 'a; b, (c)',
        PRIMARY KEY (id),
        UNIQUE (code, n),
        CONSTRAINT positive CHECK (n > 0)
    );
    CREATE UNIQUE INDEX t_code ON t (code);
    ALTER TABLE t ADD COLUMN k VARCHAR PRIMARY KEY;
    ALTER TABLE t ADD PRIMARY KEY (id);
    CREATE VIEW v AS SELECT * FROM t;
    """
    out = for_ducklake(sql)
    assert "SEQUENCE" not in out and "INDEX" not in out and "nextval" not in out
    assert "PRIMARY" not in out and "UNIQUE" not in out and "REFERENCES" not in out and "CHECK" not in out
    assert "id INTEGER NOT NULL" in out and "code VARCHAR NOT NULL" in out
    assert "note VARCHAR DEFAULT 'a; b, (c)'" in out
    assert "ADD COLUMN k VARCHAR NOT NULL" in out and "CREATE VIEW v AS SELECT * FROM t" in out
    assert len(split_statements(out)) == 3


def _schema(db: object) -> list[tuple]:
    return [
        tuple(r)
        for r in query(
            db,
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_catalog = current_database() AND table_schema = 'main'"
            " ORDER BY table_name, ordinal_position",
        ).itertuples(index=False)
    ]


def test_every_migration_applies_to_a_ducklake_with_the_same_columns(lake: Warehouse, tmp_db: Path):
    init_db(tmp_db)
    applied = query(lake, "SELECT version FROM schema_migrations ORDER BY version")["version"].tolist()
    assert applied == [m[0] for m in migrations()]
    assert _schema(lake) == _schema(tmp_db)


def test_the_warehouse_spec_round_trips_through_text_and_pickle(tmp_path: Path):
    import pickle

    lake = Warehouse.lake("postgres:dbname=r host=db1 user=u", tmp_path)
    assert as_warehouse(str(lake)) == Warehouse(
        "ducklake", lake.location
    )  # the data path lives in the catalog
    assert pickle.loads(pickle.dumps(lake)) == lake
    assert lake.name == "DuckLake r@db1"
    file = as_warehouse(tmp_path / "x.duckdb")
    assert str(file) == str(tmp_path / "x.duckdb") and Path(file) == tmp_path / "x.duckdb"


@pytest.fixture(scope="module")
def both_built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The demo insight fixture built through the warehouse functions on each backend."""
    folder = tmp_path_factory.mktemp("backends")
    lake, drop = new_lake(request, folder / "lake-files")
    file = folder / "insight.duckdb"
    build_insight_db(file)
    build_insight_db(lake)
    yield file, lake
    drop()


READ_MODELS = {
    **{table: "*" for table in AGG_TABLES if table != "agg_meta"},
    "documents": "doc_id, kind, own, parent_id, source_id, canonical_url, content_hash, version, near_duplicate_of",
    "sources": "source_id, name, kind, url, own, active, consecutive_failures, last_status",
    "fetch_log": "source_id, status, http_status, pages, new, updated, unchanged",
    "nlp_status": "doc_id, task, model, model_version, content_hash",
    "doc_language": "doc_id, lang, score",
    "doc_sentiment": "doc_id, label, score, p_negative, p_neutral, p_positive",
    "doc_topics": "doc_id, topic, score, assigned",
    "doc_questions": "doc_id, idx, question",
    "emerging_topics": "topic_id, label, keywords, size, first_seen, last_seen, active",
    "emerging_topic_docs": "doc_id, topic_id, similarity",
    "question_groups": "group_id, label, n_questions, n_documents, examples",
    "question_group_members": "doc_id, idx, group_id",
    "runs": "flow, status",
}


@pytest.mark.parametrize("table", sorted(READ_MODELS))
def test_both_backends_hold_the_same_rows(both_built: tuple, table: str):
    """Ingest, enrichment results, clusters and every aggregate the app reads: row for row the same."""
    file, lake = both_built
    sql = f"SELECT {READ_MODELS[table]} FROM {table} ORDER BY ALL"
    expected, got = _rows(file, sql), _rows(lake, sql)
    assert len(expected) > 0
    assert got == expected


def _rows(db: object, sql: str) -> list[tuple]:
    """Rows with floats rounded (parallel aggregation may sum in another order)."""

    def norm(value: object) -> object:
        if isinstance(value, float):
            return round(value, 9)
        if isinstance(value, list | tuple):
            return tuple(norm(v) for v in value)
        return value

    with read_connection(db) as con:
        return [norm(row) for row in con.execute(sql).fetchall()]


def test_no_key_is_stored_twice_on_the_ducklake(both_built: tuple):
    _, lake = both_built
    keys = {
        "documents": "doc_id",
        "nlp_status": "doc_id, task",
        "doc_topics": "doc_id, topic",
        "sources": "source_id",
        "emerging_topics": "topic_id",
    }
    for table, key in keys.items():
        dupes = query(lake, f"SELECT {key}, count(*) AS n FROM {table} GROUP BY ALL HAVING n > 1")
        assert dupes.empty, (table, dupes.head())


WRITER = """
import json, sys
from datetime import UTC, datetime
from crawlers.records import DocumentRecord, FetchOutcome
from warehouse import db as wdb
from warehouse.ingest import ingest_outcome, sync_sources, SourceSpec
from warehouse.runs import start_run, finish_run

target, worker, start, stop = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sync_sources(target, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed")])
run = start_run(target, f"worker-{worker}")
docs = [
    DocumentRecord(kind="post", source_id="blog", url=f"http://127.0.0.1:9/p/{i}", canonical_url=f"http://127.0.0.1:9/p/{i}",
                   title=f"Post {i}", text=f"Body {i} " * 20, published_at=datetime(2026, 1, 1, tzinfo=UTC))
    for i in range(start, stop)
]
total = {"new": 0, "updated": 0, "unchanged": 0}
for chunk in range(0, len(docs), 40):
    counts = ingest_outcome(target, FetchOutcome("blog", "u", "ok", 200, documents=docs[chunk:chunk + 40]), run, batch_size=20)
    for key in total:
        total[key] += getattr(counts, key)
finish_run(target, run, "ok")
print(json.dumps({**total, "retried": wdb.RETRIED[0]}))
"""


def test_two_processes_writing_overlapping_documents_store_each_once(lake: Warehouse):
    """Two writers ingest 400 documents each, 200 of them the same: 600 documents, each once.

    Both sync the same source and ingest in short claimed batches at the same time; DuckLake aborts
    one of two concurrent batches ("Transaction conflict"), which runs again on the other's rows.
    """
    ranges = [(0, 400), (200, 600)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(lake), str(i), str(a), str(b)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, (a, b) in enumerate(ranges)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    with read_connection(lake) as con:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT doc_id) FROM documents").fetchone()
        sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
        runs = con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0]
        logged = con.execute("SELECT sum(new), sum(unchanged) FROM fetch_log").fetchone()
    assert (n, distinct, sources, runs) == (600, 600, 1, 2)
    assert sum(r["new"] for r in results) == 600 == logged[0]
    assert sum(r["unchanged"] for r in results) == 200 == logged[1]
    print("conflicts retried:", [r["retried"] for r in results])


def test_models_are_registered_once_with_first_and_last_use(any_db: object):
    from nlp.records import ModelInfo
    from warehouse.enrichment import register_models

    infos = [ModelInfo("sentiment", "builtin:head", "v1"), ModelInfo("language", "builtin:lingua", "v2")]
    register_models(any_db, infos)
    register_models(any_db, [*infos, infos[0]])
    with read_connection(any_db) as con:
        rows = con.execute(
            "SELECT task, model, model_version, first_used_at <= last_used_at FROM nlp_models ORDER BY ALL"
        ).fetchall()
    assert rows == [("language", "builtin:lingua", "v2", True), ("sentiment", "builtin:head", "v1", True)]


LIVE_WRITER = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from crawlers.records import DocumentRecord, FetchOutcome
from warehouse.aggregates import refresh_aggregates
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import finish_run, start_run

target, stop = sys.argv[1], Path(sys.argv[2])
run = start_run(target, "live-writer")
batch = 0
print("writing", flush=True)
while not stop.exists() and batch < 400:
    docs = [
        DocumentRecord(kind="post", source_id="kontor-blog", url=f"http://127.0.0.1:9/live/{batch}-{i}",
                       canonical_url=f"http://127.0.0.1:9/live/{batch}-{i}", title=f"Live {batch}-{i}",
                       text="Neuer Beitrag " * 30, published_at=datetime(2026, 11, 19, tzinfo=UTC))
        for i in range(20)
    ]
    ingest_outcome(target, FetchOutcome("kontor-blog", "u", "ok", 200, documents=docs), run)
    if batch % 5 == 0:
        refresh_aggregates(target, today=datetime(2026, 11, 20).date())
    batch += 1
finish_run(target, run, "ok")
print(batch, flush=True)
"""


def test_app_renders_every_page_from_a_ducklake_while_another_process_writes(
    both_built: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The app reads a READ_ONLY attach: no 'database busy', no error, while a writer commits batches."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from resonanz.commands.collect import example_config
    from warehouse.db import current_snapshot

    _, lake = both_built
    config = tmp_path / "resonanz.toml"
    config.write_text(example_config(), encoding="utf-8")
    monkeypatch.setenv("RESONANZ_DB", str(lake))
    monkeypatch.setenv("RESONANZ_CONFIG", str(config))
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", LIVE_WRITER, str(lake), str(stop)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "writing"
        before = current_snapshot(lake)
        pages = ("overview", "crowd", "feedback", "questions", "sources", "plan", "digest", "alerts", "runs")
        for _ in range(2):  # twice: the second pass reads snapshots the writer committed meanwhile
            for name in pages:
                st.cache_data.clear()
                at = AppTest.from_string(
                    f"from ui.pages import {name}\n{name}.render()", default_timeout=60
                ).run()
                assert not at.exception, (name, [e.value for e in at.exception])
                assert not at.warning, (name, [w.value for w in at.warning])
            main = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=60).run()
            assert not main.exception and not main.warning
            assert "DuckLake" in " ".join(c.value for c in main.sidebar.caption)
        assert current_snapshot(lake) > before, "the writer committed nothing while the pages rendered"
    finally:
        stop.touch()
        out, _ = writer.communicate(timeout=120)
    assert writer.returncode == 0
    assert int(out.strip().splitlines()[-1]) > 0
