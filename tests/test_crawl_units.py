"""Small pieces of the crawler: URL identity, scope with ports, dates, crawl state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers.crawlstate import CrawlState
from crawlers.dates import parse_any, parse_text_date
from crawlers.http import parse_retry_after
from crawlers.urls import Scope, canonical_url, comment_id_from, comment_url, netloc_of, normalize_url


def test_canonical_url_rules() -> None:
    assert (
        normalize_url("HTTP://Blog.Example.COM:80/a/?utm_source=x&b=2&a=1&fbclid=z#frag")
        == "http://blog.example.com/a/?a=1&b=2"
    )
    assert canonical_url("http://h:81/p?utm_medium=rss", "/canonical/") == "http://h:81/canonical/"
    assert canonical_url("http://h/p", "javascript:void(0)") == "http://h/p"
    assert comment_url("http://h/p/#x", "5") == "http://h/p/#comment-5"
    assert [
        comment_id_from(v) for v in ("comment-12", "#response-7", "k-3", "li-comment-5", "kommentar-ab")
    ] == ["12", "7", "3", "5", "ab"]


def test_scope_is_per_port_for_entries_with_port() -> None:
    scope = Scope(["127.0.0.1:8751", "example.com", "http://blog.test:9000/start"])
    assert scope.allows("http://127.0.0.1:8751/a")
    assert not scope.allows("http://127.0.0.1:8752/a")
    assert scope.allows("https://www.example.com/x") and scope.allows("http://example.com:8080/")
    assert not scope.allows("http://notexample.com/") and not scope.allows("ftp://example.com/")
    assert scope.allows("http://blog.test:9000/other") and not scope.allows("http://blog.test/other")
    assert netloc_of("https://H:443/x") == "h" and netloc_of("http://h:8080/") == "h:8080"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("am 12.10.2026 um 14:03 Uhr", datetime(2026, 10, 12, 12, 3, tzinfo=UTC)),
        ("Geschrieben am 3.1.2026", datetime(2026, 1, 2, 23, 0, tzinfo=UTC)),
        ("October 12, 2026 at 2:03 pm", datetime(2026, 10, 12, 14, 3, tzinfo=UTC)),
        ("12. Oktober 2026", datetime(2026, 10, 11, 22, 0, tzinfo=UTC)),
        ("2026-10-12 14:03", datetime(2026, 10, 12, 14, 3, tzinfo=UTC)),
        ("no date here", None),
    ],
)
def test_text_dates(text: str, expected: datetime | None) -> None:
    assert parse_text_date(text) == expected


def test_attribute_dates() -> None:
    assert parse_any("2026-10-01T09:15:00+02:00") == datetime(2026, 10, 1, 7, 15, tzinfo=UTC)
    assert parse_any("1785866400") == parse_any("1785866400000") == datetime(2026, 8, 4, 18, 0, tzinfo=UTC)
    assert parse_any("0001-01-01") is None and parse_any("") is None


def test_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("soon") is None


def test_crawl_state_only_narrows_work_for_known_pages(tmp_path: Path) -> None:
    state = CrawlState.load(tmp_path)
    old = (datetime.now(UTC) - timedelta(days=90)).isoformat()
    state.update(
        [
            {
                "type": "page",
                "url": "http://h:1/old/",
                "canonical_url": "http://h:1/old/",
                "published": old,
                "article": True,
                "extracted": True,
            },
            {
                "type": "page",
                "url": "http://h:1/lost/",
                "canonical_url": "http://h:1/lost/",
                "published": old,
                "article": True,
                "extracted": True,
            },
            {
                "type": "page",
                "url": "http://h:1/",
                "canonical_url": "http://h:1/",
                "article": False,
                "extracted": True,
            },
            {"type": "page", "url": "http://h:1/cached/", "extracted": False},
        ]
    )
    state.save()
    loaded = CrawlState.load(tmp_path)
    cutoff = datetime.now(UTC) - timedelta(days=30)
    skip, listings = loaded.for_scope(Scope(["h:1"]), {"http://h:1/old/"}, cutoff)
    assert (skip, listings) == (["http://h:1/old/"], ["http://h:1/"])  # /lost/ is not in the warehouse
    (tmp_path / "resonanz-pages.json").write_text("{broken")
    assert CrawlState.load(tmp_path).pages == {}


def test_old_crawl_folders_are_pruned_and_recent_ones_kept(tmp_path) -> None:
    import os
    import time

    from crawlers.crawl import prune_crawl_folders

    old, recent, other = tmp_path / "crawl-old", tmp_path / "crawl-recent", tmp_path / "notes"
    for folder in (old, recent, other):
        folder.mkdir()
        (folder / "crawl.log").write_text("log", encoding="utf-8")
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    os.utime(other, (eight_days_ago, eight_days_ago))
    assert prune_crawl_folders(tmp_path, keep_days=7) == [old]
    assert not old.exists() and recent.exists() and other.exists()
    assert prune_crawl_folders(tmp_path / "missing") == []
