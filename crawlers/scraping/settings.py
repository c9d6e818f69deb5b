"""Scrapy settings of the Resonanz crawler; `crawl_settings()` overlays one run's CrawlSettings."""

from __future__ import annotations

import os
from typing import Any

BOT_NAME = "resonanz"
SPIDER_MODULES = ["crawlers.scraping.spiders"]
NEWSPIDER_MODULE = "crawlers.scraping.spiders"

USER_AGENT = "ResonanzBot/0.1 (+https://github.com/resonanz/resonanz)"
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"

# Politeness: per-netloc download slots (see NetlocSlotMiddleware), AutoThrottle, crawl-delay.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy (2.13+, asyncio) starts CONCURRENT_ITEMS worker tasks for the output of every response; a page
# yields one item and a few requests, and the default of 100 tasks cost more CPU than parsing the page
# (bench/crawl.py: 652,000 tasks for 6,500 pages). Items still run in parallel across responses.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 0.25
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 %
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RESONANZ_MAX_CRAWL_DELAY = 10.0  # cap on robots.txt Crawl-delay

DOWNLOAD_TIMEOUT = 20
DOWNLOAD_MAXSIZE = 5_000_000
DOWNLOAD_WARNSIZE = 0
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "de,en;q=0.8",
    # revalidate every cached page with the origin (conditional GET) instead of trusting heuristics
    "Cache-Control": "max-age=0",
}

# Breadth-first, so page budgets cover the newest listings and posts first.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Incremental runs: RFC 2616 cache with conditional revalidation (304) under the run's cache_dir.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawlers.scraping.cache.RevalidatingPolicy"
HTTPCACHE_STORAGE = "crawlers.scraping.cache.LeanFilesystemStorage"
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_DIR = "httpcache"

TELNETCONSOLE_ENABLED = False
# Scrapy re-parses a callback's source for every response to warn about `return value` in generators
# (its cache misses on bound methods): 2 % of the crawl process's CPU for a check our spider never needs.
WARN_ON_GENERATOR_RETURN_VALUE = False
REMOTE_CONTROL_ENABLED = False
LOGSTATS_INTERVAL = 0
LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy's own downloader can exceed CONCURRENT_REQUESTS_PER_DOMAIN when the delay is 0 (see the module).
DOWNLOADER = "crawlers.scraping.downloader.BoundedDownloader"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,  # replaced: it ignores ports
    "crawlers.scraping.middlewares.ScopeMiddleware": 50,
    "crawlers.scraping.middlewares.RevisitMiddleware": 60,
    "crawlers.scraping.middlewares.NetlocSlotMiddleware": 70,
    "crawlers.scraping.frontier.SharedPolitenessMiddleware": 80,  # only with a shared frontier
}
ITEM_PIPELINES = {
    "crawlers.scraping.pipelines.JsonlWriterPipeline": 800,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawlers.scraping.frontier.SharedFrontierExtension": 500,  # only with a shared frontier
}

RESONANZ_EXTRACT_WORKERS = 0  # 0: extract in the crawl process; n: a pool of n worker processes
RESONANZ_ITEMS_PATH = "items.jsonl"
RESONANZ_SHARED_DELAY = 0.0  # with a shared frontier: the per-host gap across all crawler processes


def crawl_settings(run: dict[str, Any]) -> dict[str, Any]:
    """Settings for one run, from the `settings` part of a spec file (CrawlSettings as JSON)."""
    delay = float(run.get("download_delay", DOWNLOAD_DELAY))
    per_domain = int(run.get("concurrency_per_domain", CONCURRENT_REQUESTS_PER_DOMAIN))
    values = {
        "USER_AGENT": run.get("user_agent") or USER_AGENT,
        "ROBOTSTXT_OBEY": bool(run.get("obey_robots", True)),
        "AUTOTHROTTLE_ENABLED": bool(run.get("autothrottle", True)),
        "AUTOTHROTTLE_START_DELAY": delay,
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS": int(run.get("concurrency", CONCURRENT_REQUESTS)),
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_domain,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(per_domain),
        "DOWNLOAD_TIMEOUT": float(run.get("timeout_s", DOWNLOAD_TIMEOUT)),
        "DOWNLOAD_MAXSIZE": int(run.get("max_page_bytes", DOWNLOAD_MAXSIZE)),
        "HTTPCACHE_DIR": str(run["cache_dir"]),
        "RESONANZ_EXTRACT_WORKERS": int(run.get("extract_workers", 0)),
        "RESONANZ_ITEMS_PATH": str(run["items_path"]),
    }
    if os.environ.get("RESONANZ_CRAWL_LOG_LEVEL"):  # e.g. DEBUG, to see every request in crawl.log
        values["LOG_LEVEL"] = os.environ["RESONANZ_CRAWL_LOG_LEVEL"]
    frontier = run.get("frontier")
    if frontier:  # several crawler processes share one Redis frontier (crawlers.scraping.frontier)
        from .frontier import scrapy_settings

        values.update(scrapy_settings(frontier["url"], frontier["key"]), RESONANZ_SHARED_DELAY=delay)
    if run.get("close_after_s"):
        values["CLOSESPIDER_TIMEOUT"] = float(run["close_after_s"])
    return values
