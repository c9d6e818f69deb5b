"""collect_feed against a local server: conditional GET, bozo feeds, full text, own comments, faults."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from httpserver import LocalServer, http_server, make_server  # noqa: F401

from crawlers.feeds import collect_feed
from crawlers.http import HttpSettings, TransientFetchError

FIXTURES = Path(__file__).parent / "fixtures"
HTTP = HttpSettings(
    user_agent="ResonanzTest/1.0 (+tests)", timeout_s=2, max_bytes=200_000, max_page_bytes=200_000
)
RSS = "application/rss+xml; charset=utf-8"


def serve_feed(server: LocalServer, path: str, name: str, **options) -> str:
    text = (FIXTURES / "feeds" / name).read_text(encoding="utf-8").replace("{base}", server.base_url)
    options.setdefault("content_type", RSS)
    return server.add(path, text, **options)


@pytest.fixture
def own_blog(make_server) -> LocalServer:  # noqa: F811
    server = make_server()
    serve_feed(server, "/feed/", "own-blog.xml", etag='"feed-1"')
    serve_feed(server, "/blog/assist-skr04/feed/", "comments-assist.xml", etag='"c-1"')
    serve_feed(
        server,
        "/blog/preise-2027/feed/",
        "comments-preise.xml",
        last_modified="Fri, 02 Oct 2026 07:00:00 GMT",
    )
    server.add("/blog/preise-2027/", (FIXTURES / "pages" / "wordpress.html").read_bytes())
    return server


def test_own_blog_posts_comments_and_conditional_get(own_blog: LocalServer) -> None:
    feed = own_blog.url("/feed/")
    first = collect_feed("kontor", feed, own=True, comment_feeds="auto", http=HTTP)
    assert (first.status, first.error, first.http_status, first.etag) == ("ok", None, 200, '"feed-1"')
    posts = [d for d in first.documents if d.kind == "post"]
    comments = [d for d in first.documents if d.kind == "comment"]
    assert [p.canonical_url for p in posts] == [
        own_blog.url("/blog/assist-skr04/"),
        own_blog.url("/blog/preise-2027/"),
    ]
    assist = posts[0]
    assert (assist.guid, assist.author, assist.own, assist.lang, assist.via) == (
        "kontor-post-101",
        "Miriam Vogt",
        True,
        "de",
        "feed",
    )
    assert assist.published_at == datetime(2026, 10, 6, 6, 30, tzinfo=UTC)
    assert "SKR04" in assist.text and "alert" not in assist.text
    assert posts[1].via == "article"  # summary-only entry: the article was fetched and extracted
    assert [(c.canonical_url, c.parent_url, c.author, c.own, c.via) for c in comments] == [
        (
            own_blog.url("/blog/assist-skr04/#comment-3"),
            assist.canonical_url,
            "Petra Lange",
            True,
            "comment-feed",
        ),
        (
            own_blog.url("/blog/assist-skr04/#comment-4"),
            assist.canonical_url,
            "Miriam Vogt",
            True,
            "comment-feed",
        ),
        (own_blog.url("/blog/preise-2027/#comment-9"), posts[1].canonical_url, "Frank", True, "comment-feed"),
    ]
    assert comments[1].text == "Nein, Petra – Kundendaten werden nicht zum Training verwendet."
    assert set(first.validators) == {
        feed,
        own_blog.url("/blog/assist-skr04/feed/"),
        own_blog.url("/blog/preise-2027/feed/"),
    }

    own_blog.clear_log()
    known = {d.canonical_url for d in first.documents}
    second = collect_feed(
        "kontor",
        feed,
        own=True,
        comment_feeds="auto",
        validators=first.validators,
        known_urls=known,
        http=HTTP,
    )
    assert (second.status, second.http_status, second.documents, second.error) == (
        "not_modified",
        304,
        [],
        None,
    )
    assert second.validators == first.validators
    requests = {entry.path: entry.headers for entry in own_blog.log}
    assert requests["/feed/"]["if-none-match"] == '"feed-1"'
    assert requests["/blog/preise-2027/feed/"]["if-modified-since"] == "Fri, 02 Oct 2026 07:00:00 GMT"
    assert "/blog/preise-2027/" not in requests  # known article: not fetched again
    assert requests["/feed/"]["user-agent"] == HTTP.user_agent


def test_bozo_feed_is_parsed_as_far_as_possible(http_server: LocalServer) -> None:  # noqa: F811
    url = serve_feed(http_server, "/bozo/feed.xml", "broken.xml")
    outcome = collect_feed("bozo", url, full_text="never", http=HTTP)
    assert outcome.status == "partial"
    assert "ill-formed feed" in outcome.error and url in outcome.error
    assert outcome.documents[0].title == "Erster Beitrag"
    assert outcome.meta["bozo"]


def test_summary_only_feed_fetches_articles_and_keeps_failed_entries(http_server: LocalServer) -> None:  # noqa: F811
    url = serve_feed(http_server, "/summary/feed.xml", "summary.xml", content_type="application/atom+xml")
    http_server.add("/ai-humans/", (FIXTURES / "pages" / "ghost.html").read_bytes())
    outcome = collect_feed("ledger", url, http=HTTP)
    assert outcome.status == "partial"
    assert "/gone/" in outcome.error and "404" in outcome.error
    full, gone = outcome.documents
    assert (full.via, full.author, full.lang) == ("article", "Priya Nair", "en")
    assert "212 suggested bookings" in full.text
    assert (gone.via, gone.text, gone.meta.get("summary_only")) == ("feed", "This one is gone…", True)


def test_not_a_feed_names_the_feed_of_the_page(http_server: LocalServer) -> None:  # noqa: F811
    url = http_server.add(
        "/html-page/",
        '<html><head><link rel="alternate" type="application/rss+xml" '
        'href="/real/feed.xml"></head><body>Hi</body></html>',
    )
    outcome = collect_feed("x", url, http=HTTP)
    assert outcome.status == "error"
    assert outcome.error == (
        f"{url}: not a feed but an HTML page (text/html); the page names a feed: "
        f"{http_server.url('/real/feed.xml')}"
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda s: s.status("/f/404", 404), "HTTP 404 (not found)"),
        (lambda s: s.status("/f/410", 410), "HTTP 410 (gone)"),
        (lambda s: s.redirect_loop("/f/loop"), "too many redirects"),
        (lambda s: s.huge("/f/huge", 1_000_000), "response too large"),
        (lambda s: s.huge("/f/huge-chunked", 1_000_000, send_length=False), "response too large"),
        (
            lambda s: s.add("/f/image", b"\x89PNG", content_type="image/png"),
            "not a feed (content type image/png)",
        ),
        (lambda s: s.add("/f/empty", b"", content_type="application/rss+xml"), "unusable feed"),
        (
            lambda s: s.add("/f/sitemap", b"<?xml version='1.0'?><urlset/>", content_type="application/xml"),
            "unusable feed",
        ),
    ],
    ids=["404", "410", "redirect-loop", "huge", "huge-chunked", "image", "empty", "not-a-feed"],
)
def test_permanent_failures_are_error_outcomes(http_server: LocalServer, setup, message: str) -> None:  # noqa: F811
    url = setup(http_server)
    outcome = collect_feed("x", url, http=HTTP)
    assert outcome.status == "error"
    assert url in outcome.error and message in outcome.error
    assert outcome.documents == []


@pytest.mark.parametrize(
    ("setup", "retry_after"),
    [
        (lambda s: s.status("/t/429", 429, retry_after="7"), 7.0),
        (lambda s: s.status("/t/503", 503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT"), 0.0),
        (lambda s: s.status("/t/500", 500), None),
        (lambda s: s.slow("/t/slow", 3.0), None),
        (lambda s: s.add("/t/drip", b"<rss>" + b" " * 200, drip_s=0.6, chunk=20), None),
    ],
    ids=["429-retry-after", "503-http-date", "500", "slow", "slow-drip"],
)
def test_transient_failures_raise_for_retry(http_server: LocalServer, setup, retry_after) -> None:  # noqa: F811
    url = setup(http_server)
    settings = HttpSettings(timeout_s=1.0, deadline_s=2.0)
    started = time.monotonic()
    with pytest.raises(TransientFetchError) as caught:
        collect_feed("x", url, http=settings)
    assert url in str(caught.value)
    assert caught.value.retry_after == retry_after
    assert time.monotonic() - started < 5


def test_closed_port_is_transient() -> None:
    with pytest.raises(TransientFetchError, match="cannot connect"):
        collect_feed("x", "http://127.0.0.1:9/feed", http=HTTP)


def test_comment_feed_failures_make_the_outcome_partial(make_server) -> None:  # noqa: F811
    server = make_server()
    serve_feed(server, "/feed/", "own-blog.xml")
    serve_feed(server, "/blog/assist-skr04/feed/", "comments-assist.xml")
    server.status("/blog/preise-2027/feed/", 500)
    outcome = collect_feed(
        "kontor", server.url("/feed/"), own=True, comment_feeds="auto", full_text="never", http=HTTP
    )
    assert outcome.status == "partial"
    assert "comment feed" in outcome.error and "/blog/preise-2027/feed/: HTTP 500" in outcome.error
    assert sum(d.kind == "comment" for d in outcome.documents) == 2
