"""collect_feed on the bundled demo web: own blog with comment feeds, a malformed feed, 304 on the second run."""

from __future__ import annotations

from crawlers.feeds import collect_feed
from crawlers.http import HttpSettings

HTTP = HttpSettings(user_agent="ResonanzTest/1.0", timeout_s=10)


def test_own_blog_feed_and_comment_feeds_then_304(demo_web) -> None:
    url = demo_web.feed_urls["kontor-blog"]
    first = collect_feed("kontor-blog", url, own=True, comment_feeds="auto", http=HTTP)
    assert first.status == "ok", first.error
    posts = [d for d in first.documents if d.kind == "post"]
    comments = [d for d in first.documents if d.kind == "comment"]
    assert len(posts) >= 10 and len(comments) >= 20
    post_urls = {p.canonical_url for p in posts}
    assert all(c.own and c.parent_url in post_urls and "#comment-" in c.canonical_url for c in comments)
    assert all(p.published_at and p.published_at.tzinfo for p in posts)
    known = {d.canonical_url for d in first.documents}
    second = collect_feed(
        "kontor-blog",
        url,
        own=True,
        comment_feeds="auto",
        validators=first.validators,
        known_urls=known,
        http=HTTP,
    )
    assert (second.status, second.http_status, second.documents) == ("not_modified", 304, [])


def test_every_demo_feed_lands_or_fails_clearly(demo_web) -> None:
    for slug, url in demo_web.feed_urls.items():
        outcome = collect_feed(slug, url, http=HTTP)
        assert outcome.status in ("ok", "partial", "error"), slug
        if outcome.status == "ok":
            assert outcome.documents and all(d.text for d in outcome.documents), slug
        else:
            assert url in outcome.error, (slug, outcome.error)
    malformed = collect_feed("procurement-pulse", demo_web.feed_urls["procurement-pulse"], http=HTTP)
    assert malformed.status in ("partial", "error") and "feed" in malformed.error
