"""Every app page renders on the demo fixture (AppTest), shows its key numbers, and the plan can be edited."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from fixtures.insight_db import copy_db, shared_insight_db
from streamlit.testing.v1 import AppTest

from nlp.labels import clean_label
from resonanz.commands.collect import example_config
from warehouse import alerts, crowd, editorial, insights
from warehouse.aggregates import refresh_aggregates
from warehouse.db import init_db

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("overview", "crowd", "feedback", "questions", "sources", "plan", "digest", "alerts", "runs")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fixture database and the example config, named by the environment."""
    source, _ = shared_insight_db()
    db = copy_db(source, tmp_path / "app.duckdb")
    config = tmp_path / "resonanz.toml"
    config.write_text(example_config(), encoding="utf-8")
    monkeypatch.setenv("RESONANZ_DB", str(db))
    monkeypatch.setenv("RESONANZ_CONFIG", str(config))
    return db


def page(name: str) -> AppTest:
    return AppTest.from_string(f"from ui.pages import {name}\n{name}.render()", default_timeout=60).run()


def texts(at: AppTest) -> str:
    """Everything the page wrote as Markdown, captions and titles, as one string."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "title", "subheader", "error", "success", "info")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_without_exception(app_env: Path, name: str):
    at = page(name)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_after_the_data_cache_is_emptied(app_env: Path, name: str):
    """As after a pipeline run; how fast the queries behind a page are is measured by bench/dashboard.py."""
    page(name)
    st.cache_data.clear()
    at = page(name)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value


def test_app_registers_all_pages_and_opens_the_overview(app_env: Path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    assert all(f"{name}.render" in source for name in PAGES)


def as_of(db: Path) -> date:
    return date.fromisoformat(insights.aggregate_info(db)["as_of"])


def test_overview_shows_kpis_of_the_data(app_env: Path):
    at = page("overview")
    end = as_of(app_env)
    expected = insights.kpis(app_env, insights.Filters(end - timedelta(days=89), end))
    shown = metrics(at)
    assert shown["Documents this week"] == f"{expected['this_week']:,}"
    assert shown["Negative share"] == f"{expected['negative_share']:.0%}"
    assert shown["Active sources"] == str(expected["sources"])
    assert shown["Last run"] == "partial"
    assert "Share of voice by topic" in texts(at)


def test_overview_topic_filter_narrows_the_numbers(app_env: Path):
    at = page("overview")
    everything = metrics(at)["Documents this week"]
    at.selectbox(key="filter_topic").select("E-Rechnung").run()
    assert not at.exception
    end = as_of(app_env)
    expected = insights.kpis(app_env, insights.Filters(end - timedelta(days=89), end, topic="E-Rechnung"))
    assert metrics(at)["Documents this week"] == f"{expected['this_week']:,}" != everything


def test_crowd_page_ranks_the_emerging_storyline_and_names_its_blogs(app_env: Path):
    at = page("crowd")
    top = crowd.crowd_topics(app_env).iloc[0]
    shown = texts(at)
    assert f"1. {top['label']}" in shown.replace("\\", "")
    assert {"Score", "Momentum", "Breadth", "Engagement", "Relevance", "Coverage gap"} <= set(metrics(at))
    drivers = at.dataframe[1].value  # the first card's "Driven by" table
    assert drivers["source"].nunique() == top["blogs"] >= 3
    labels = crowd.crowd_topics(app_env)
    for row in labels.itertuples():  # readable labels: key phrases without stop, number or date words
        assert row.label and not clean_label(row.label), row.label
    assert top["subtitle"] and top["subtitle"] in shown.replace("\\", "")  # the most central post's title
    bucket = crowd.outlier_bucket(app_env)
    assert f"Outlier bucket: {bucket['outliers']} of {bucket['posts']}" in shown


def test_feedback_page_flags_the_negative_own_post(app_env: Path):
    at = page("feedback")
    flagged = insights.own_posts(app_env).query("flagged")
    assert len(flagged) >= 1
    assert metrics(at)["Negative swings"] == str(len(flagged))
    assert any("Negative swing" in e.value for e in at.error)


def test_questions_page_lists_groups_with_counts(app_env: Path):
    at = page("questions")
    groups = insights.question_groups(app_env)
    assert f"{len(groups)} question groups" in texts(at)
    assert f"asked {groups[0]['questions']}×" in texts(at)


def test_sources_page_shows_health_and_a_sources_comments(app_env: Path):
    at = page("sources")
    table = insights.sources_overview(app_env)
    assert metrics(at)["Active sources"] == str(len(table))
    assert metrics(at)["Failing now"] == "1"
    assert at.selectbox(key="linked-post").value  # a post of the first source is open


def test_sources_page_names_unreachable_comments_and_marks_deleted_ones(app_env: Path):
    from crawlers.records import CommentCheck, FetchOutcome
    from warehouse.db import write_connection
    from warehouse.ingest import ingest_outcome
    from warehouse.runs import start_run

    source = insights.filter_options(app_env)["sources"][0]["id"]  # the reading view opens its first post
    post = insights.source_posts(app_env, source).iloc[0]
    assert post["comments"] > 0
    check = CommentCheck(post["url"], "html", 0, "Disqus", complete=False)
    ingest_outcome(
        app_env, FetchOutcome(source, post["url"], "ok", comment_checks=[check]), start_run(app_env)
    )
    with write_connection(app_env) as con:
        con.execute("UPDATE documents SET deleted_at = now() WHERE parent_id = ?", [post["doc_id"]])
    at = page("sources")
    assert not at.exception
    assert "Comments not reachable" in texts(at)
    assert any(source in df.value["source_id"].tolist() for df in at.dataframe if "system" in df.value)
    assert "deleted on the blog (kept)" in texts(at)


def test_alerts_page_lists_the_detected_spikes(app_env: Path):
    at = page("alerts")
    found = alerts.detect_alerts(app_env, alerts.AlertSettings(), as_of(app_env))
    assert found, "the fixture's storyline should raise at least one volume spike"
    assert metrics(at)["Alerts"] == str(len(found))


def test_digest_preview_shows_one_stakeholders_topics(app_env: Path):
    at = page("digest")
    shown = texts(at)
    assert "Resonanz digest for Miriam Albers" in shown
    assert "Preise & Lizenzen" in shown and "E-Rechnung |" not in shown


def test_runs_page_shows_the_run_and_its_failed_source(app_env: Path):
    at = page("runs")
    assert metrics(at)["Runs"] == "1"
    assert metrics(at)["Failed sources (last run)"] == "1"


def test_adopt_a_topic_then_edit_it_in_the_plan(app_env: Path):
    at = page("crowd")
    top = crowd.crowd_topics(app_env).iloc[0]
    key = f"topic-{top['topic_id']}"
    at.text_input(key=f"adopt-title-{key}").input("Data Act: our exit plan for customers")
    at.selectbox(key=f"adopt-owner-{key}").select("Dr. Felix Brandt")
    next(b for b in at.button if b.label == "Add to plan").click().run()
    assert not at.exception
    assert any("editorial plan as entry" in s.value for s in at.success)
    [entry] = editorial.list_entries(app_env)
    assert (entry.title, entry.owner, entry.origin_kind, entry.origin_id) == (
        "Data Act: our exit plan for customers",
        "Dr. Felix Brandt",
        "topic",
        top["topic_id"],
    )
    assert len(entry.evidence) == len(crowd.topic_evidence(app_env, top["topic_id"]))

    plan = page("plan")
    assert "1 entries, 1 open." in texts(plan)
    plan.text_input(key=f"edit-title-{entry.entry_id}").input("Data Act: how to leave us (and why you won't)")
    plan.selectbox(key=f"edit-status-{entry.entry_id}").select("writing")
    next(b for b in plan.button if b.label == "Save changes").click().run()
    assert not plan.exception
    [edited] = editorial.list_entries(app_env)
    assert (edited.title, edited.status) == ("Data Act: how to leave us (and why you won't)", "writing")


def test_plan_page_adds_reorders_and_deletes(app_env: Path):
    for title in ("First", "Second"):
        editorial.add_entry(app_env, editorial.PlanEntry(title=title))
    at = page("plan")
    at.text_input(key="new-title").input("Third")
    next(b for b in at.button if b.label == "Add entry").click().run()
    assert [e.title for e in editorial.list_entries(app_env)] == ["First", "Second", "Third"]
    at = page("plan")
    at.selectbox(key="plan_entry").select(editorial.list_entries(app_env)[2].entry_id).run()
    next(b for b in at.button if b.label == "Move up").click().run()
    assert [e.title for e in editorial.list_entries(app_env)] == ["First", "Third", "Second"]
    next(b for b in at.button if b.label == "Delete").click().run()
    assert [e.title for e in editorial.list_entries(app_env)] == ["First", "Second"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_on_an_empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):
    db = tmp_path / "empty.duckdb"
    init_db(db)
    refresh_aggregates(db)
    monkeypatch.setenv("RESONANZ_DB", str(db))
    monkeypatch.setenv("RESONANZ_CONFIG", str(tmp_path / "missing.toml"))
    at = page(name)
    assert not at.exception, [e.value for e in at.exception]


def test_app_explains_a_missing_database_and_missing_aggregates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RESONANZ_CONFIG", str(tmp_path / "missing.toml"))
    monkeypatch.setenv("RESONANZ_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and "resonanz run" in at.info[0].value
    init_db(tmp_path / "fresh.duckdb")  # collected nothing yet, aggregates never built
    monkeypatch.setenv("RESONANZ_DB", str(tmp_path / "fresh.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and "resonanz refresh" in at.info[0].value
