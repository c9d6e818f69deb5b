"""The benchmark's synthetic warehouse is consistent: what the nlp stage and the app expect, seeded."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.synth import SynthSpec, fill_warehouse
from warehouse import insights
from warehouse.db import query

N = 3000


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("synth") / "synth.duckdb"
    fill_warehouse(db, SynthSpec(N, seed=7))
    return db


def _one(db: Path, sql: str) -> list:
    return query(db, sql).iloc[0].tolist()


def test_documents_posts_comments_sources(synth_db: Path):
    total, posts, own, sources = _one(
        synth_db,
        "SELECT count(*), count(*) FILTER (WHERE kind = 'post'),"
        " count(*) FILTER (WHERE own), count(DISTINCT source_id) FROM documents",
    )
    assert total == N and 0.3 * N < posts < 0.4 * N and 0 < own < total and sources == SynthSpec(N).sources
    orphans, late, foreign = _one(
        synth_db,
        """
        SELECT count(*) FILTER (WHERE p.doc_id IS NULL), count(*) FILTER (WHERE c.published_at < p.published_at),
               count(*) FILTER (WHERE c.source_id <> p.source_id)
        FROM documents c LEFT JOIN documents p ON p.doc_id = c.parent_id WHERE c.kind = 'comment'""",
    )
    assert (orphans, late, foreign) == (0, 0, 0)
    span, short = _one(
        synth_db,
        "SELECT max(published_at) - min(published_at) < INTERVAL 366 DAY,"
        " count(*) FILTER (WHERE kind = 'post' AND length(text) < 500) FROM documents",
    )
    assert span and short == 0
    top = query(synth_db, "SELECT count(*) n FROM documents GROUP BY source_id ORDER BY n DESC")["n"]
    assert top.iloc[0] > 5 * top.iloc[len(top) // 2]  # a few big blogs, a long tail


def test_enrichment_rows_match_the_documents(synth_db: Path):
    counts = _one(
        synth_db,
        """
        SELECT (SELECT count(*) FROM doc_language), (SELECT count(*) FROM doc_sentiment),
               (SELECT count(DISTINCT doc_id) FROM doc_topics), (SELECT count(*) FROM nlp_status),
               (SELECT count(*) FROM doc_topics d LEFT JOIN documents x USING (doc_id) WHERE x.doc_id IS NULL)""",
    )
    assert counts == [N, N, N, 5 * N, 0]
    unassigned = _one(
        synth_db,
        "SELECT count(*) FROM (SELECT doc_id FROM doc_topics GROUP BY doc_id HAVING NOT bool_or(assigned))",
    )[0]
    assert unassigned == 0
    questions, members, grouped = _one(
        synth_db,
        """
        SELECT (SELECT count(*) FROM doc_questions), (SELECT count(*) FROM question_group_members),
               (SELECT sum(n_questions) FROM question_groups)""",
    )
    assert questions > 0 and questions == members == grouped
    links, bad, sized = _one(
        synth_db,
        """
        SELECT count(*), count(*) FILTER (WHERE d.kind <> 'post' OR d.own),
               (SELECT sum(size) FROM emerging_topics) FROM emerging_topic_docs JOIN documents d USING (doc_id)""",
    )
    assert links > 0 and bad == 0 and sized == links


def test_operations_and_aggregates(synth_db: Path):
    runs, fetches, sources = _one(
        synth_db,
        "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM fetch_log),"
        " (SELECT count(*) FROM sources)",
    )
    assert runs == 365 * 12 and fetches == runs * sources
    assert _one(synth_db, "SELECT sum(n) FROM agg_daily WHERE topic = ''")[0] == N
    assert len(query(synth_db, "SELECT * FROM agg_crowd_topics")) > 0
    assert len(insights.question_groups(synth_db)) > 0 and len(insights.own_posts(synth_db)) > 0


def test_the_same_seed_gives_the_same_warehouse(tmp_path: Path):
    keys = []
    for name in ("a", "b"):
        db = tmp_path / f"{name}.duckdb"
        fill_warehouse(db, SynthSpec(400, seed=3, refresh=False))
        keys.append(query(db, "SELECT doc_id, content_hash, published_at FROM documents ORDER BY doc_id"))
    assert keys[0].equals(keys[1])
