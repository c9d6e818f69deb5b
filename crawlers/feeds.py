"""Collecting one feed: conditional GET, parsing, full-text articles, own-blog comment feeds."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

import httpx

from .extract import extract_page
from .feedparse import comment_record, entry_record, parse_feed
from .http import Fetched, FetchError, HttpSettings, TransientFetchError, fetch, make_client
from .pagemeta import FEED_TYPES
from .records import DocumentRecord, FetchOutcome
from .urls import netloc_of

log = logging.getLogger(__name__)

FullText = Literal["auto", "always", "never"]
Validators = dict[str, tuple[str | None, str | None]]
FEED_ACCEPT = ", ".join([*FEED_TYPES, "application/xml;q=0.9", "text/xml;q=0.9", "*/*;q=0.1"])
_FEED_SNIFF = re.compile(rb"<(?:rss|feed|rdf:RDF|channel)[\s>]", re.IGNORECASE)
_FEED_LINK = re.compile(rb"<link[^>]+(?:rss|atom)\+xml[^>]*>", re.IGNORECASE)


@dataclass(slots=True)
class _Run:
    """What one collect_feed call accumulates."""

    http: HttpSettings
    client: httpx.Client
    validators: Validators
    new_validators: Validators = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: int = 0


def check_feed_response(fetched: Fetched) -> None:
    """Raise FetchError when a response is plainly not a feed (HTML page, image, PDF...)."""
    ctype = fetched.content_type.split(";")[0].strip().lower()
    head = fetched.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not ctype or any(t in ctype for t in ("xml", "rss", "atom", "rdf", "json")):
        return
    if ctype in ("text/plain", "application/octet-stream", "binary/octet-stream") and head[:1] in (
        b"<",
        b"{",
    ):
        return
    if ctype == "text/html":
        if _FEED_SNIFF.search(head):
            return
        links = _FEED_LINK.findall(fetched.body[:200_000])
        hint = ""
        if links:
            href = re.search(rb'href=["\']?([^"\'\s>]+)', links[0])
            if href:
                hint = f"; the page names a feed: {urljoin(fetched.final_url, href.group(1).decode('utf-8', 'replace'))}"
        raise FetchError(f"{fetched.url}: not a feed but an HTML page (text/html){hint}")
    raise FetchError(f"{fetched.url}: not a feed (content type {ctype})")


def _error_outcome(
    source_id: str, url: str, message: str, status: int | None, started: float
) -> FetchOutcome:
    log.warning("feed %s failed: %s", source_id, message)
    return FetchOutcome(
        source_id=source_id,
        url=url,
        status="error",
        http_status=status,
        error=message,
        pages=1,
        elapsed_s=time.monotonic() - started,
    )


def _parallel(run: _Run, jobs: Iterable, work: Callable) -> list:
    jobs = list(jobs)
    if len(jobs) <= 1 or run.http.concurrency <= 1:
        return [work(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=run.http.concurrency, thread_name_prefix="feed") as pool:
        return list(pool.map(work, jobs))


def _full_article(run: _Run, doc: DocumentRecord) -> DocumentRecord:
    """Replace a summary with the article's extracted main text; keep the entry on any failure."""
    try:
        fetched = fetch(run.client, doc.url, run.http, max_bytes=run.http.max_page_bytes, accept="text/html")
    except (FetchError, TransientFetchError) as exc:
        run.errors.append(f"article {exc}")
        return doc
    finally:
        run.requests += 1
    ctype = fetched.content_type.split(";")[0].strip().lower()
    if ctype and "html" not in ctype:  # a PDF or an image would be "extracted" as garbage text
        run.errors.append(f"article {doc.url}: not an HTML page (content type {ctype})")
        return doc
    page = extract_page(fetched.body, fetched.final_url, content_type=fetched.content_type, listed="feed")
    if not page.text or len(page.text) <= len(doc.text):
        if page.error:
            run.errors.append(f"article {doc.url}: {page.error}")
        return doc
    doc.text = page.text
    doc.title = doc.title or page.title
    doc.author = doc.author or page.author
    doc.published_at = doc.published_at or page.published
    doc.lang = doc.lang or page.lang
    doc.via = "article"
    doc.meta.pop("summary_only", None)
    return doc


def _comment_feed(run: _Run, source_id: str, url: str, post: str | None) -> list[DocumentRecord]:
    """Comments of one comment feed (conditional GET); failures are recorded, never raised."""
    previous = run.validators.get(url)
    try:
        fetched = fetch(run.client, url, run.http, validators=previous, accept=FEED_ACCEPT)
        check_feed_response(fetched)
    except (FetchError, TransientFetchError) as exc:
        run.errors.append(f"comment feed {exc}")
        return []
    finally:
        run.requests += 1
    if fetched.not_modified:
        run.new_validators[url] = previous or fetched.validators
        return []
    parsed = parse_feed(fetched.body, fetched.final_url, fetched.headers)
    if parsed.problem and not parsed.benign:
        run.errors.append(f"comment feed {url}: ill-formed ({parsed.problem})")
    run.new_validators[url] = fetched.validators
    feed = parsed.data.get("feed", {})
    docs = [comment_record(e, feed, source_id, url, post) for e in parsed.entries]
    return [d for d in docs if d is not None and d.text]


def _comment_feed_jobs(
    posts: list[DocumentRecord], comment_feeds: str | list[str] | None, validators: Validators, feed_url: str
) -> list[tuple[str, str | None]]:
    if comment_feeds == "auto":
        jobs = {d.meta["comment_feed"]: d.canonical_url for d in posts if d.meta.get("comment_feed")}
        # comment feeds of earlier runs (their validators are stored under this source, on the feed's
        # host) are checked even when the post feed answered 304
        home = netloc_of(feed_url)
        for url in validators:
            if url != feed_url and url not in jobs and netloc_of(url) == home:
                jobs[url] = None
        return list(jobs.items())
    return [(url, None) for url in (comment_feeds or [])]


def collect_feed(
    source_id: str,
    url: str,
    *,
    own: bool = False,
    comment_feeds: str | list[str] | None = None,
    full_text: FullText = "auto",
    validators: Validators | None = None,
    known_urls: Collection[str] = (),
    http: HttpSettings,
) -> FetchOutcome:
    """Fetch and normalise one feed (see docs/ARCHITECTURE.md).

    Raises TransientFetchError when the feed itself failed in a retryable way; every other failure
    is an outcome with status "error". Failures of single articles or comment feeds make it "partial".
    """
    started = time.monotonic()
    validators = dict(validators or {})
    with make_client(http) as client:
        run = _Run(http=http, client=client, validators=validators)
        try:
            fetched = fetch(client, url, http, validators=validators.get(url), accept=FEED_ACCEPT)
            check_feed_response(fetched)
        except FetchError as exc:
            return _error_outcome(source_id, url, str(exc), exc.status, started)
        run.requests = 1
        posts: list[DocumentRecord] = []
        outcome = FetchOutcome(source_id=source_id, url=url, status="ok", http_status=fetched.status)
        if fetched.not_modified:
            outcome.status = "not_modified"
            outcome.etag, outcome.last_modified = validators.get(url) or fetched.validators
            run.new_validators[url] = (outcome.etag, outcome.last_modified)
        else:
            parsed = parse_feed(fetched.body, fetched.final_url, fetched.headers)
            if not parsed.entries and (parsed.problem or not parsed.is_feed):
                cause = parsed.problem or "no RSS, Atom, RDF or JSON feed in the response"
                return _error_outcome(
                    source_id, url, f"{url}: unusable feed ({cause})", fetched.status, started
                )
            if parsed.problem and not parsed.benign:
                run.errors.append(f"{url}: ill-formed feed, parsed as far as possible ({parsed.problem})")
            outcome.meta.update(
                entries=len(parsed.entries), encoding=parsed.data.get("encoding"), bozo=parsed.problem
            )
            if fetched.final_url != url:
                outcome.meta["final_url"] = fetched.final_url
            feed = parsed.data.get("feed", {})
            posts = [entry_record(e, feed, source_id, fetched.final_url, own=own) for e in parsed.entries]
            posts = _full_texts(run, posts, full_text, set(known_urls))
            outcome.etag, outcome.last_modified = fetched.validators
            run.new_validators[url] = fetched.validators
        comments: list[DocumentRecord] = []
        if own and comment_feeds:
            jobs = _comment_feed_jobs(posts, comment_feeds, validators, url)
            for found in _parallel(run, jobs, lambda job: _comment_feed(run, source_id, *job)):
                comments.extend(found)
    outcome.documents = posts + comments
    if comments and outcome.status == "not_modified":
        outcome.status = "ok"  # the post feed is unchanged, but comments arrived
    if run.errors:
        outcome.status = "partial"
        outcome.error = "; ".join(run.errors[:5]) + (
            f" (+{len(run.errors) - 5} more)" if len(run.errors) > 5 else ""
        )
    outcome.validators = run.new_validators
    outcome.pages = run.requests
    outcome.elapsed_s = time.monotonic() - started
    return outcome


def _full_texts(
    run: _Run, posts: list[DocumentRecord], full_text: FullText, known: set[str]
) -> list[DocumentRecord]:
    """Fetch articles for summary-only entries not yet known; known summary-only entries are left out.

    Leaving them out keeps a stored full text from being overwritten by the feed's teaser.
    """
    if full_text == "never":
        return posts
    wanted = [
        d for d in posts if d.url.startswith("http") and (full_text == "always" or d.meta.get("summary_only"))
    ]
    fetch_these = [d for d in wanted if d.canonical_url not in known]
    skip = {id(d) for d in wanted if d.canonical_url in known}
    _parallel(run, fetch_these, lambda d: _full_article(run, d))
    return [d for d in posts if id(d) not in skip]
