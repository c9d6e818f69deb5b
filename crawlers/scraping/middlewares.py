"""Downloader middlewares: per-site scope (host:port aware), revisit skipping, per-netloc slots and crawl-delay."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from ..urls import netloc_of

log = logging.getLogger(__name__)


class _SpiderAware:
    """Base: keeps the crawler to reach the running spider's site table."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler):
        return cls(crawler)

    def site(self, request: Request) -> Any:
        sites = getattr(self.crawler.spider, "sites", {})
        return sites.get(request.meta.get("site"))


class ScopeMiddleware(_SpiderAware):
    """Drop requests outside their site's allowed domains (also after redirects).

    Replaces Scrapy's offsite middleware, which ignores ports: the demo web serves each blog on
    its own port of 127.0.0.1. Requests without a site (robots.txt) pass.
    """

    def process_request(self, request: Request) -> None:
        site = self.site(request)
        if site is not None and not site.scope.allows(request.url):
            self.crawler.stats.inc_value("resonanz/offsite")
            raise IgnoreRequest(f"offsite for {site.source_id}: {request.url}")


class RevisitMiddleware(_SpiderAware):
    """Never request known articles older than revisit_days (the parent lists them per site)."""

    def process_request(self, request: Request) -> None:
        site = self.site(request)
        if site is not None and request.url in site.skip and not request.meta.get("start"):
            self.crawler.stats.inc_value("resonanz/skipped_old")
            raise IgnoreRequest(f"known and older than revisit_days: {request.url}")


class NetlocSlotMiddleware(_SpiderAware):
    """One download slot per host:port (Scrapy keys slots by host only) and robots.txt Crawl-delay.

    A Crawl-delay is a minimum gap: its slot gets no random jitter (which would halve some gaps), and
    AutoThrottle, which lowers a slot's delay after fast responses, is set back after each response.
    """

    def process_request(self, request: Request) -> None:
        netloc = netloc_of(request.url)
        request.meta.setdefault("download_slot", netloc)
        self._enforce(netloc)

    def process_response(self, request: Request, response: Response) -> Response:
        self._enforce(netloc_of(request.url))
        return response

    def _enforce(self, netloc: str) -> None:
        delay = getattr(self.crawler.spider, "crawl_delays", {}).get(netloc)
        slot = self.crawler.engine.downloader.slots.get(netloc) if delay else None
        if slot is not None and (slot.delay < delay or slot.jitter):
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0
