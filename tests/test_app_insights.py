"""The app's read models on the demo fixture: crowdsourced ranking, own-blog feedback, questions, alerts."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.insight_db import ANCHOR, demo_corpus, ingest_corpus, ingest_series, shared_insight_db

from warehouse import crowd, insights
from warehouse.aggregates import AGG_TABLES, refresh_aggregates
from warehouse.alerts import AlertSettings, detect_alerts
from warehouse.db import init_db, query
from warehouse.own_feedback import reacted_statements

STORYLINE = "data-act-switching"


@pytest.fixture(scope="module")
def fixture_db() -> Path:
    return shared_insight_db()[0]


def test_emerging_storyline_ranks_first_or_second_with_its_independent_blogs(fixture_db: Path):
    db, corpus = shared_insight_db()
    topics = crowd.crowd_topics(db)
    storyline_docs = corpus.doc_ids(STORYLINE)
    evidence = {
        row.topic_id: set(crowd.topic_evidence(db, row.topic_id)["url"]) for row in topics.itertuples()
    }
    urls = {d.url for d in corpus.documents if d.doc_id in storyline_docs}
    rank = next(
        row.rank for row in topics.itertuples() if evidence[row.topic_id] and evidence[row.topic_id] <= urls
    )
    assert rank <= 2
    top = topics[topics["rank"] == rank].iloc[0]
    carriers = {d.source_id for d in corpus.documents if d.doc_id in storyline_docs and d.kind == "post"}
    bloggers = crowd.topic_bloggers(db, top["topic_id"])
    assert len(carriers) >= 3
    assert set(bloggers["source"]) == {b.name for b in corpus.blogs if b.slug in carriers}
    assert bloggers["first_mover"].sum() >= 1
    assert top["covered_by"] is None or top["coverage"] < 0.5  # the own blog never covered it


def test_score_is_the_product_of_its_visible_components(fixture_db: Path):
    topics = crowd.crowd_topics(fixture_db)
    for row in topics.itertuples():
        product = math.prod(getattr(row, c) for c in crowd.COMPONENTS)
        assert row.score == pytest.approx(product)
        assert row.momentum == pytest.approx((row.recent + 1) / (row.baseline + 1))
        assert row.breadth == pytest.approx(math.sqrt(row.blogs * row.authors))
        assert 0.5 <= row.relevance <= 2.0 and crowd.MIN_GAP <= row.coverage_gap <= 1.0
    assert list(topics["rank"]) == list(range(1, len(topics) + 1))
    assert topics["score"].is_monotonic_decreasing


def test_own_post_with_negative_feedback_is_flagged(fixture_db: Path):
    posts = insights.own_posts(fixture_db)
    flagged = posts[posts["flagged"]]
    assert "Neues Lizenzmodell: KontorOne ab 2027 pro Nutzer" in set(flagged["title"])
    worst = flagged.sort_values("negative_share").iloc[-1]
    assert worst["negative_share"] > 0.5 > worst["baseline_share"]
    assert int(posts["questions"].sum()) > 0
    assert not insights.own_statements(fixture_db, worst["doc_id"]).empty


def test_reader_questions_are_grouped_and_counted(fixture_db: Path):
    groups = insights.question_groups(fixture_db)
    assert len(groups) >= 5
    assert [g["questions"] for g in groups] == sorted((g["questions"] for g in groups), reverse=True)
    datev = max((g for g in groups if "DATEV" in g["label"]), key=lambda g: g["questions"])
    assert datev["questions"] >= 2 and all(e["url"].startswith("http") for e in datev["examples"])
    assert insights.question_groups(fixture_db, topics=["Nachhaltigkeit & ESG"]) != groups


def test_sources_and_bloggers(fixture_db: Path):
    table = insights.sources_overview(fixture_db)
    assert table.iloc[0]["last_status"] == "error"  # failing sources first
    people = insights.bloggers(fixture_db)
    assert people["topics_started"].sum() >= len(crowd.crowd_topics(fixture_db))
    posts = insights.source_posts(fixture_db, "mittelstand-digital")
    comments = insights.post_comments(fixture_db, posts.iloc[0]["doc_id"])
    assert len(comments) == posts.iloc[0]["comments"]


def test_filters_narrow_every_figure(fixture_db: Path):
    end = ANCHOR
    everything = insights.Filters(end - timedelta(days=89), end)
    german = insights.Filters(end - timedelta(days=89), end, langs=("de",))
    one_source = insights.Filters(end - timedelta(days=89), end, sources=("kontor-blog",))
    total = insights.volume(fixture_db, everything)["documents"].sum()
    assert 0 < insights.volume(fixture_db, german)["documents"].sum() < total
    assert set(insights.share_by_source(fixture_db, one_source)["source"]) == {"Kontor Blog"}
    shares = insights.share_by_topic(fixture_db, everything)
    assert shares["share"].sum() == pytest.approx(1.0)


def test_collected_only_database_still_gets_aggregates(tmp_db: Path):
    corpus = demo_corpus(ANCHOR)
    ingest_corpus(tmp_db, corpus)
    summary = refresh_aggregates(tmp_db, today=ANCHOR)
    assert summary.rows["agg_daily"] > 0 and summary.rows["agg_crowd_topics"] == 0
    assert insights.aggregate_info(tmp_db)["enriched"] == "false"
    kpis = insights.kpis(tmp_db, insights.Filters(ANCHOR - timedelta(days=89), ANCHOR))
    assert kpis["period_docs"] == len(corpus.documents) and kpis["negative_share"] is None


def test_refresh_on_an_empty_database(tmp_db: Path):
    init_db(tmp_db)
    summary = refresh_aggregates(tmp_db, today=ANCHOR)
    assert set(summary.rows) == set(AGG_TABLES) and not any(summary.rows.values())


def test_volume_and_negative_spikes_are_detected(tmp_db: Path):
    today = ANCHOR
    days = {today - timedelta(days=d): (1, 0) for d in range(7, 63)}  # quiet baseline, never negative
    days.update({today - timedelta(days=d): (6, 4) for d in range(7)})  # a loud, negative recent week
    ingest_series(tmp_db, "Preise & Lizenzen", days)
    ingest_series(
        tmp_db, "Teams & Arbeit", {today - timedelta(days=d): (1, 0) for d in range(63)}, "calm-blog"
    )
    refresh_aggregates(tmp_db, today=today)
    found = detect_alerts(tmp_db, AlertSettings(), today)
    kinds = {(a.kind, a.topic) for a in found if a.scope == "taxonomy"}
    assert kinds == {("volume", "Preise & Lizenzen"), ("negative", "Preise & Lizenzen")}
    volume = next(a for a in found if a.kind == "volume" and a.scope == "taxonomy")
    assert (volume.documents, volume.baseline) == (42, pytest.approx(7.0))
    assert volume.severity == "high" and "42 documents" in volume.message
    strict = detect_alerts(tmp_db, AlertSettings(threshold=50), today)
    assert not strict


def test_reacted_statements_match_comments_to_sentences():
    post = (
        "Wir stellen das Lizenzmodell auf Preise pro Nutzer um. Kleine Teams zahlen dadurch weniger als bisher. "
        "Die Migration der bestehenden Verträge erfolgt automatisch zum Jahreswechsel."
    )
    comments = [
        "Preise pro Nutzer sind für uns ein Problem, das Lizenzmodell ist zu teuer.",
        "Das Lizenzmodell mit Preisen pro Nutzer lehnen wir ab.",
        "Danke!",
        "Wie läuft die Migration der Verträge genau ab?",
    ]
    ranked = reacted_statements(post, comments, ["negative", "negative", "positive", "neutral"])
    assert ranked[0] == ("Wir stellen das Lizenzmodell auf Preise pro Nutzer um.", 2, 2)
    assert ranked[1][0].startswith("Die Migration") and ranked[1][1:] == (1, 0)


def test_app_queries_read_only_aggregates(fixture_db: Path):
    """Page queries stay off the documents table (issue 7 benchmarks them at 1M documents)."""
    import inspect

    for module in (insights, crowd):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and name not in ("post_comments", "build_crowd_topics"):
                assert "FROM documents" not in inspect.getsource(fn), name
    assert query(fixture_db, "SELECT count(*) AS n FROM agg_daily")["n"][0] > 0


def test_a_post_shows_all_its_comments_paged_never_a_silent_cap(fixture_db: Path, tmp_path: Path):
    import shutil

    import duckdb

    from ui.pages.sources import COMMENTS_PER_PAGE, comment_page

    db = tmp_path / "many.duckdb"
    shutil.copy(fixture_db, db)
    post = insights.source_posts(db, "mittelstand-digital").iloc[0]["doc_id"]
    first = insights.post_comments(db, post).iloc[0]["doc_id"]
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO documents SELECT d.* REPLACE (d.doc_id || '-copy-' || t.i::VARCHAR AS doc_id) "
            "FROM documents d, range(250) t(i) WHERE d.doc_id = ?",
            [first],
        )
    comments = insights.post_comments(db, post)
    assert len(comments) > 250 and comments["doc_id"].is_unique
    page = comment_page(comments)  # bare Streamlit: the picker answers its default, page 1
    assert len(page) == COMMENTS_PER_PAGE
    assert list(page["doc_id"]) == list(comments["doc_id"][:COMMENTS_PER_PAGE])
