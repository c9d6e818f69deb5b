"""Item pipeline: the JSONL writer of page lines for the parent process (extraction: scraping/scan.py)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from scrapy.crawler import Crawler

from .items import CrawlError, PageSeen


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
            # shallow: asdict() would deep-copy every document dict of the page first
            values = {f.name: getattr(item, f.name) for f in fields(item)}
            line = {"type": "page" if isinstance(item, PageSeen) else "error", **values}
            self.file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.file.flush()
        return item
