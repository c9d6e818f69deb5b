"""Structured comment sources: discovery on markup, parsing, and the crawler on the demo's WordPress blog."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites
from crawlers.structured import (
    PostRef,
    StructuredSource,
    comments_paginated,
    discover,
    read_comments,
    rest_url,
)
from crawlers.text import parse_html
from demo.model import Blog, load_blog
from demo.server import DemoWeb
from demo.sites import spec_for
from warehouse.comment_reach import comment_methods, unreachable_comments
from warehouse.db import query
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import start_run

CONTENT = Path(__file__).resolve().parent.parent / "demo" / "content"
POST = PostRef("s", "http://127.0.0.1:9/2026/03/post/", "http://127.0.0.1:9/2026/03/post/")


def _head(links: str, body_class: str = "") -> str:
    return f'<html><head>{links}</head><body class="{body_class}"><p>Text</p></body></html>'


def test_discover_orders_rest_feed_blogger() -> None:
    page = "http://127.0.0.1:9/2026/03/post/"
    html = _head(
        '<link rel="https://api.w.org/" href="http://127.0.0.1:9/wp-json/">'
        '<link rel="shortlink" href="http://127.0.0.1:9/?p=123">'
        '<link rel="alternate" type="application/rss+xml" title="Blog » Comments Feed" href="/comments/feed/">'
        '<link rel="alternate" type="application/rss+xml" title="Blog » Post Comments Feed" href="/2026/03/post/feed/">'
    )
    found = discover(parse_html(html), page)
    assert [s.method for s in found] == ["wp-rest", "wp-feed"]
    assert (
        found[0].url
        == "http://127.0.0.1:9/wp-json/wp/v2/comments?post=123&per_page=100&orderby=date&order=asc"
    )
    assert found[1].url == "http://127.0.0.1:9/2026/03/post/feed/"  # not the site-wide comments feed
    # the post id from the body class, the API root in its plain-permalink form
    plain = _head(
        '<link rel="https://api.w.org/" href="http://127.0.0.1:9/?rest_route=/">', "single postid-77"
    )
    assert [s.url for s in discover(parse_html(plain), page)] == [
        rest_url("http://127.0.0.1:9/?rest_route=/", "77")
    ]
    assert "rest_route=%2Fwp%2Fv2%2Fcomments" in rest_url("http://127.0.0.1:9/?rest_route=/", "77")
    blogger = '<html><body><a href="https://x.blogspot.com/feeds/4711/comments/default">Post Comments (Atom)</a></body></html>'
    assert discover(parse_html(blogger), "https://x.blogspot.com/2012/01/p.html") == [
        StructuredSource("blogger-feed", "https://x.blogspot.com/feeds/4711/comments/default")
    ]
    # an API link without a post id, or a plain page: nothing to try
    assert discover(parse_html(_head('<link rel="https://api.w.org/" href="/wp-json/">')), page) == []


def test_rest_comments_carry_author_date_and_parent() -> None:
    items = [
        {
            "id": 5,
            "parent": 0,
            "author_name": "Ina",
            "date_gmt": "2026-03-01T10:00:00",
            "content": {"rendered": "<p>Gut &amp; klar</p>"},
        },
        {
            "id": 6,
            "parent": 5,
            "author_name": "Ole",
            "date_gmt": "2026-03-01T11:30:00",
            "content": {"rendered": "<p>Danke!</p>"},
        },
        {"id": 7, "parent": 0, "author_name": "Leer", "content": {"rendered": ""}},
    ]
    docs = read_comments(StructuredSource("wp-rest", "u"), json.dumps(items).encode(), POST)
    assert [(d.canonical_url.rsplit("#", 1)[1], d.author, d.text, d.via) for d in docs] == [
        ("comment-5", "Ina", "Gut & klar", "comment-rest"),
        ("comment-6", "Ole", "Danke!", "comment-rest"),
    ]
    assert docs[0].published_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert (
        docs[1].meta["reply_to"] == POST.canonical_url + "#comment-5"
        and docs[1].parent_url == POST.canonical_url
    )
    assert read_comments(StructuredSource("wp-rest", "u"), b'{"code": "rest_no_route"}', POST) is None
    assert read_comments(StructuredSource("wp-rest", "u"), b"<html>login</html>", POST) is None


def test_blogger_feed_replies_from_related_links() -> None:
    feed = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
      xmlns:thr="http://purl.org/syndication/thread/1.0"><title>c</title>
      <entry><id>tag:blogger.com,1999:blog-1.post-11</id><published>2012-05-01T10:00:00.000+02:00</published>
        <content type="html">First!</content><author><name>Kai</name></author>
        <link rel="alternate" href="http://127.0.0.1:9/2026/03/post/?showComment=1#c11"/>
        <thr:in-reply-to href="http://127.0.0.1:9/2026/03/post/" ref="tag:blogger.com,1999:blog-1.post-9"/></entry>
      <entry><id>tag:blogger.com,1999:blog-1.post-12</id><published>2012-05-01T12:00:00.000+02:00</published>
        <content type="html">Re: first</content><author><name>Mia</name></author>
        <link rel="alternate" href="http://127.0.0.1:9/2026/03/post/?showComment=2#c12"/>
        <link rel="related" href="https://www.blogger.com/feeds/1/9/comments/default/11"/></entry></feed>"""
    docs = read_comments(
        StructuredSource("blogger-feed", "http://127.0.0.1:9/feeds/9/comments/default"), feed, POST
    )
    assert [(d.canonical_url.rsplit("#", 1)[1], d.author, d.meta.get("reply_to")) for d in docs] == [
        ("comment-11", "Kai", None),
        ("comment-12", "Mia", POST.canonical_url + "#comment-11"),
    ]
    assert docs[0].published_at == datetime(2012, 5, 1, 8, tzinfo=UTC)


def _blog(slug: str) -> Blog:
    return load_blog(CONTENT / f"{slug}.json", datetime.now(UTC).date())


def _crawl(web: DemoWeb, slug: str, tmp_path: Path):
    settings = CrawlSettings(
        download_delay=0, autothrottle=False, cache_dir=tmp_path / "cache", extract_workers=1
    )
    site = SiteSpec(slug, [web.sites[slug] + "/"], max_pages=60, max_depth=3)
    (outcome,) = crawl_sites([site], work_dir=tmp_path, known_urls=(), settings=settings, timeout_s=120)
    assert outcome.status == "ok", outcome.error
    return outcome


@pytest.mark.parametrize(("method", "wp_api"), [("wp-rest", True), ("wp-feed", False)])
def test_wordpress_blog_comments_through_rest_and_feeds(
    tmp_path: Path, tmp_db: Path, method: str, wp_api: bool
):
    slug = "mittelstand-digital"
    blog = _blog(slug)
    spec = replace(spec_for(slug), wp_api=wp_api, comment_feeds=True)
    with DemoWeb(blogs=[blog], specs={slug: spec}, base_port=0) as web:
        outcome = _crawl(web, slug, tmp_path)
        served = {r.path.split("?", 1)[0] for r in web.request_log}
    posts = [d for d in outcome.documents if d.kind == "post"]
    comments = [d for d in outcome.documents if d.kind == "comment"]
    assert len(posts) >= 10 and {c.method for c in outcome.comment_checks} == {method}
    assert {c.via for c in comments} == {"comment-rest" if wp_api else "comment-feed"}
    assert ("/wp-json/wp/v2/comments" in served) is wp_api
    # every comment with the fields of the blog's own data: author, date, reply relation, text
    truth = {(p.slug, c.id): (c, p) for p in blog.posts for c in p.comments}
    seen = 0
    for doc in comments:
        post_slug = doc.parent_url.rstrip("/").rsplit("/", 1)[1]
        cid = doc.canonical_url.rsplit("#comment-", 1)[1]
        comment, _ = truth[(post_slug, cid)]
        assert (doc.author, doc.published_at) == (comment.author, comment.published)
        assert doc.text.split()[:5] == comment.text.split()[:5]
        assert doc.meta.get("reply_to", "").rsplit("#comment-", 1)[-1] == (comment.reply_to or "")
        seen += 1
    crawled = {d.canonical_url.rstrip("/").rsplit("/", 1)[1] for d in posts}
    assert seen == sum(len(p.comments) for p in blog.posts if p.slug in crawled) > 0
    assert any(d.meta.get("reply_to") for d in comments)
    # the warehouse records which method served each post
    sync_sources(tmp_db, [SourceSpec(slug, "MD", "site", web.sites[slug])])
    ingest_outcome(tmp_db, outcome, start_run(tmp_db))
    methods = comment_methods(tmp_db)
    assert methods[["method", "posts", "comments"]].values.tolist() == [[method, len(posts), seen]]
    stored = query(tmp_db, "SELECT via, count(*) AS n FROM documents WHERE kind = 'comment' GROUP BY via")
    assert stored.values.tolist() == [[comments[0].via, seen]]


def test_disqus_blog_is_reported_not_zero(tmp_path: Path, tmp_db: Path) -> None:
    slug = "erp-insider"
    blog = _blog(slug)
    with DemoWeb(blogs=[blog], base_port=0) as web:
        outcome = _crawl(web, slug, tmp_path)
    oldest = min((p for p in blog.posts if not p.draft), key=lambda p: p.published)
    assert oldest.comments  # the thread has comments: only the crawler cannot read them
    flagged = [c for c in outcome.comment_checks if c.unreachable]
    assert [
        (c.post_url.rstrip("/").rsplit("/", 1)[1], c.unreachable, c.comments, c.complete) for c in flagged
    ] == [(oldest.slug, "Disqus", 0, False)]
    assert all(c.unreachable is None and c.comments > 0 for c in outcome.comment_checks if c not in flagged)
    sync_sources(tmp_db, [SourceSpec(slug, "ERP Insider", "site", web.sites[slug])])
    ingest_outcome(tmp_db, outcome, start_run(tmp_db))
    frame = unreachable_comments(tmp_db)
    assert frame[["source_id", "system", "posts"]].values.tolist() == [[slug, "Disqus", 1]]
    assert frame["example_url"].iloc[0] == flagged[0].post_url


def test_comment_pages_beyond_the_first_are_noticed() -> None:
    assert comments_paginated(
        parse_html('<html><body><a href="/p/comment-page-2/#comments">Older</a></body></html>')
    )
    assert comments_paginated(
        parse_html('<html><body><a href="/?p=5&cpage=2">Ältere Kommentare</a></body></html>')
    )
    assert not comments_paginated(parse_html('<html><body><a href="/p/#comment-2">#</a></body></html>'))


def test_extract_lists_the_comment_sources_it_would_try(tmp_path: Path, capsys) -> None:
    from resonanz.cli import main

    blog = _blog("mittelstand-digital")
    with DemoWeb(blogs=[blog], base_port=0) as web:
        site = web.site("mittelstand-digital")
        url = site.post_url(blog.posts[0])
        assert main(["extract", url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["method"] for s in data["comment_sources"]] == ["wp-rest", "wp-feed"]
    assert data["comment_sources"][1]["url"] == url + "feed/"
