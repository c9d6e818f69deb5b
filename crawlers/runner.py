"""Child-process entry of a crawl: `python -m crawlers.runner spec.json` (Twisted's reactor cannot restart)."""

from __future__ import annotations

import cProfile
import ctypes
import json
import logging
import multiprocessing
import multiprocessing.util
import os
import resource
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
STATS_ENV = "RESONANZ_CRAWL_STATS"  # a folder: CPU seconds of the crawl process and its workers (bench)
PROFILE_ENV = "RESONANZ_CRAWL_PROFILE"  # set (with STATS_ENV): cProfile stats of both there too (bench)


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


def _start_worker(parent: int, profile_dir: str | None) -> None:
    die_with_parent(parent)
    if profile_dir:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        path = Path(profile_dir) / f"worker-{os.getpid()}.prof"
        # run by multiprocessing when the worker exits (atexit is not: workers end with os._exit)
        multiprocessing.util.Finalize(None, profiler.dump_stats, args=(str(path),), exitpriority=10)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


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
    stats_dir = os.environ.get(STATS_ENV)
    profile_dir = stats_dir if stats_dir and os.environ.get(PROFILE_ENV) else None
    profiler = cProfile.Profile(time.process_time) if profile_dir else None
    pool = None
    if workers > 0:
        # fork before the reactor and its threads exist; workers inherit the imported extraction code
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(os.getpid(), profile_dir),
        )
        list(pool.map(_warm, range(workers)))
        set_executor(pool)
    if profiler:
        profiler.enable()
    try:
        process = CrawlerProcess(settings)
        process.crawl(BlogSpider, spec=str(spec_path))
        process.start()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if profiler and profile_dir:
            profiler.disable()
            profiler.dump_stats(str(Path(profile_dir) / f"crawl-{os.getpid()}.prof"))
        if stats_dir:
            cpu = {"crawl_process_s": _cpu(resource.RUSAGE_SELF), "workers_s": _cpu(resource.RUSAGE_CHILDREN)}
            (Path(stats_dir) / "cpu.json").write_text(json.dumps(cpu), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
