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
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .crawlstate import CrawlState
from .http import DEFAULT_USER_AGENT
from .records import CommentCheck, DocumentRecord, FetchOutcome
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
    redis_url: str | None = None  # a shared frontier in Redis ([scale] redis_url); None: this process alone
    processes: int = 1  # crawler processes on this host sharing the frontier (needs redis_url)
    frontier_key: str | None = None  # the shared crawl to join (same key on every host); None: a new one


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
        comment_checks=[CommentCheck(**p["comment_check"]) for p in pages if p.get("comment_check")],
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


def _merge_stats(parts: list[dict]) -> dict:
    """One crawl's statistics from its processes' (site counters summed; finished only if all finished)."""
    if len(parts) == 1:
        return parts[0]
    sites: dict[str, dict[str, int]] = defaultdict(dict)
    for part in parts:
        for sid, counts in part.get("sites", {}).items():
            for key, value in counts.items():
                sites[sid][key] = sites[sid].get(key, 0) + value
    reasons = [p.get("finish_reason") for p in parts]
    finished = all(r == "finished" for r in reasons)
    return {
        "finish_reason": "finished" if finished else next(r for r in reasons if r != "finished"),
        "sites": dict(sites),
        "processes": [p.get("scrapy", {}) for p in parts],
    }


def _frontier(settings: CrawlSettings) -> dict[str, str] | None:
    if not settings.redis_url:
        return None
    return {"url": settings.redis_url, "key": settings.frontier_key or f"resonanz:crawl:{uuid.uuid4().hex}"}


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
    skip = ("cache_dir", "extract_workers", "redis_url", "processes", "frontier_key")
    run = {k: v for k, v in asdict(settings).items() if k not in skip}
    frontier = _frontier(settings)
    processes = max(1, settings.processes) if frontier else 1
    if processes > 1:  # docs/scale.md, "Known limitations of crawl_processes > 1"
        log.warning(
            "crawl_processes = %d: known bugs may miss pages or fetch robots-disallowed ones (docs/scale.md)",
            processes,
        )
    site_specs = [_site_json(s, known, state, revisit_before) for s in sites]
    names = [f"-{i}" if processes > 1 else "" for i in range(processes)]
    spec_paths = []
    for name in names:  # one spec per crawler process: same sites and frontier, own output files
        spec = {
            "sites": site_specs,
            "stats_path": str(run_dir / f"stats{name}.json"),
            "revisit_before": revisit_before.isoformat() if revisit_before else None,
            "settings": {
                **run,
                "cache_dir": str(cache_dir),
                "items_path": str(run_dir / f"items{name}.jsonl"),
                "extract_workers": _workers(settings) if processes == 1 else 0,
                "close_after_s": max(1.0, timeout_s - 5) if timeout_s else None,
                "frontier": frontier,
            },
        }
        spec_paths.append(run_dir / f"spec{name}.json")
        spec_paths[-1].write_text(json.dumps(spec), encoding="utf-8")
    crash = _run_children(spec_paths, [run_dir / f"crawl{n}.log" for n in names], timeout_s)
    lines = [line for name in names for line in _read_lines(run_dir / f"items{name}.jsonl")]
    parts = []
    for name in names:
        try:
            parts.append(json.loads((run_dir / f"stats{name}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            crash = crash or (
                "the crawl process ended without writing its statistics: "
                + _log_tail(run_dir / f"crawl{name}.log")
            )
    stats = _merge_stats(parts) if len(parts) == len(names) else {}
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


def _run_children(spec_paths: list[Path], log_paths: list[Path], timeout_s: float | None) -> str | None:
    """Run one Scrapy child per spec at once; returns a description of what went wrong, or None."""
    project_root = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")])),
        PARENT_ENV: str(os.getpid()),
    }
    deadline = time.monotonic() + timeout_s + 30 if timeout_s else None
    children = []
    for spec_path, log_path in zip(spec_paths, log_paths, strict=True):
        with log_path.open("wb") as log_file:
            command = [sys.executable, "-m", "crawlers.runner", str(spec_path)]
            children.append(subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env))
    problems = []
    for child, log_path in zip(children, log_paths, strict=True):
        try:
            code = child.wait(timeout=max(0.0, deadline - time.monotonic()) if deadline else None)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            problems.append(f"crawl killed after the timeout of {timeout_s:g} s")
            continue
        if code != 0:
            problems.append(f"crawl process failed (exit {code}): {_log_tail(log_path)}")
    return "; ".join(problems) or None


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "no log"
