"""The whole pipeline through Prefect on the bundled demo web: collect → enrich → aggregates, then incremental runs.

One module-scoped first run (a few minutes on 2 cores) feeds the assertions of issues 3, 4 and 5 on real
demo data; the demo web gets a broken feed and an unreachable site added to its config.
"""

from __future__ import annotations

import json
import socket
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, write_demo_config

from resonanz.commands.demo_run import demo_config_text
from warehouse.db import query
from warehouse.stats import collection_stats

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
CONTENT = ROOT / "demo" / "content"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _storyline_urls(web) -> set[str]:
    """Canonical URLs of the demo's emerging storyline posts (ground truth from the content files)."""
    urls = set()
    for path in CONTENT.glob("*.json"):
        blog = json.loads(path.read_text(encoding="utf-8"))
        site = web.site(blog["slug"])
        for post in site.state.posts:
            if post.theme == "data-act-switching":
                urls.add(site.post_url(post))
    return urls


@pytest.fixture(scope="module")
def demo_run(demo_web, tmp_path_factory, prefect_harness):
    from flows.pipeline import pipeline

    folder = tmp_path_factory.mktemp("pipeline")
    base = tomllib.loads(demo_config_text(demo_web.sites))
    feeds = [
        *base["feeds"],
        {"id": "not-a-feed", "name": "Not a feed", "url": demo_web.sites["kontor-blog"] + "/"},
    ]
    sites = [
        *base["sites"],
        {"id": "unreachable", "name": "Gone", "start_urls": [f"http://127.0.0.1:{_closed_port()}/"]},
    ]
    config = write_demo_config(demo_web, folder, feeds=feeds, sites=sites)

    def run():
        return pipeline(config_path=str(config), db=str(folder / "resonanz.duckdb")).to_dict()

    return {"db": folder / "resonanz.duckdb", "run": run, "first": run(), "web": demo_web, "config": config}


def _fetch_log(db: Path, run_id: str):
    return query(db, "SELECT * FROM fetch_log WHERE run_id = ? ORDER BY source_id", [run_id]).set_index(
        "source_id"
    )


def test_first_run_collects_every_demo_source(demo_run):
    first, db = demo_run["first"], demo_run["db"]
    assert first["status"] == "partial"  # two deliberately broken sources
    assert sorted(first["failed_sources"]) == ["not-a-feed", "unreachable"]
    stats = collection_stats(db)
    docs = stats["documents"]
    assert docs["post_external"] >= 150 and docs["post_own"] >= 20 and docs["comment_own"] >= 150
    per_source = query(db, "SELECT source_id, count(*) n FROM documents GROUP BY 1").set_index("source_id")[
        "n"
    ]
    demo_sources = query(
        db, "SELECT source_id FROM sources WHERE source_id NOT IN ('not-a-feed', 'unreachable')"
    )
    for source in demo_sources["source_id"]:  # every demo source landed something of its own
        assert per_source.get(source, 0) > 0 or source.endswith("-web"), source
    assert stats["sources"] == len(demo_sources) + 2


def test_broken_sources_have_clear_errors(demo_run):
    log = _fetch_log(demo_run["db"], demo_run["first"]["run_id"])
    assert log.loc["not-a-feed", "status"] == "error" and "feed" in log.loc["not-a-feed", "error"].lower()
    unreachable = log.loc["unreachable", "error"].lower()
    assert log.loc["unreachable", "status"] == "error" and (
        "refused" in unreachable or "connect" in unreachable
    )
    assert log.loc["procurement-pulse", "status"] == "partial"
    assert "ill-formed" in log.loc["procurement-pulse", "error"]
    assert log.loc["procurement-pulse", "new"] > 0  # parsed as far as possible


def test_robots_disallowed_pages_are_never_requested(demo_run):
    paths = [e.path for e in demo_run["web"].request_log if e.site == "erp-insider"]
    assert any(p.startswith("/robots.txt") for p in paths)
    assert not [p for p in paths if p.startswith("/drafts/")]


def test_every_document_is_enriched(demo_run):
    db = demo_run["db"]
    total = query(db, "SELECT count(*) n FROM documents")["n"][0]
    for table in ("doc_language", "doc_sentiment"):
        assert query(db, f"SELECT count(DISTINCT doc_id) n FROM {table}")["n"][0] == total, table
    assert query(db, "SELECT count(DISTINCT doc_id) n FROM doc_topics")["n"][0] == total
    langs = set(query(db, "SELECT DISTINCT lang FROM doc_language")["lang"])
    assert {"de", "en"} <= langs


def test_emerging_storyline_is_one_topic_ranked_first_or_second(demo_run):
    db, web = demo_run["db"], demo_run["web"]
    story = _storyline_urls(web)
    links = query(
        db,
        "SELECT t.topic_id, t.keywords, d.canonical_url FROM emerging_topic_docs e JOIN documents d USING (doc_id)"
        " JOIN emerging_topics t USING (topic_id)",
    )
    hits = links[links["canonical_url"].isin(story)]
    best = hits["topic_id"].value_counts()
    topic_id = best.index[0]
    assert best.iloc[0] >= 0.8 * len(story)  # the storyline's posts (German and English) form one topic
    keywords = " ".join(json.loads(hits[hits["topic_id"] == topic_id]["keywords"].iloc[0])).lower()
    assert any(k in keywords for k in ("data act", "switching", "anbieterwechsel", "wechselentgelte", "exit"))
    from warehouse.crowd import crowd_topics, topic_bloggers

    ranked = crowd_topics(db)
    assert topic_id in ranked["topic_id"].head(2).tolist()
    assert len(topic_bloggers(db, topic_id)) >= 5  # independent blogs carry it


def test_negative_own_post_and_reader_questions(demo_run):
    from warehouse.insights import own_posts, question_groups

    posts = own_posts(demo_run["db"])
    pricing = posts[posts["url"].str.contains("neues-lizenzmodell")].iloc[0]
    # The storyline (issue 11): the pricing post draws the most negative comments, as an outcome of a model
    # that never saw the demo. Its negative-swing flag is not asserted: with that model (6 of 27 comments
    # negative, interval 11–41 % around a 12 % baseline) it does not fire; the demo-tuned blend made it.
    assert pricing["negative"] == posts["negative"].max()  # more negative comments than any other own post
    groups = question_groups(demo_run["db"])
    assert len(groups) >= 5 and groups[0]["questions"] >= 4


INSIGHT_PAGES = ("overview", "crowd", "feedback", "questions", "sources", "digest", "alerts")


@pytest.mark.parametrize("name", INSIGHT_PAGES)
def test_insight_pages_on_real_model_output(demo_run, name: str, monkeypatch: pytest.MonkeyPatch):
    """The insight pages on what the offline default models made of the demo (tests/test_app_insights.py
    checks the same read models on the demo's gold labels)."""
    from streamlit.testing.v1 import AppTest

    from warehouse.insights import own_posts

    db = demo_run["db"]
    models = set(query(db, "SELECT DISTINCT model FROM doc_sentiment")["model"])
    assert models and not any(m.startswith("fixture:") for m in models)
    monkeypatch.setenv("RESONANZ_DB", str(db))
    monkeypatch.setenv("RESONANZ_CONFIG", str(demo_run["config"]))
    at = AppTest.from_string(f"from ui.pages import {name}\n{name}.render()", default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = {m.label: m for m in at.metric}
    if name == "overview":
        assert shown["Negative share"].value.endswith("%") and "95% interval" in str(
            shown["Negative share"].delta
        )
    if name == "feedback":
        posts = own_posts(db, 0.15, 5)
        assert shown["Own posts"].value == str(len(posts))
        assert shown["Negative swings"].value == str(int(posts["flagged"].sum()))
        assert posts["negative_low"].notna().any()


def test_second_run_adds_nothing_and_feeds_answer_304(demo_run):
    second = demo_run["run"]()
    assert second["documents"]["new"] == 0 and second["documents"]["updated"] == 0
    assert sum(second["enrich"]["enriched"].values()) == 0
    log = _fetch_log(demo_run["db"], second["run_id"])
    feeds = query(demo_run["db"], "SELECT source_id FROM sources WHERE kind IN ('feed', 'own_blog')")[
        "source_id"
    ]
    working = [f for f in feeds if f != "not-a-feed"]
    assert (log.loc[working, "http_status"] == 304).all()
    assert (log.loc[working, "status"] == "not_modified").all()


def test_published_posts_are_exactly_what_the_next_run_adds(demo_run):
    web, db = demo_run["web"], demo_run["db"]
    before = set(query(db, "SELECT doc_id FROM documents")["doc_id"])
    published = set(web.publish(n=1))
    assert len(published) >= 10
    third = demo_run["run"]()
    added = query(db, "SELECT doc_id, kind, canonical_url, parent_id FROM documents")
    added = added[~added["doc_id"].isin(before)]
    posts = added[added["kind"] == "post"]
    assert set(posts["canonical_url"]) == published
    assert set(added[added["kind"] == "comment"]["parent_id"]) <= set(posts["doc_id"])
    assert third["documents"]["new"] == len(added)
