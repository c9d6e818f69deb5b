"""A blank project from the command line: init, add-feed / add-site (feed discovery on 127.0.0.1), readable output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from httpserver import make_server  # noqa: F401

from crawlers.records import DocumentRecord, FetchOutcome
from resonanz.cli import main
from resonanz.commands.summary import run_lines
from resonanz.config import load_config, slugify
from resonanz.console import local_time, plural
from warehouse.db import init_db
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import finish_run, start_run

RSS = "application/rss+xml; charset=utf-8"
FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>KI im Büro</title>'
    "<link>{base}/</link><item><title>Erster Beitrag</title><link>{base}/a/</link></item></channel></rss>"
)
PAGE = (
    "<html><head><title>KI im Büro – Startseite</title>"
    '<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Hallo</body></html>'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("RESONANZ_CONFIG", "RESONANZ_DB", "RESONANZ_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_init_writes_a_minimal_config_for_an_own_project(project: Path, capsys) -> None:
    assert main(["init"]) == 0
    cfg = load_config("resonanz.toml")
    assert not cfg.feeds and not cfg.sites and cfg.own_blog is None  # no demo sources to delete
    assert [t.name for t in cfg.topics] == ["Product", "Market"]  # placeholders
    text = Path("resonanz.toml").read_text(encoding="utf-8")
    assert "# [own_blog]" in text and "resonanz add-feed" in text
    out = capsys.readouterr().out
    assert "resonanz add-feed URL" in out and "--config" not in out  # ./resonanz.toml is the default


def test_init_demo_keeps_the_demo_config_and_db_is_written(project: Path, capsys) -> None:
    assert main(["init", "--demo", "demo.toml"]) == 0
    assert len(load_config("demo.toml").feeds) == 9
    assert main(["init", "own/", "--db", "data/listening.duckdb"]) == 0
    assert load_config("own/resonanz.toml").db_path == (project / "data" / "listening.duckdb").resolve()
    assert main(["init", "inside.toml", "--db", "data/x.duckdb"]) == 0
    assert 'database = "data/x.duckdb"' in Path("inside.toml").read_text(
        encoding="utf-8"
    )  # relative: portable


def test_add_feed_discovers_the_feed_of_a_page(project: Path, make_server, capsys) -> None:  # noqa: F811
    server = make_server()
    server.add("/", PAGE)
    server.add("/feed.xml", FEED.format(base=server.url("").rstrip("/")), content_type=RSS)
    server.add("/nofeed/", "<html><head><title>Nix</title></head><body>kein Feed</body></html>")
    assert main(["init"]) == 0
    assert main(["add-feed", server.url("/")]) == 0
    feed = load_config("resonanz.toml").feeds[0]
    assert (feed.id, feed.name, feed.url) == ("ki-im-buero", "KI im Büro", server.url("/feed.xml"))
    out = capsys.readouterr().out
    assert f"found the feed {server.url('/feed.xml')}" in out and "added feed 'ki-im-buero'" in out
    assert main(["add-feed", server.url("/feed.xml")]) == 0  # the same feed again
    assert "already configured as feed 'ki-im-buero'" in capsys.readouterr().out
    assert main(["add-feed", server.url("/nofeed/")]) == 1
    assert "no feed found" in capsys.readouterr().err
    assert len(load_config("resonanz.toml").feeds) == 1
    assert "# Resonanz configuration for your own" in Path("resonanz.toml").read_text(
        encoding="utf-8"
    )  # kept


def test_add_site_names_it_and_points_at_its_feed(project: Path, make_server, capsys) -> None:  # noqa: F811
    server = make_server()
    server.add("/", PAGE)
    assert main(["init"]) == 0
    assert main(["add-site", server.url("/"), "--max-pages", "50"]) == 0
    site = load_config("resonanz.toml").sites[0]
    assert (site.id, site.start_urls, site.max_pages) == ("ki-im-buero-startseite", [server.url("/")], 50)
    assert f"resonanz add-feed {server.url('/feed.xml')}" in capsys.readouterr().out
    assert main(["add-site", "http://127.0.0.1:9/x/", "--no-check", "--name", "Über uns"]) == 0
    assert load_config("resonanz.toml").sites[1].id == "ueber-uns"


def test_ids_transliterate() -> None:
    assert slugify("KI im Büro") == "ki-im-buero"
    assert slugify("Grüße aus Köln – Straße") == "gruesse-aus-koeln-strasse"
    assert slugify("Café Crème") == "cafe-creme"
    assert len(slugify("日本語")) == 12  # no Latin letters: a stable hash


def test_import_opml_ids_transliterate(project: Path) -> None:
    Path("subs.opml").write_text(
        '<opml><body><outline text="KI im Büro" xmlUrl="http://127.0.0.1:9/ki.xml"/></body></opml>',
        encoding="utf-8",
    )
    assert main(["init"]) == 0
    assert main(["import-opml", "subs.opml"]) == 0
    assert load_config("resonanz.toml").feeds[0].id == "ki-im-buero"


def test_plurals_and_local_times() -> None:
    assert [plural(n, "document") for n in (0, 1, 2)] == ["0 documents", "1 document", "2 documents"]
    assert plural(1, "plan entry") == "1 plan entry" and plural(3, "plan entry") == "3 plan entries"
    assert plural(2, "reader question") == "2 reader questions"
    moment = datetime(2026, 12, 2, 18, 44, 33, 123456, tzinfo=UTC)
    assert local_time(moment, "Europe/Berlin") == "2026-12-02 19:44 CET"
    assert local_time(moment.isoformat(), "Europe/Berlin") == "2026-12-02 19:44 CET"
    assert local_time("2026-07-01T10:00:00", "Europe/Berlin") == "2026-07-01 12:00 CEST"  # naive = UTC


def test_stats_shows_the_configured_time_zone(project: Path, capsys) -> None:
    db = project / "resonanz.duckdb"
    sync_sources(db, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed/")])
    run = start_run(db)
    url = "http://127.0.0.1:9/a/"
    ingest_outcome(
        db, FetchOutcome("blog", url, "ok", documents=[DocumentRecord("post", "blog", url, url, "Text")]), run
    )
    finish_run(db, run, "ok")
    Path("resonanz.toml").write_text('[resonanz]\ntimezone = "America/New_York"\n', encoding="utf-8")
    assert main(["stats"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("last run: ok at ") and (" EST " in last or " EDT " in last), last
    assert "." not in last.split(" at ")[1].split(" (")[0]  # no microseconds


def test_run_summary_reads_as_text() -> None:
    summary = {
        "run_id": "r1",
        "status": "partial",
        "stages": {"collect_s": 2.0, "enrich_s": 3.5},
        "collect": {
            "sources": [
                {"source_id": "a", "status": "ok", "new": 1, "updated": 0, "error": None},
                {"source_id": "b", "status": "error", "new": 0, "updated": 0, "error": "HTTP 404"},
            ]
        },
        "documents": {"new": 1, "updated": 0, "unchanged": 0, "near_duplicates": 0},
        "enrich": {
            "enriched": {"language": 1, "sentiment": 1, "questions": 1, "embedding": 1, "topics": 1},
            "models": {"language": "builtin:lingua@lingua-2.1.1", "topics": "builtin:prototypes@p-1"},
            "emerging_topics": 1,
            "new_emerging_topics": 1,
            "question_groups": 0,
            "questions": 0,
            "seconds": 3.4,
        },
    }
    lines = run_lines(summary)
    assert lines[0] == "run r1: partial in 5.5 s — 2 sources, 1 failed"
    assert lines[1] == "documents: +1 new, 0 updated, 0 unchanged"
    assert "  ✗ b" in lines[3] and lines[3].endswith("— HTTP 404")
    assert lines[4] == "enrichment in 3.4 s: language 1, sentiment 1, questions 1, embedding 1, topics 1"
    assert lines[5] == "  1 emerging topic (1 new), 0 question groups from 0 reader questions"
    assert "    language   builtin:lingua  (lingua-2.1.1)" in lines and "{" not in "\n".join(lines)
    quiet = run_lines(summary, quiet=True)
    assert not any("✓" in line for line in quiet) and any("✗ b" in line for line in quiet)
    assert not any("models" in line for line in quiet)


def test_an_empty_plan_exports_with_a_note(project: Path, capsys) -> None:
    init_db(project / "resonanz.duckdb")
    assert main(["export", "-f", "csv", "-o", "plan.csv"]) == 0
    err = capsys.readouterr().err
    assert "the editorial plan is empty" in err and "0 plan entries written to plan.csv" in err
    assert Path("plan.csv").read_text(encoding="utf-8-sig").strip()  # the header row
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents"]["total"] == 0
    assert main(["health"]) == 0
    assert "no runs yet" in capsys.readouterr().out
