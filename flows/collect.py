"""The `collect` flow: feeds, crawls and own-blog comments into the warehouse."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.runtime import task_run
from prefect.task_runners import ThreadPoolTaskRunner

from crawlers.crawl import crawl_sites
from crawlers.feeds import collect_feed
from crawlers.http import TransientFetchError
from crawlers.records import FetchOutcome
from crawlers.urls import Scope
from warehouse.ingest import IngestCounts, ingest_outcome, sync_sources
from warehouse.state import fetch_states, known_pages

from .interrupt import stopping
from .plan import CollectPlan, FeedJob

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_S = 120.0
MAX_PARALLEL_FEEDS = 16  # feed tasks at once (Prefect's default pool has no limit: a thread per feed)
# in work_dir from the start of a crawl until all its results are in the warehouse (see _crawl_known)
CRAWL_PENDING = "crawl-ingest-pending"


@dataclass(slots=True)
class SourceResult:
    source_id: str
    status: str
    http_status: int | None
    error: str | None
    new: int
    updated: int
    unchanged: int
    pages: int
    elapsed_s: float
    near_duplicates: int = 0


@dataclass(slots=True)
class CollectSummary:
    """Counts of one `collect` run."""

    sources: list[SourceResult] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def totals(self) -> IngestCounts:
        return IngestCounts(
            sum(s.new for s in self.sources),
            sum(s.updated for s in self.sources),
            sum(s.unchanged for s in self.sources),
            sum(s.near_duplicates for s in self.sources),
        )

    @property
    def failed(self) -> list[str]:
        return [s.source_id for s in self.sources if s.status == "error"]


def _retry_transient(task, task_run, state) -> bool:
    """Retry only transient network failures (timeouts, 5xx, 429), never bad input, never while stopping."""
    try:
        state.result()
    except TransientFetchError:
        return not stopping()
    except Exception:
        return False
    return False


@task(
    name="fetch-feed",
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 8, 30],
    retry_jitter_factor=0.3,
    retry_condition_fn=_retry_transient,
)
def fetch_feed_task(job: FeedJob, plan: CollectPlan, validators: dict, known: set[str]) -> FetchOutcome:
    """Fetch one feed; transient failures raise (and are retried), after waiting out any Retry-After."""
    try:
        return collect_feed(
            job.source_id,
            job.url,
            own=job.own,
            comment_feeds=job.comment_feeds,
            full_text=job.full_text,
            validators=validators,
            known_urls=known,
            http=plan.http,
        )
    except TransientFetchError as exc:
        attempt = task_run.get_run_count()
        if attempt <= plan.retries and not stopping():  # one line per retry, not Prefect's traceback
            log.warning("%s: %s — retry %d of %d", job.source_id, exc, attempt, plan.retries)
            if exc.retry_after:  # wait it out before the retry
                time.sleep(min(exc.retry_after, MAX_RETRY_AFTER_S))
        raise


@task(name="crawl-sites", cache_policy=NO_CACHE)
def crawl_task(plan: CollectPlan, known: set[str]) -> list[FetchOutcome]:
    """Crawl the configured sites in a subprocess (Scrapy's reactor cannot restart in-process)."""
    return crawl_sites(plan.sites, work_dir=plan.work_dir, known_urls=known, settings=plan.crawl)


def _error_outcome(source_id: str, url: str, exc: BaseException) -> FetchOutcome:
    return FetchOutcome(
        source_id=source_id,
        url=url,
        status="error",
        http_status=getattr(exc, "status", None),
        error=f"{type(exc).__name__}: {exc}",
    )


def _crawl_known(plan: CollectPlan) -> set[str]:
    """Stored pages the crawl may skip while unchanged (HTTP 304), or none after an interrupted crawl.

    Scrapy writes its HTTP cache as pages arrive. When a run dies before their documents are stored,
    a page known in an older version would answer 304 next time and be skipped for good (its new
    comments lost), so after such a crawl every page is extracted again once.
    """
    if (plan.work_dir / CRAWL_PENDING).exists():
        log.warning("the last crawl's results did not all reach the warehouse: extracting every page again")
        return set()
    scope = Scope([entry for site in plan.sites for entry in site.allowed_domains or site.start_urls])
    return known_pages(plan.db, sorted({e.rsplit(":", 1)[0] for e in scope.exact} | scope.domains))


def _store(plan: CollectPlan, outcome: FetchOutcome, run_id: str, summary: CollectSummary) -> None:
    key = plan.pseudonym_key.get_secret_value() if plan.pseudonym_key else None
    counts = ingest_outcome(plan.db, outcome, run_id, pseudonym_key=key)
    summary.sources.append(
        SourceResult(
            outcome.source_id,
            outcome.status,
            outcome.http_status,
            outcome.error,
            counts.new,
            counts.updated,
            counts.unchanged,
            outcome.pages,
            round(outcome.elapsed_s, 3),
            counts.near_duplicates,
        )
    )
    level = logging.WARNING if outcome.status == "error" else logging.INFO
    log.log(
        level,
        "%s: %s (+%d new, %d updated) %s",
        outcome.source_id,
        outcome.status,
        counts.new,
        counts.updated,
        outcome.error or "",
    )


@flow(
    name="collect",
    validate_parameters=False,
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL_FEEDS),
)
def collect(plan: CollectPlan, run_id: str) -> CollectSummary:
    """Fetch every source concurrently and store each as it arrives; one failing source never fails the run."""
    started = time.monotonic()
    summary = CollectSummary()
    sync_sources(plan.db, plan.sources)
    crawl_future = None
    pending = plan.work_dir / CRAWL_PENDING
    if plan.sites:  # first: the longest task, and the pool is bounded
        known = _crawl_known(plan)
        pending.parent.mkdir(parents=True, exist_ok=True)
        pending.write_text(run_id, encoding="utf-8")
        crawl_future = crawl_task.submit(plan, known)
    feed_task = fetch_feed_task.with_options(retries=plan.retries)
    futures = {}
    states = fetch_states(plan.db, [job.source_id for job in plan.feeds])
    for job in plan.feeds:
        futures[feed_task.submit(job, plan, *states[job.source_id])] = job
    for future in as_completed(list(futures)):
        job = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # retries exhausted or a bug in one source: record it, go on
            outcome = _error_outcome(job.source_id, job.url, exc)
        _store(plan, outcome, run_id, summary)
    if crawl_future is not None:
        try:
            outcomes = crawl_future.result()
        except Exception as exc:
            outcomes = [_error_outcome(s.source_id, s.start_urls[0], exc) for s in plan.sites]
        for outcome in outcomes:
            _store(plan, outcome, run_id, summary)
        if all(o.meta.get("finish_reason") == "finished" for o in outcomes):  # complete and stored
            pending.unlink(missing_ok=True)
    summary.elapsed_s = round(time.monotonic() - started, 3)
    return summary
