"""Relative comment dates count back from the page's fetch time, not from when it is (re-)extracted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.extract import extract_page
from crawlers.scraping.scan import PageJob, scan_page

PAGE = """<html><head><title>Ein Beitrag</title></head><body><article><h1>Ein Beitrag</h1>
<p>Der Beitrag selbst, lang genug, um als Artikel zu gelten, mit einigen Sätzen Text darin.</p></article>
<ol class="commentlist"><li class="comment" id="comment-7"><div>
<p>Borchert sagt:</p><p>vor 3 Tagen</p><p>Die Empfangspflicht trifft uns hart.</p>
<p><a href="?replytocom=7">Antworten</a></p></div></li>
<li class="comment" id="comment-8"><div><p>Jane says:</p><p>2 days ago</p><p>Agreed.</p></div></li></ol>
</body></html>"""

FIRST = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LATER = datetime(2027, 2, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("fetched", [FIRST, LATER])
def test_extract_page_anchors_relative_dates_to_the_given_fetch_time(fetched: datetime) -> None:
    result = extract_page(PAGE, "https://blog.example/beitrag", fetched=fetched)
    published = {c.author: c.published for c in result.comments}
    assert published["Borchert"] == fetched - timedelta(days=3)
    assert published["Jane"] == fetched - timedelta(days=2)


def test_crawl_scan_passes_the_fetch_time_down() -> None:
    job = PageJob(
        "s", "https://blog.example/beitrag", PAGE.encode(), "text/html", listed="feed", fetched=LATER
    )
    documents = scan_page(job).seen.documents
    comments = [d for d in documents if d.get("author") == "Borchert"]
    assert comments, documents
    assert comments[0]["published_at"] == (LATER - timedelta(days=3)).isoformat()
