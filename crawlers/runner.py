"""Child-process entry of a crawl: `python -m crawlers.runner spec.json` (Twisted's reactor cannot restart)."""

from __future__ import annotations

import ctypes
import json
import logging
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from .crawl import PARENT_ENV
from .scraping.scan import set_executor, set_sites
from .scraping.settings import crawl_settings
from .scraping.spiders.blogs import BlogSpider

log = logging.getLogger("crawlers.runner")
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None) -> None:
    """Have Linux SIGKILL this process when its parent dies, so a killed run leaves no crawl behind.

    An orphaned crawl would go on writing the HTTP cache while the next run crawls. Elsewhere a no-op.
    """
    if parent is None or not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: keep going, as on other systems
        log.warning("cannot ask to end with the parent process")
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


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
    parent = os.environ.get(PARENT_ENV)
    die_with_parent(int(parent) if parent and parent.isdigit() else None)
    settings = build_settings(spec)
    workers = settings.getint("RESONANZ_EXTRACT_WORKERS")
    set_sites(spec["sites"])
    pool = None
    if workers > 0:
        # fork before the reactor and its threads exist; workers inherit the imported extraction code
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )
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
