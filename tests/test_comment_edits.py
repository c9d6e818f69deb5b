"""Comment edits and deletions on re-crawl: the old version kept, a deleted comment marked, not dropped."""

from __future__ import annotations

from pathlib import Path

from httpserver import LocalServer, make_server  # noqa: F401

from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites
from crawlers.records import CommentCheck, DocumentRecord, FetchOutcome
from warehouse.db import query
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import start_run

BODY = "<p>Ein Beitrag über die Umstellung auf die E-Rechnung, mit allem, was dabei schiefging.</p>" * 10


def _page(comments: dict[str, tuple[str, str]]) -> str:
    items = "".join(
        f'<li id="comment-{cid}" class="comment"><article class="comment-body"><footer class="comment-meta">'
        f'<b class="fn">{author}</b><time datetime="2026-10-0{cid}T10:00:00+00:00">1.10.2026</time></footer>'
        f'<div class="comment-content"><p>{text}</p></div></article></li>'
        for cid, (author, text) in comments.items()
    )
    return (
        '<html lang="de"><head><title>Umstellung</title><meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2026-09-30T08:00:00+00:00"></head><body>'
        f'<article><h1>Umstellung</h1>{BODY}</article><div id="comments"><ol class="comment-list">{items}</ol></div>'
        "</body></html>"
    )


def _crawl(server: LocalServer, tmp_path: Path, db: Path) -> FetchOutcome:
    settings = CrawlSettings(
        download_delay=0, autothrottle=False, cache_dir=tmp_path / "cache", extract_workers=1
    )
    site = SiteSpec("blog", [server.url("/")], max_pages=10, max_depth=2)
    (outcome,) = crawl_sites([site], work_dir=tmp_path, known_urls=(), settings=settings, timeout_s=60)
    assert outcome.status == "ok", outcome.error
    ingest_outcome(db, outcome, start_run(db))
    return outcome


def _comments(db: Path):
    return query(
        db,
        "SELECT split_part(canonical_url, '#comment-', 2) AS cid, text, version, deleted_at IS NOT NULL AS deleted "
        "FROM documents WHERE kind = 'comment' ORDER BY cid",
    )


def test_edits_are_versioned_and_deletions_marked(make_server, tmp_path: Path, tmp_db: Path) -> None:  # noqa: F811
    server = make_server()
    thread = {
        "1": ("Ina", "Erste Fassung meines Kommentars."),
        "2": ("Ole", "Sehr hilfreich."),
        "3": ("Kai", "Stimmt."),
    }
    server.add("/", lambda: f'<html><body><a href="{server.url("/post/")}">Post</a></body></html>'.encode())
    server.add("/post/", lambda: _page(thread).encode())
    sync_sources(tmp_db, [SourceSpec("blog", "Blog", "site", server.url("/"))])
    _crawl(server, tmp_path, tmp_db)
    assert _comments(tmp_db).values.tolist() == [
        ["1", "Erste Fassung meines Kommentars.", 1, False],
        ["2", "Sehr hilfreich.", 1, False],
        ["3", "Stimmt.", 1, False],
    ]
    thread["1"] = ("Ina", "Zweite Fassung: korrigiert.")
    del thread["3"]
    second = _crawl(server, tmp_path, tmp_db)
    assert second.meta.get("comments_deleted") == 1
    assert _comments(tmp_db).values.tolist() == [
        ["1", "Zweite Fassung: korrigiert.", 2, False],
        ["2", "Sehr hilfreich.", 1, False],
        ["3", "Stimmt.", 1, True],  # marked, text kept
    ]
    old = query(tmp_db, "SELECT version, text FROM document_versions")
    assert old.values.tolist() == [[1, "Erste Fassung meines Kommentars."]]
    thread["3"] = ("Kai", "Stimmt.")
    third = _crawl(server, tmp_path, tmp_db)
    assert third.meta.get("comments_restored") == 1
    assert _comments(tmp_db)["deleted"].tolist() == [False, False, False]


def test_no_deletion_without_the_whole_thread(tmp_db: Path) -> None:
    post = "http://127.0.0.1:9/post/"
    sync_sources(tmp_db, [SourceSpec("s", "S", "site", post)])

    def comment(cid: str) -> DocumentRecord:
        return DocumentRecord(
            "comment", "s", f"{post}#comment-{cid}", f"{post}#comment-{cid}", f"Text {cid}", parent_url=post
        )

    first = FetchOutcome(
        "s",
        post,
        "ok",
        documents=[comment("1"), comment("2")],
        comment_checks=[CommentCheck(post, "html", 2)],
    )
    ingest_outcome(tmp_db, first, start_run(tmp_db))
    # a thread the crawler could not read in full (an embed, further comment pages): nothing is marked
    partial = FetchOutcome(
        "s",
        post,
        "ok",
        documents=[comment("1")],
        comment_checks=[CommentCheck(post, "html", 1, "Disqus", complete=False)],
    )
    ingest_outcome(tmp_db, partial, start_run(tmp_db))
    assert _comments(tmp_db)["deleted"].tolist() == [False, False]
    # a fetch that did not look at the post (cached page): nothing is marked either
    ingest_outcome(tmp_db, FetchOutcome("s", post, "ok"), start_run(tmp_db))
    assert _comments(tmp_db)["deleted"].tolist() == [False, False]
