"""Child-process entry of a crawl: `python -m crawlers.runner spec.json` (Twisted's reactor cannot restart)."""

from __future__ import annotations

import json
import logging
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from .scraping.pipelines import set_executor
from .scraping.settings import crawl_settings
from .scraping.spiders.blogs import BlogSpider

log = logging.getLogger("crawlers.runner")


def _warm(_: int) -> None:
    time.sleep(0.05)  # long enough that every worker process gets started


def build_settings(spec: dict) -> Settings:
    """The project settings module overlaid with the run's CrawlSettings."""
    settings = Settings()
    settings.setmodule("crawlers.scraping.settings", priority="project")
    settings.update(crawl_settings(spec["settings"]), priority="cmdline")
    return settings


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m crawlers.runner SPEC.json", file=sys.stderr)
        return 2
    spec_path = Path(argv[1])
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    settings = build_settings(spec)
    workers = settings.getint("RESONANZ_EXTRACT_WORKERS")
    pool = None
    if workers > 0:
        # fork before the reactor and its threads exist; workers inherit the imported extraction code
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
        list(pool.map(_warm, range(workers)))
        set_executor(pool)
    try:
        process = CrawlerProcess(settings)
        process.crawl(BlogSpider, spec=str(spec_path))
        process.start()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
