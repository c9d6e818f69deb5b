"""The spider's side of structured comment sources: fetch them in order, replace the HTML comments.

Discovery happens with the page scan (`crawlers.structured.discover`, in the extraction workers);
the requests go through Scrapy's downloader (robots.txt, politeness, HTTP cache) from the page's
callback, so the page line leaves the spider once, with its comments from the best source.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from scrapy import Request

from ..records import DocumentRecord
from ..structured import (
    StructuredSource,
    next_rest_page,
    post_ref,
    read_comments,
    rest_items,
    use_structured,
)
from .items import PageSeen

log = logging.getLogger(__name__)


async def _fetch(engine: Any, site_id: str, source: StructuredSource, post) -> list[DocumentRecord] | None:
    """Every comment of one source (REST: all pages); None when it fails or answers something else."""
    url: str | None = source.url
    page, found = 1, []
    while url:
        request = Request(url, dont_filter=True, priority=10, meta={"site": site_id, "structured": True})
        try:
            response = await engine.download_async(request)
        except Exception as exc:  # forbidden by robots.txt, refused, timed out: try the next source
            log.debug("comment source %s failed: %s", url, exc)
            return None
        if response.status != 200:
            return None
        docs = read_comments(source, response.body, post)
        if docs is None:
            return None
        found.extend(docs)
        total = response.headers.get("X-WP-TotalPages")
        got = len(rest_items(response.body) or []) if source.method == "wp-rest" else len(docs)
        url = next_rest_page(source, page, got, total.decode("latin-1") if total else None)
        page += 1
    return found


async def structured_comments(
    engine: Any, seen: PageSeen, sources: list[StructuredSource], own: bool, stats: Counter
) -> None:
    """Replace the page's HTML comments by those of the first structured source that answers."""
    post = post_ref(seen.site, seen.documents, own)
    check = seen.comment_check
    if post is None or check is None:
        return
    for source in sources:
        docs = await _fetch(engine, seen.site, source, post)
        if docs is None:
            stats[f"comments_{source.method}_failed"] += 1
            continue
        if not use_structured(source.method, len(docs), check["comments"]):
            stats[f"comments_{source.method}_short"] += 1
            continue
        comments: list[dict[str, Any]] = [d.to_json() for d in docs]
        seen.documents = [d for d in seen.documents if d.get("kind") != "comment"] + comments
        # REST is paged to the end; a feed may list only the newest comments: no deletions concluded from it
        complete = source.method == "wp-rest" and check.get("unreachable") is None
        check.update(method=source.method, comments=len(docs), complete=complete)
        stats[f"comments_{source.method}"] += 1
        return
    stats["comments_html"] += 1
