"""The blog spider: start pages, feeds and sitemaps → article pages inside each site's scope."""

from __future__ import annotations

import gzip
import json
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap

from ...dates import parse_any, parse_iso
from ...feedparse import entry_link, entry_published, parse_feed
from ...urls import Scope, netloc_of, normalize_url
from ..comment_sources import structured_comments
from ..frontier import Frontier
from ..items import CrawlError, PageSeen
from ..scan import PageJob, run_scan  # the runner gives scan the sites (set_sites) before forking

log = logging.getLogger(__name__)

_FEED_SNIFF = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_SITEMAP_SNIFF = re.compile(rb"<(?:urlset|sitemapindex)[\s>]", re.IGNORECASE)
MAX_SITEMAP_BYTES = 50_000_000


@dataclass
class Site:
    """One site of the run, with its scope, budget and what the parent knows about it."""

    source_id: str
    start_urls: list[str]
    scope: Scope
    max_pages: int
    max_depth: int
    follow_feeds: bool = True
    follow_sitemaps: bool = True
    own: bool = False
    known: set[str] = field(default_factory=set)  # canonical URLs the warehouse has
    skip: set[str] = field(default_factory=set)  # known articles older than revisit_days
    non_articles: set[str] = field(default_factory=set)  # pages judged listings last time
    listed: dict[str, str] = field(default_factory=dict)  # URL → "feed" | "sitemap" that named it
    seen: set[str] = field(default_factory=set)
    aux_seen: set[str] = field(default_factory=set)
    stats: Counter = field(default_factory=Counter)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Site:
        return cls(
            source_id=data["source_id"],
            start_urls=list(data["start_urls"]),
            scope=Scope(data.get("allowed_domains") or [netloc_of(u) for u in data["start_urls"]]),
            max_pages=int(data["max_pages"]),
            max_depth=int(data["max_depth"]),
            follow_feeds=bool(data.get("follow_feeds", True)),
            follow_sitemaps=bool(data.get("follow_sitemaps", True)),
            own=bool(data.get("own", False)),
            known=set(data.get("known", ())),
            skip=set(data.get("skip", ())),
            non_articles=set(data.get("non_articles", ())),
        )


class BlogSpider(scrapy.Spider):
    """Crawls every site of a spec file in one process; each request carries its site id in meta."""

    name = "blogs"

    def __init__(self, spec: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        data = json.loads(Path(spec).read_text(encoding="utf-8"))
        self.sites = {s["source_id"]: Site.from_json(s) for s in data["sites"]}
        self.stats_path = Path(data["stats_path"])
        self.revisit_before = parse_iso(data.get("revisit_before"))
        self.crawl_delays: dict[str, float] = {}
        self.frontier: Frontier | None = None  # shared with other crawler processes (Redis), if configured

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.frontier = Frontier.from_settings(crawler.settings)
        crawler.signals.connect(spider.write_stats, signal=signals.spider_closed)
        return spider

    # --- requests ---------------------------------------------------------------------------------
    def _new(self, site: Site, url: str) -> bool:
        """In scope and not requested by this process yet (a feed linked from a page is fetched once, as a feed)."""
        return url not in site.seen and url not in site.aux_seen and site.scope.allows(url)

    def _claims(self, site: Site, urls: list[str]) -> dict[str, str]:
        """With a shared frontier: the claims of a page's links in one Redis round trip."""
        if self.frontier is None:
            return {}
        fresh = list(dict.fromkeys(u for u in map(normalize_url, urls) if self._new(site, u)))
        return dict(zip(fresh, self.frontier.claim_pages(site.source_id, fresh, site.max_pages), strict=True))

    def _shared_listed(self, site: Site, url: str) -> str | None:
        """Whether another process found this page in a feed or sitemap (with a shared frontier)."""
        return self.frontier.listed(site.source_id, url) if self.frontier is not None else None

    def _page(
        self,
        site: Site,
        url: str,
        hops: int,
        *,
        start: bool = False,
        listed: str | None = None,
        claims: dict[str, str] | None = None,
    ) -> Request | None:
        url = normalize_url(url)
        if not self._new(site, url):
            return None
        if self.frontier is not None:  # seen by any process, budget shared
            claim = (claims or {}).get(url) or self.frontier.claim_page(site.source_id, url, site.max_pages)
        else:
            claim = "ok" if site.stats["pages_requested"] < site.max_pages else "budget"
        if claim == "budget":
            site.stats["budget_exhausted"] += 1
            return None
        if claim == "seen":  # another crawler process requests it
            site.seen.add(url)
            return None
        site.seen.add(url)
        site.stats["pages_requested"] += 1
        return Request(
            url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=-hops,
            meta={"site": site.source_id, "hops": hops, "start": start, "listed": listed},
        )

    def _aux(self, site: Site, url: str, callback, **meta: Any) -> Request | None:
        """robots.txt, feeds and sitemaps: not pages, not counted against the budget."""
        if url in site.aux_seen or normalize_url(url) in site.seen:
            return None  # requested already (as a page, parse_page reads feeds and sitemaps too)
        if not (site.scope.allows(url) or url.endswith("/robots.txt")):
            return None
        site.aux_seen.add(url)
        if self.frontier is not None and not self.frontier.claim_aux(site.source_id, url):
            return None
        return Request(
            url,
            callback=callback,
            errback=self.on_aux_error,
            priority=10,
            dont_filter=True,
            meta={"site": site.source_id, **meta},
        )

    def _listed(self, site: Site, url: str, source: str, published: datetime | None) -> Request | None:
        """A page named by a feed or sitemap: remembered as listed; known and older than the revisit limit → skipped."""
        if not site.scope.allows(url):
            return None
        key = normalize_url(url)
        if source == "feed" or key not in site.listed:
            site.listed[key] = source
            if self.frontier is not None:  # the process that fetches the page may not have read the feed
                self.frontier.set_listed(site.source_id, key, source)
        if self.revisit_before and published and published < self.revisit_before and key in site.known:
            site.stats["skipped_old"] += 1
            return None
        return self._page(site, url, 1, listed=source)

    async def start(self) -> AsyncIterator[Request]:
        for site in self.sites.values():
            for url in site.start_urls:
                request = self._page(site, url, 0, start=True)
                if request is not None:
                    yield request
            for netloc in dict.fromkeys(netloc_of(u) for u in site.start_urls):
                scheme = urlsplit(site.start_urls[0]).scheme or "http"
                robots = self._aux(
                    site, f"{scheme}://{netloc}/robots.txt", self.parse_robots, dont_obey_robotstxt=True
                )
                if robots is not None:
                    yield robots

    # --- callbacks --------------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[Request]:
        site = self.sites[response.meta["site"]]
        text = (
            response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        )
        try:
            robots = Protego.parse(text)
            delay = robots.crawl_delay(self.settings.get("USER_AGENT")) or robots.crawl_delay("*")
            sitemaps = list(robots.sitemaps)
        except Exception as exc:  # a garbage robots.txt: Scrapy's own middleware decides on access
            log.info("unreadable robots.txt %s: %s", response.url, exc)
            delay, sitemaps = None, []
        if delay:
            cap = self.settings.getfloat("RESONANZ_MAX_CRAWL_DELAY")
            self.crawl_delays[netloc_of(response.url)] = min(float(delay), cap)
            if self.frontier is not None:
                self.frontier.set_crawl_delay(netloc_of(response.url), min(float(delay), cap))
        if site.follow_sitemaps:
            root = response.urljoin("/sitemap.xml")
            for url in sitemaps or [root]:
                request = self._aux(site, url, self.parse_sitemap)
                if request is not None:
                    yield request

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        site = self.sites[response.meta["site"]]
        body = response.body
        try:
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)[:MAX_SITEMAP_BYTES]
            sitemap = Sitemap(body)
        except Exception as exc:
            log.info("unreadable sitemap %s: %s", response.url, exc)
            return
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap.type == "sitemapindex":
                request = self._aux(site, loc, self.parse_sitemap)
            else:
                request = self._listed(site, loc, "sitemap", parse_any(entry.get("lastmod")))
            if request is not None:
                yield request

    def parse_feed(self, response: Response) -> Iterator[Request]:
        site = self.sites[response.meta["site"]]
        headers = {k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v}
        parsed = parse_feed(response.body, response.url, headers, fast=True)
        for entry in parsed.entries:
            link = entry_link(entry, response.url)
            request = self._listed(site, link, "feed", entry_published(entry)) if link else None
            if request is not None:
                yield request

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        site = self.sites[response.meta["site"]]
        site.stats["responses"] += 1
        cached = "cached" in response.flags
        site.stats["cached"] += cached
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if "html" not in ctype:
            for found in self._non_html(site, response, ctype):
                yield found
            return
        url = normalize_url(response.url)
        if cached and url in site.known:  # unchanged known article: same text, same links as last time
            site.stats["known_unchanged"] += 1
            yield PageSeen(site.source_id, response.url, url, cached=True, status=response.status)
            return
        hops = response.meta["hops"]
        scan = await run_scan(
            PageJob(
                site.source_id,
                response.url,
                response.body,
                ctype,
                listed=site.listed.get(url) or response.meta.get("listed") or self._shared_listed(site, url),
                guess=hops > 0,
                cached=cached,
                status=response.status,
                own=site.own,
                want_links=hops < site.max_depth,
                want_feeds=site.follow_feeds,
                fetched=parse_any((response.headers.get("Date") or b"").decode("latin-1") or None),
            )
        )
        for feed in scan.feeds:
            request = self._aux(site, normalize_url(feed), self.parse_feed)
            if request is not None:
                yield request
        claims = self._claims(site, scan.links)
        for link in scan.links:
            request = self._page(site, link, hops + 1, claims=claims)
            if request is not None:
                yield request
        site.stats["known_unchanged"] += scan.known_unchanged
        if scan.structured and scan.seen.comment_check:
            await structured_comments(self.crawler.engine, scan.seen, scan.structured, site.own, site.stats)
        yield scan.seen

    def _non_html(self, site: Site, response: Response, ctype: str) -> Iterator[Any]:
        head = response.body[:2048]
        if _SITEMAP_SNIFF.search(head):
            yield from self.parse_sitemap(response)
        elif _FEED_SNIFF.search(head):
            yield from self.parse_feed(response)
        else:
            site.stats["non_html"] += 1

    # --- errors and stats -------------------------------------------------------------------------
    def on_error(self, failure) -> Iterator[CrawlError]:
        request = failure.request
        site = self.sites.get(request.meta.get("site"))
        if site is None:
            return
        status = None
        if failure.check(HttpError):  # (a subclass of IgnoreRequest)
            status = failure.value.response.status
            message = f"HTTP {status}"
            if status in (404, 410) and not request.meta.get("start") and not request.meta.get("listed"):
                site.stats["broken_links"] += 1  # a dead link on the site: normal on the web, not a failure
                return
        elif failure.check(IgnoreRequest):
            reason = "robots_blocked" if "robots.txt" in str(failure.value) else "ignored"
            site.stats[reason] += 1
            return
        else:
            exc = failure.value
            message = f"{type(exc).__name__}: {exc}".rstrip(": ")
            if "maxsize" in message.lower() or "max size" in message.lower():
                message = f"page too large (over {self.settings.getint('DOWNLOAD_MAXSIZE'):,} bytes)"
        site.stats["errors"] += 1
        yield CrawlError(
            site.source_id,
            request.url,
            f"{request.url}: {message}",
            status,
            start=bool(request.meta.get("start")),
        )

    def on_aux_error(self, failure) -> None:
        """robots.txt, feeds and sitemaps are optional: a 404 or timeout there is only logged."""
        log.debug("optional request failed: %s (%s)", failure.request.url, failure.value)

    def write_stats(self, spider: scrapy.Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler and self.crawler.stats else {}
        payload = {
            "finish_reason": reason,
            "sites": {sid: dict(site.stats) for sid, site in self.sites.items()},
            "scrapy": {k: v for k, v in stats.items() if isinstance(v, (int, float, str))},
        }
        self.stats_path.write_text(json.dumps(payload, default=str, indent=1), encoding="utf-8")
