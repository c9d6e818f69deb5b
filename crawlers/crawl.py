"""Crawling blogs: `crawl_sites` runs the Scrapy project in a child process and returns one outcome per site."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .crawlstate import CrawlState
from .http import DEFAULT_USER_AGENT
from .records import DocumentRecord, FetchOutcome
from .urls import Scope, netloc_of, normalize_url

log = logging.getLogger(__name__)

KEEP_ENV = "RESONANZ_KEEP_CRAWL_FILES"  # set to keep spec, items and log of every crawl
PARENT_ENV = "RESONANZ_CRAWL_PARENT"  # the crawl child ends with this pid (crawlers.runner.die_with_parent)
KEEP_CRAWL_FILES_DAYS = (
    7.0  # crawl folders kept after a failure (or left by a killed run) are removed after this
)


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """One site to crawl."""

    source_id: str
    start_urls: list[str]
    allowed_domains: list[str] = field(
        default_factory=list
    )  # host, host:port or domain; default: start netlocs
    max_pages: int = 200
    max_depth: int = 4
    follow_feeds: bool = True
    follow_sitemaps: bool = True
    own: bool = False


@dataclass(frozen=True, slots=True)
class CrawlSettings:
    """How to crawl (politeness, limits, cache)."""

    user_agent: str = DEFAULT_USER_AGENT
    obey_robots: bool = True
    autothrottle: bool = True
    download_delay: float = 0.25
    concurrency: int = 16
    concurrency_per_domain: int = 2
    timeout_s: float = 20
    max_page_bytes: int = 5_000_000
    revisit_days: int = 30
    cache_dir: Path | None = None  # default: <work_dir>/httpcache
    extract_workers: int | None = None  # extraction processes; None: one per core when there are several


def _known_by_netloc(known_urls: Collection[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for url in known_urls:
        if "#" not in url:  # comments are not pages
            grouped[netloc_of(url)].append(url)
    return grouped


def _site_json(
    site: SiteSpec, known: dict[str, list[str]], state: CrawlState, revisit_before: datetime | None
) -> dict:
    allowed = site.allowed_domains or [netloc_of(u) for u in site.start_urls]
    scope = Scope(allowed)
    site_known = {u for netloc, urls in known.items() if scope.allows(f"http://{netloc}/") for u in urls}
    skip, listings = state.for_scope(scope, site_known, revisit_before)
    return {
        **asdict(site),
        "allowed_domains": allowed,
        "known": sorted(site_known),
        "skip": skip,
        "non_articles": listings,
    }


def _workers(settings: CrawlSettings) -> int:
    if settings.extract_workers is not None:
        return max(0, settings.extract_workers)
    cores = os.cpu_count() or 1
    return cores if cores > 1 else 0


def _read_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    if not path.exists():
        return lines
    with path.open(encoding="utf-8") as handle:
        for raw in handle:
            try:
                lines.append(json.loads(raw))
            except ValueError:  # a line cut by a killed child
                log.warning("skipping a truncated line in %s", path)
    return lines


def _outcome(
    site: SiteSpec, lines: list[dict], stats: dict, elapsed: float, crash: str | None
) -> FetchOutcome:
    pages = [x for x in lines if x["type"] == "page"]
    errors = [x for x in lines if x["type"] == "error"]
    docs = [DocumentRecord.from_json(d) for p in pages for d in p.get("documents", [])]
    starts = {normalize_url(u) for u in site.start_urls}
    start = next((x for x in pages + errors if normalize_url(x["url"]) in starts), None)
    outcome = FetchOutcome(
        source_id=site.source_id,
        url=site.start_urls[0] if site.start_urls else "",
        status="ok",
        http_status=(start or {}).get("status"),
        documents=docs,
        pages=len(pages) + len(errors),
        elapsed_s=elapsed,
    )
    site_stats = stats.get("sites", {}).get(site.source_id, {})
    outcome.meta = {
        **site_stats,
        "extracted": sum(1 for p in pages if p.get("extracted")),
        "articles": sum(1 for p in pages if p.get("article")),
        "extract_errors": sum(1 for p in pages if p.get("error")),
        "finish_reason": stats.get("finish_reason"),
    }
    if not pages:
        outcome.status = "error"
        if errors:
            outcome.error = errors[0]["error"]
        elif site_stats.get("robots_blocked"):
            outcome.error = f"{outcome.url}: start page forbidden by robots.txt"
        else:
            outcome.error = f"{outcome.url}: no page fetched" + (f" ({crash})" if crash else "")
    elif errors or crash:
        outcome.status = "partial"
        first = errors[0]["error"] if errors else crash
        outcome.error = (
            f"{len(errors)} of {outcome.pages} requests failed; first: {first}" if errors else first
        )
    elif not docs and all(p.get("cached") for p in pages):
        outcome.status = "not_modified"
    return outcome


def prune_crawl_folders(folder: Path, keep_days: float = KEEP_CRAWL_FILES_DAYS) -> list[Path]:
    """Remove crawl folders older than `keep_days` (those kept for diagnosis, or left by killed runs)."""
    cutoff = time.time() - keep_days * 86400
    removed = []
    for path in folder.glob("crawl-*") if folder.is_dir() else ():
        try:
            if path.is_dir() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        except OSError:  # gone meanwhile
            continue
    if removed:
        log.info("removed %d crawl folders older than %g days from %s", len(removed), keep_days, folder)
    return removed


def crawl_sites(
    sites: list[SiteSpec],
    *,
    work_dir: Path,
    known_urls: Collection[str],
    settings: CrawlSettings,
    timeout_s: float | None = None,
) -> list[FetchOutcome]:
    """Crawl all sites in one child process; one outcome per site, never raising for a site's failure."""
    if not sites:
        return []
    started = time.monotonic()
    work_dir = Path(work_dir)
    cache_dir = Path(settings.cache_dir or work_dir / "httpcache").resolve()
    prune_crawl_folders(work_dir / "crawl")
    run_dir = Path(tempfile.mkdtemp(prefix="crawl-", dir=_ensure(work_dir / "crawl")))
    state = CrawlState.load(cache_dir)
    revisit_before = (
        datetime.now(UTC) - timedelta(days=settings.revisit_days) if settings.revisit_days else None
    )
    known = _known_by_netloc(known_urls)
    run = {k: v for k, v in asdict(settings).items() if k not in ("cache_dir", "extract_workers")}
    spec = {
        "sites": [_site_json(s, known, state, revisit_before) for s in sites],
        "stats_path": str(run_dir / "stats.json"),
        "revisit_before": revisit_before.isoformat() if revisit_before else None,
        "settings": {
            **run,
            "cache_dir": str(cache_dir),
            "items_path": str(run_dir / "items.jsonl"),
            "extract_workers": _workers(settings),
            "close_after_s": max(1.0, timeout_s - 5) if timeout_s else None,
        },
    }
    spec_path = run_dir / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    crash = _run_child(spec_path, run_dir / "crawl.log", timeout_s)
    lines = _read_lines(run_dir / "items.jsonl")
    try:
        stats = json.loads((run_dir / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stats = {}
        crash = (
            crash
            or f"the crawl process ended without writing its statistics: {_log_tail(run_dir / 'crawl.log')}"
        )
    if stats.get("finish_reason") == "closespider_timeout":
        crash = f"crawl stopped at the time limit of {timeout_s:g} s"
    state.update(lines)
    state.save()
    by_site: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        by_site[line["site"]].append(line)
    elapsed = time.monotonic() - started
    outcomes = [_outcome(s, by_site[s.source_id], stats, elapsed, crash) for s in sites]
    if crash or os.environ.get(KEEP_ENV):
        log.info("crawl files kept in %s", run_dir)
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
    return outcomes


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_child(spec_path: Path, log_path: Path, timeout_s: float | None) -> str | None:
    """Run the Scrapy child; returns a description of what went wrong, or None."""
    command = [sys.executable, "-m", "crawlers.runner", str(spec_path)]
    project_root = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")])),
        PARENT_ENV: str(os.getpid()),
    }
    with log_path.open("wb") as log_file:
        try:
            result = subprocess.run(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=timeout_s + 30 if timeout_s else None,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"crawl killed after the timeout of {timeout_s:g} s"
    if result.returncode != 0:
        return f"crawl process failed (exit {result.returncode}): {_log_tail(log_path)}"
    return None


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "no log"
