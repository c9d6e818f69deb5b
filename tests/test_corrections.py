"""Editors' corrections: set, undo, override in every aggregate at once, survive re-enrichment, feed a refit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.insight_db import ANCHOR, MODELS, copy_db, shared_insight_db, truth_enrichments

from nlp.records import Enrichment, SentimentResult
from warehouse import corrections, insights
from warehouse.corrections import CorrectionError
from warehouse.db import query
from warehouse.enrichment import write_enrichments
from warehouse.insights import Filters

PRICING_POST = "Neues Lizenzmodell: KontorOne ab 2027 pro Nutzer"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return copy_db(shared_insight_db()[0], tmp_path / "corrections.duckdb")


def _own_post(db: Path, title: str = PRICING_POST) -> dict:
    posts = insights.own_posts(db)
    return posts[posts["title"] == title].iloc[0].to_dict()


def _comment(db: Path, post_id: str, sentiment: str) -> dict:
    comments = insights.post_comments(db, post_id)
    return comments[comments["sentiment"] == sentiment].iloc[0].to_dict()


def _negative_total(db: Path) -> int:
    filters = Filters(start=ANCHOR.replace(year=ANCHOR.year - 2), end=ANCHOR)
    return insights.kpis(db, filters)["negative"]


def test_sentiment_correction_overrides_every_aggregate_at_once_and_undo_restores(db: Path):
    post = _own_post(db)
    comment = _comment(db, post["doc_id"], "neutral")
    before_total = _negative_total(db)
    made = corrections.set_sentiment(db, comment["doc_id"], "negative", "Anna")
    assert (made.task, made.labels, made.previous, made.author) == (
        "sentiment",
        ("negative",),
        ("neutral",),
        "Anna",
    )

    shown = insights.post_comments(db, post["doc_id"]).set_index("doc_id").loc[comment["doc_id"]]
    assert shown["sentiment"] == "negative" and bool(shown["corrected"])
    after = _own_post(db)
    assert (after["negative"], after["neutral"]) == (post["negative"] + 1, post["neutral"] - 1)
    assert _negative_total(db) == before_total + 1
    source = insights.source_posts(
        db, query(db, "SELECT source_id FROM documents WHERE doc_id = ?", [post["doc_id"]])["source_id"][0]
    )
    assert int(source.set_index("doc_id").loc[post["doc_id"], "negative"]) == post["negative"] + 1

    undone = corrections.undo(db, comment["doc_id"], "sentiment", "Ben")
    assert undone is not None and undone.undone and undone.undone_by == "Ben" and undone.undone_at is not None
    restored = _own_post(db)
    assert (restored["negative"], restored["neutral"]) == (post["negative"], post["neutral"])
    assert _negative_total(db) == before_total
    assert not bool(
        insights.post_comments(db, post["doc_id"]).set_index("doc_id").loc[comment["doc_id"], "corrected"]
    )


def test_undo_steps_back_through_earlier_corrections_to_the_model(db: Path):
    post = _own_post(db)
    doc_id = _comment(db, post["doc_id"], "negative")["doc_id"]
    corrections.set_sentiment(db, doc_id, "neutral", "Anna")
    second = corrections.set_sentiment(db, doc_id, "positive", "Ben")
    assert second.previous == ("neutral",)

    def label() -> str:
        return insights.post_comments(db, post["doc_id"]).set_index("doc_id").loc[doc_id, "sentiment"]

    assert label() == "positive"
    assert corrections.undo(db, doc_id, "sentiment", "Anna").labels == ("positive",)
    assert label() == "neutral"
    assert corrections.undo(db, doc_id, "sentiment", "Anna").labels == ("neutral",)
    assert label() == "negative"
    assert corrections.undo(db, doc_id, "sentiment", "Anna") is None
    history = corrections.list_corrections(db, doc_id=doc_id)
    assert [c.labels for c in history] == [("positive",), ("neutral",)] and all(c.undone for c in history)
    assert corrections.list_corrections(db, doc_id=doc_id, include_undone=False) == []


def test_topic_correction_replaces_the_models_topics_in_share_of_voice(db: Path):
    post = _own_post(db)
    filters = Filters(start=ANCHOR.replace(year=ANCHOR.year - 2), end=ANCHOR)
    before = insights.share_by_topic(db, filters).set_index("topic")["documents"]
    made = corrections.set_topics(db, post["doc_id"], ["IT-Sicherheit", "Teams & Arbeit"], "Anna")
    assert made.previous == ("Preise & Lizenzen",)
    after = insights.share_by_topic(db, filters).set_index("topic")["documents"]
    assert after["Preise & Lizenzen"] == before["Preise & Lizenzen"] - 1
    assert after["IT-Sicherheit"] == before["IT-Sicherheit"] + 1
    assert after["Teams & Arbeit"] == before["Teams & Arbeit"] + 1
    corrections.set_topics(db, post["doc_id"], [], "Anna")  # about none of the taxonomy topics
    assert (
        insights.share_by_topic(db, filters).set_index("topic")["documents"]["IT-Sicherheit"]
        == before["IT-Sicherheit"]
    )
    corrections.undo(db, post["doc_id"], "topic", "Anna")
    corrections.undo(db, post["doc_id"], "topic", "Anna")
    assert insights.share_by_topic(db, filters).set_index("topic")["documents"].equals(before)


def test_corrections_survive_re_enrichment(db: Path):
    _, corpus = shared_insight_db()
    post = _own_post(db)
    doc_id = _comment(db, post["doc_id"], "neutral")["doc_id"]
    corrections.set_sentiment(db, doc_id, "negative", "Anna")
    # A forced re-enrichment replaces every model result (here: all comments called positive).
    results = [
        Enrichment(e.doc_id, sentiment=SentimentResult("positive", 0.9)) for e in truth_enrichments(corpus)
    ]
    hashes = {d.doc_id: d.content_hash for d in corpus.documents}
    write_enrichments(db, results, [m for m in MODELS if m.task == "sentiment"], hashes, corpus.run_id)
    from warehouse.aggregates import refresh_aggregates

    refresh_aggregates(db, today=ANCHOR)
    comments = insights.post_comments(db, post["doc_id"]).set_index("doc_id")
    assert comments.loc[doc_id, "sentiment"] == "negative"
    assert set(comments.drop(index=doc_id)["sentiment"]) == {"positive"}
    assert _own_post(db)["negative"] == 1
    assert corrections.list_corrections(db, doc_id=doc_id)[0].labels == ("negative",)


def test_invalid_corrections_are_refused_with_the_field_named(db: Path):
    post = _own_post(db)
    with pytest.raises(CorrectionError, match="sentiment: 'angry'"):
        corrections.set_sentiment(db, post["doc_id"], "angry", "Anna")
    with pytest.raises(CorrectionError, match="author"):
        corrections.set_sentiment(db, post["doc_id"], "negative", "  ")
    with pytest.raises(CorrectionError, match="no document with id 'nope'"):
        corrections.set_sentiment(db, "nope", "negative", "Anna")
    with pytest.raises(CorrectionError, match="topics"):
        corrections.set_topics(db, post["doc_id"], "Cloud-ERP", "Anna")
    with pytest.raises(CorrectionError, match="task"):
        corrections.undo(db, post["doc_id"], "mood", "Anna")
    assert corrections.list_corrections(db) == []


def test_training_examples_and_refit_counter(db: Path):
    post = _own_post(db)
    comments = insights.post_comments(db, post["doc_id"])
    first, second = comments["doc_id"].iloc[0], comments["doc_id"].iloc[1]
    assert corrections.corrections_since_refit(db) == 0
    corrections.set_sentiment(db, first, "positive", "Anna")
    corrections.set_sentiment(db, second, "negative", "Anna")
    corrections.set_sentiment(db, second, "neutral", "Ben")  # only the standing correction counts
    corrections.set_topics(db, post["doc_id"], ["Cloud-ERP"], "Anna")
    examples = corrections.training_examples(db)
    texts = dict(zip(comments["doc_id"], comments["text"], strict=True))
    assert examples == [(texts[first], "positive"), (texts[second], "neutral")]
    assert corrections.training_examples(db, "topic")[0][1] == "Cloud-ERP"
    assert corrections.corrections_since_refit(db) == 2
    corrections.record_refit(db, "sentiment-refit-1", 2)
    assert corrections.corrections_since_refit(db) == 0
    corrections.set_sentiment(db, first, "negative", "Anna")
    assert corrections.corrections_since_refit(db) == 1


def test_corrections_on_both_backends(any_db: object):
    """The log, its views and the aggregate rebuild work alike on a DuckDB file and a DuckLake."""
    from datetime import UTC, datetime

    from crawlers.records import DocumentRecord, FetchOutcome
    from warehouse.aggregates import refresh_aggregates
    from warehouse.ingest import ingest_outcome
    from warehouse.runs import start_run

    docs = [
        DocumentRecord(
            kind="comment",
            source_id="b",
            url=f"http://127.0.0.1:9/c{i}",
            canonical_url=f"http://127.0.0.1:9/c{i}",
            text=f"Kommentar {i}",
            published_at=datetime(2026, 11, 19, tzinfo=UTC),
        )
        for i in range(2)
    ]
    ingest_outcome(any_db, FetchOutcome("b", "u", "ok", 200, documents=docs), start_run(any_db, "pipeline"))
    write_enrichments(
        any_db,
        [Enrichment(d.doc_id, sentiment=SentimentResult("neutral", 0.9)) for d in docs],
        [m for m in MODELS if m.task == "sentiment"],
        {d.doc_id: d.content_hash for d in docs},
    )
    refresh_aggregates(any_db, ("Kontor",), today=ANCHOR)

    def negatives() -> int:
        sql = "SELECT coalesce(sum(n), 0) AS n FROM agg_daily WHERE topic = '' AND sentiment = 'negative'"
        return int(query(any_db, sql)["n"][0])

    corrections.set_sentiment(any_db, docs[0].doc_id, "negative", "Anna")
    corrections.set_topics(any_db, docs[1].doc_id, ["Cloud-ERP"], "Anna")
    assert negatives() == 1
    assert (
        query(any_db, "SELECT value FROM agg_meta WHERE key = 'brand_keywords'")["value"][0] == '["Kontor"]'
    )
    topics = query(any_db, "SELECT doc_id, topic, corrected FROM effective_topics")
    assert topics.values.tolist() == [[docs[1].doc_id, "Cloud-ERP", True]]
    corrections.undo(any_db, docs[0].doc_id, "sentiment", "Anna")
    assert negatives() == 0
    assert len(corrections.list_corrections(any_db)) == 2


def test_readers_use_the_effective_views_only():
    """Every read of sentiment or topics outside the enrichment writer goes through the corrected views."""
    import re

    root = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"\b(FROM|JOIN)\s+doc_(sentiment|topics)\b", re.IGNORECASE)
    offenders = [
        str(path.relative_to(root))
        for folder in ("warehouse", "ui", "flows", "resonanz")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "enrichment.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
