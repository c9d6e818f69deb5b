"""A crawl frontier shared through Redis, so several crawler processes (on several hosts) crawl as one.

scrapy-redis keeps the request queue and the request fingerprints (dupefilter) in Redis; this module
adds what it lacks for Resonanz, under the same key prefix (one per crawl, shared by its processes):

- `claim_pages`: a page URL is requested by one process only and counts once against its site's budget
  (a page's links are claimed in one round trip); which pages a feed or sitemap names is shared too, so
  the process that fetches a page treats it as the one that read the feed would;
- `SharedPolitenessMiddleware`: request starts to one host are spaced by the download delay (or the
  host's robots.txt Crawl-delay, learnt by any process) across every process of every crawl on the
  Redis (keys under `resonanz:hosts`), with Redis's clock;
- `SharedFrontierExtension`: a process whose queue runs dry waits while another still crawls (its
  responses may bring new links) and closes once all are idle; a killed process stops counting after
  `BUSY_TTL_S`.

Every key expires `KEY_TTL_S` after the crawl's last activity: nothing to clean up, even after a kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from typing import Any

import redis
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Request
from scrapy_redis.queue import PriorityQueue
from twisted.internet import task

from ..urls import netloc_of, normalize_url

log = logging.getLogger(__name__)

KEY_TTL_S = 86_400  # a crawl's keys live one day after its last activity
BUSY_TTL_S = 10.0  # a process that stops beating (killed) no longer keeps the others waiting after this
QUIET_S = 1.0  # all processes idle this long with an empty queue: the crawl is over
BEAT_S = 0.2
SUFFIXES = ("requests", "dupefilter", "pages", "budget", "listed", "busy")
HOSTS = "resonanz:hosts"  # per-host politeness is shared by every crawl on the Redis, not only this one

_CLAIM = """
local n = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local limit = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local member = ARGV[1] .. ' ' .. ARGV[i]
  if redis.call('SISMEMBER', KEYS[1], member) == 1 then
    out[#out + 1] = 0
  elseif n >= limit then
    out[#out + 1] = 2
  else
    redis.call('SADD', KEYS[1], member)
    n = n + 1
    out[#out + 1] = 1
  end
end
redis.call('HSET', KEYS[2], ARGV[1], n)
return out
"""
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local gap = tonumber(ARGV[2])
local delay = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if delay > gap then gap = delay end
local free = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local start = math.max(now, free)
redis.call('HSET', KEYS[1], ARGV[1], tostring(start + gap))
return tostring(start - now)
"""


class Frontier:
    """The Redis keys of one shared crawl: `<prefix>:requests`, `:dupefilter`, `:pages`, `:budget`, ...

    `prefix` names the crawl: processes given the same prefix (and the same sites) share it.
    """

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self.server = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
        self.me = f"{socket.gethostname()}:{os.getpid()}"
        self._claim = self.server.register_script(_CLAIM)
        self._reserve = self.server.register_script(_RESERVE)

    @classmethod
    def from_settings(cls, settings: Any) -> Frontier | None:
        url, prefix = settings.get("REDIS_URL"), settings.get("RESONANZ_FRONTIER_KEY")
        return cls(url, prefix) if url and prefix else None

    def key(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    def claim_page(self, site: str, url: str, max_pages: int) -> str:
        """'ok' (this process requests it), 'seen' (some process did) or 'budget' (the site's is spent)."""
        return self.claim_pages(site, [url], max_pages)[0]

    def claim_pages(self, site: str, urls: list[str], max_pages: int) -> list[str]:
        """claim_page for several URLs of one site in one round trip (a page's links)."""
        if not urls:
            return []
        answers = self._claim(keys=[self.key("pages"), self.key("budget")], args=[site, max_pages, *urls])
        return [("seen", "ok", "budget")[int(a)] for a in answers]

    def claim_aux(self, site: str, url: str) -> bool:
        """True for the one process that fetches this robots.txt, feed or sitemap (not yet claimed as a page)."""
        return bool(self.server.sadd(self.key("pages"), f"{site} {normalize_url(url)}"))

    def set_listed(self, site: str, url: str, source: str) -> None:
        """Remember that a feed or sitemap names this page (a feed wins over a sitemap)."""
        if source == "feed":
            self.server.hset(self.key("listed"), f"{site} {url}", source)
        else:
            self.server.hsetnx(self.key("listed"), f"{site} {url}", source)

    def listed(self, site: str, url: str) -> str | None:
        value = self.server.hget(self.key("listed"), f"{site} {url}")
        return value.decode() if value else None

    def set_crawl_delay(self, netloc: str, delay: float) -> None:
        self.server.hset(f"{HOSTS}:delay", netloc, delay)

    def reserve(self, netloc: str, gap: float) -> float:
        """Seconds to wait before this process may start a request to `netloc` (the slot is then taken)."""
        keys = [f"{HOSTS}:next", f"{HOSTS}:delay"]
        return max(0.0, float(self._reserve(keys=keys, args=[netloc, gap])))

    def beat(self, busy: bool) -> None:
        """Say whether this process is crawling (busy entries expire: a killed process stops counting)."""
        pipe = self.server.pipeline()
        if busy:
            pipe.zadd(self.key("busy"), {self.me: time.time() + BUSY_TTL_S})
        else:
            pipe.zrem(self.key("busy"), self.me)
        for key in [*(self.key(s) for s in SUFFIXES), f"{HOSTS}:next", f"{HOSTS}:delay"]:
            pipe.expire(key, KEY_TTL_S)
        pipe.execute()

    def others_busy(self) -> bool:
        busy = self.server.zrangebyscore(self.key("busy"), time.time(), "+inf")
        return any(member.decode() != self.me for member in busy)

    def pending(self) -> int:
        return int(self.server.zcard(self.key("requests")))

    def clear(self) -> None:
        self.server.delete(*(self.key(s) for s in SUFFIXES))


def scrapy_settings(url: str, prefix: str) -> dict[str, Any]:
    """Scrapy settings that put a crawl's scheduler and dupefilter in Redis under `prefix`."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "crawlers.scraping.frontier.InterleavedPriorityQueue",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "SCHEDULER_PERSIST": True,  # one process closing must not flush what the others still crawl
        "REDIS_URL": url,
        "RESONANZ_FRONTIER_KEY": prefix,
        # the shared gap replaces the per-process delay; AutoThrottle would only see its own share
        "DOWNLOAD_DELAY": 0.0,
        "AUTOTHROTTLE_ENABLED": False,
    }


class InterleavedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue with the hosts mixed within one priority (hop depth).

    Redis orders equal scores by member bytes, and a serialized request starts with its URL: the
    queue would hand out one host's pages back to back, each waiting out that host's gap. A random
    fraction below 1 added to the score keeps the depth order and mixes the hosts.
    """

    def push(self, request: Request) -> None:
        score = -request.priority + random.random() * 0.9
        self.server.execute_command("ZADD", self.key, score, self._encode_request(request))


class SharedPolitenessMiddleware:
    """Space request starts to each host by the delay across every process of the crawl (Redis clock)."""

    def __init__(self, crawler: Crawler, frontier: Frontier, gap: float) -> None:
        self.crawler = crawler
        self.frontier = frontier
        self.gap = gap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        frontier = Frontier.from_settings(crawler.settings)
        if frontier is None:
            raise NotConfigured  # no args: Scrapy would warn on every crawl without a frontier
        return cls(crawler, frontier, crawler.settings.getfloat("RESONANZ_SHARED_DELAY"))

    async def process_request(self, request: Request) -> None:
        if request.meta.get("shared_slot"):  # a retry or redirect keeps its turn
            return
        request.meta["shared_slot"] = True
        wait = self.frontier.reserve(netloc_of(request.url), self.gap)
        if wait > 0:
            self.crawler.stats.inc_value("resonanz/shared_delay_waits")
            await asyncio.sleep(wait)


class SharedFrontierExtension:
    """Keep a process open while others still crawl; close all once the shared queue stays empty."""

    def __init__(self, crawler: Crawler, frontier: Frontier) -> None:
        self.crawler = crawler
        self.frontier = frontier
        self.quiet_since: float | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontierExtension:
        frontier = Frontier.from_settings(crawler.settings)
        if frontier is None:
            raise NotConfigured
        ext = cls(crawler, frontier)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        self.frontier.beat(True)
        self.loop = task.LoopingCall(self._beat)
        self.loop.start(BEAT_S, now=False)

    def _beat(self) -> None:
        engine = self.crawler.engine
        try:
            busy = engine is not None and not engine.spider_is_idle()
            self.frontier.beat(busy)
        except (RuntimeError, redis.RedisError) as exc:  # closing, or Redis away for a moment
            log.debug("frontier beat skipped: %s", exc)
            return
        slot = getattr(engine, "_slot", None)
        if not busy and slot is not None:  # look at the shared queue now, not at Scrapy's 5 s heartbeat
            slot.nextcall.schedule()

    def idle(self, spider: Any) -> None:
        now = time.monotonic()
        if self.frontier.others_busy() or self.frontier.pending():
            self.quiet_since = None
            raise DontCloseSpider
        if self.quiet_since is None:
            self.quiet_since = now
        if now - self.quiet_since < QUIET_S:
            raise DontCloseSpider

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        with contextlib.suppress(redis.RedisError):
            self.frontier.beat(False)
