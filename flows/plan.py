"""Turn the configuration into plain job specs for the stages (the only place flows read config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretBytes

from crawlers.crawl import CrawlSettings, SiteSpec
from crawlers.http import HttpSettings
from resonanz.config import Config
from warehouse.ingest import SourceSpec
from warehouse.target import Target, Warehouse, as_warehouse


@dataclass(frozen=True, slots=True)
class FeedJob:
    """One feed to fetch."""

    source_id: str
    url: str
    own: bool = False
    comment_feeds: str | tuple[str, ...] | None = None
    full_text: str = "auto"


@dataclass(frozen=True, slots=True)
class CollectPlan:
    """Everything `collect` needs, derived from the config."""

    db: Warehouse
    sources: list[SourceSpec]
    feeds: list[FeedJob]
    sites: list[SiteSpec]
    http: HttpSettings
    crawl: CrawlSettings
    work_dir: Path
    retries: int = 2
    extra: dict = field(default_factory=dict)
    pseudonym_key: SecretBytes | None = None  # privacy.pseudonymize_authors; hidden in logs and Prefect's UI


def collect_plan(cfg: Config, db: Target | None = None) -> CollectPlan:
    """The sources, feed jobs and crawl specs of a config."""
    db = as_warehouse(db) if db else cfg.db
    work_dir = cfg.data_dir
    sources: list[SourceSpec] = []
    feeds: list[FeedJob] = []
    sites: list[SiteSpec] = []
    for feed in cfg.feeds:
        sources.append(SourceSpec(feed.id, feed.name, "feed", feed.url))
        feeds.append(FeedJob(feed.id, feed.url, full_text=feed.full_text))
    for site in cfg.sites:
        sources.append(SourceSpec(site.id, site.name, "site", site.start_urls[0]))
        sites.append(
            SiteSpec(
                source_id=site.id,
                start_urls=list(site.start_urls),
                allowed_domains=list(site.allowed_domains),
                max_pages=site.max_pages,
                max_depth=site.max_depth,
                follow_feeds=site.follow_feeds,
                follow_sitemaps=site.follow_sitemaps,
            )
        )
    own = cfg.own_blog
    if own is not None:
        if own.feed:
            comments = own.comment_feeds if own.comment_feeds == "auto" else tuple(own.comment_feeds)
            sources.append(SourceSpec(own.id, own.name, "own_blog", own.feed, own=True))
            feeds.append(FeedJob(own.id, own.feed, own=True, comment_feeds=comments))
        if own.site and (own.comment_pages or not own.feed):
            from urllib.parse import urlsplit

            site_id = f"{own.id}-pages" if own.feed else own.id
            sources.append(SourceSpec(site_id, f"{own.name} (pages)", "own_site", own.site, own=True))
            sites.append(
                SiteSpec(
                    source_id=site_id,
                    start_urls=[own.site],
                    allowed_domains=[urlsplit(own.site).netloc],
                    max_pages=own.max_pages,
                    max_depth=6,
                    own=True,
                )
            )
    c = cfg.crawl
    http = HttpSettings(
        user_agent=cfg.resonanz.user_agent,
        timeout_s=c.timeout_s,
        max_bytes=c.max_feed_bytes,
        max_page_bytes=c.max_page_bytes,
        per_host=c.concurrency_per_domain,
    )
    crawl = CrawlSettings(
        user_agent=cfg.resonanz.user_agent,
        obey_robots=c.obey_robots,
        autothrottle=c.autothrottle,
        download_delay=c.download_delay,
        concurrency=c.concurrency,
        concurrency_per_domain=c.concurrency_per_domain,
        timeout_s=c.timeout_s,
        max_page_bytes=c.max_page_bytes,
        revisit_days=c.revisit_days,
        cache_dir=work_dir / "httpcache",
        redis_url=cfg.scale.redis_url or None,
        processes=cfg.scale.crawl_processes,
    )
    key = cfg.privacy.pseudonym_key()
    return CollectPlan(
        db=db,
        sources=sources,
        feeds=feeds,
        sites=sites,
        http=http,
        crawl=crawl,
        work_dir=work_dir,
        retries=c.retries,
        pseudonym_key=SecretBytes(key) if key else None,
    )
