"""The work on one fetched HTML page, done once: parse, read metadata and links, decide, extract.

It runs in the extraction processes when the crawl has them (`RESONANZ_EXTRACT_WORKERS`), else in the
crawl process. Keeping parsing out of the crawl process matters: that process is single-threaded and
also runs Scrapy itself, and parsing every page there for its links made it the bottleneck of the
crawl (bench/crawl.py). A page to extract is parsed once, for its links and its text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ..extract import comment_check, extract_tree, page_documents
from ..pagemeta import iter_links, read_meta
from ..structured import StructuredSource, comments_paginated, discover
from ..text import decode_html, parse_html
from ..urls import normalize_url
from .items import PageSeen

log = logging.getLogger(__name__)

_executor: Executor | None = None
_known: dict[str, frozenset[str]] = {}  # site → canonical URLs the warehouse has
_non_articles: dict[str, frozenset[str]] = {}  # site → pages judged listings by an earlier crawl


def set_executor(executor: Executor | None) -> None:
    """Install the worker pool the runner created before the reactor started (forked early, on purpose)."""
    global _executor
    _executor = executor


def set_sites(sites: Iterable[dict[str, Any]]) -> None:
    """What the spec says each site's pages are (call before the pool forks: the workers inherit it)."""
    for site in sites:
        _known[site["source_id"]] = frozenset(site.get("known", ()))
        _non_articles[site["source_id"]] = frozenset(site.get("non_articles", ()))


@dataclass(slots=True)
class PageJob:
    """A fetched HTML page and what the spider knows about it."""

    site: str
    url: str
    body: bytes
    content_type: str | None
    listed: str | None = None  # "feed" or "sitemap" when one of them named the URL
    guess: bool = True  # may be judged an article by "enough dated text"
    cached: bool = False
    status: int = 200
    own: bool = False
    want_links: bool = True
    want_feeds: bool = True
    fetched: datetime | None = None  # the response's Date header; anchors relative comment dates


@dataclass(slots=True)
class PageScan:
    """The outcome: the page line for the parent, the links and feeds to follow, the path taken."""

    seen: PageSeen
    links: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    known_unchanged: bool = False
    structured: list[StructuredSource] = field(default_factory=list)  # comment sources to try before the HTML


def scan_page(job: PageJob) -> PageScan:
    """Parse once; links and feeds; known-and-unchanged or listing pages are not extracted. Never raises."""
    try:
        return _scan(job)
    except Exception as exc:  # hostile HTML must never end a crawl
        log.exception("page handling failed for %s", job.url)
        return PageScan(
            PageSeen(
                job.site,
                job.url,
                cached=job.cached,
                extracted=True,
                status=job.status,
                error=f"extraction failed: {type(exc).__name__}: {exc}",
            )
        )


def _scan(job: PageJob) -> PageScan:
    html, encoding = decode_html(job.body, job.content_type)
    tree = parse_html(html)
    if tree is None:
        return PageScan(PageSeen(job.site, job.url, cached=job.cached, status=job.status, error="empty page"))
    meta = read_meta(tree, job.url)
    scan = PageScan(
        PageSeen(job.site, job.url, meta.canonical_url, cached=job.cached, status=job.status),
        links=list(iter_links(tree, job.url)) if job.want_links else [],
        feeds=list(meta.feeds) if job.want_feeds else [],
    )
    url = normalize_url(job.url)
    known = _known.get(job.site, frozenset())
    if job.cached and (meta.canonical_url in known or url in known):
        scan.known_unchanged = True  # unchanged known article: same text as last time
    elif job.listed != "feed" and (
        meta.declares_listing or (job.cached and url in _non_articles.get(job.site, ()))
    ):
        scan.seen.article = False
    else:
        result = extract_tree(
            tree, meta, job.url, encoding=encoding, listed=job.listed, guess=job.guess, fetched=job.fetched
        )
        docs = page_documents(result, job.site, own=job.own, via="crawl")
        scan.seen = PageSeen(
            site=job.site,
            url=job.url,
            canonical_url=result.canonical_url,
            cached=job.cached,
            extracted=True,
            article=result.is_article,
            published=result.published.isoformat() if result.published else None,
            status=job.status,
            error=result.error if result.is_article else None,
            documents=[d.to_json() for d in docs],
        )
        if docs:
            check = comment_check(result)
            check.complete = check.complete and not comments_paginated(tree)  # page 2 is not read
            scan.seen.comment_check = asdict(check)
            scan.structured = discover(tree, job.url)
    return scan


async def run_scan(job: PageJob) -> PageScan:
    """scan_page in the worker pool when there is one, else right here."""
    if _executor is None:
        return scan_page(job)
    return await asyncio.wrap_future(_executor.submit(scan_page, job))
