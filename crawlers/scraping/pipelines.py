"""Item pipelines: extraction (in a worker-process pool when configured) and the JSONL writer."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import Executor
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from scrapy.crawler import Crawler

from ..extract import extract_page, page_documents
from .items import CrawlError, PageItem, PageSeen

log = logging.getLogger(__name__)

_executor: Executor | None = None


def set_executor(executor: Executor | None) -> None:
    """Install the worker pool the runner created before the reactor started (forked early, on purpose)."""
    global _executor
    _executor = executor


def extract_item(item: PageItem) -> PageSeen:
    """Extract one page into a PageSeen with its documents (runs in a worker process when pooled)."""
    try:
        result = extract_page(item.body, item.url, content_type=item.content_type, listed=item.listed,
                              guess=item.guess)
    except Exception as exc:  # hostile HTML must never end a crawl
        log.exception("extraction failed for %s", item.url)
        return PageSeen(site=item.site, url=item.url, cached=item.cached, extracted=True, status=item.status,
                        error=f"extraction failed: {type(exc).__name__}: {exc}")
    docs = page_documents(result, item.site, own=item.own, via="crawl")
    return PageSeen(
        site=item.site, url=item.url, canonical_url=result.canonical_url, cached=item.cached, extracted=True,
        article=result.is_article, published=result.published.isoformat() if result.published else None,
        status=item.status, error=result.error if result.is_article else None,
        documents=[d.to_json() for d in docs],
    )


class ExtractPipeline:
    """PageItem → PageSeen: main text, metadata and comments via the shared extraction code."""

    def __init__(self, pooled: bool) -> None:
        self.pooled = pooled

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler.settings.getint("RESONANZ_EXTRACT_WORKERS") > 0)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        if self.pooled and _executor is not None:
            return await asyncio.wrap_future(_executor.submit(extract_item, item))
        return extract_item(item)


class JsonlWriterPipeline:
    """Append every PageSeen / CrawlError as one JSON line for the parent process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlWriterPipeline:
        return cls(Path(crawler.settings.get("RESONANZ_ITEMS_PATH")))

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a", encoding="utf-8")

    def close_spider(self) -> None:
        if self.file is not None:
            self.file.close()

    def process_item(self, item: Any) -> Any:
        if isinstance(item, (PageSeen, CrawlError)) and self.file is not None:
            line = {"type": "page" if isinstance(item, PageSeen) else "error", **asdict(item)}
            self.file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.file.flush()
        return item
