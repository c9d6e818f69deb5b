"""Source checks for users: what the pipeline sees in a feed or a page (`resonanz check-feed` / `extract`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .extract import extract_page
from .feedparse import entry_link, entry_record, parse_feed
from .feeds import FEED_ACCEPT, check_feed_response
from .http import Fetched, FetchError, HttpSettings, TransientFetchError, fetch, make_client
from .structured import discover
from .text import decode_html, parse_html


class CheckError(Exception):
    """The target could not be read (message names it and the cause)."""


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def load_target(
    target: str,
    http: HttpSettings,
    *,
    accept: str | None = None,
    headers: dict[str, str] | None = None,
    max_bytes: int | None = None,
) -> Fetched:
    """Fetch a URL (same client and limits as the pipeline) or read a local file."""
    if _is_url(target):
        try:
            with make_client(http) as client:
                return fetch(client, target, http, accept=accept, max_bytes=max_bytes)
        except (FetchError, TransientFetchError) as exc:
            raise CheckError(str(exc)) from exc
    path = Path(target).expanduser()
    if not path.is_file():
        raise CheckError(f"{target}: no such file (give a file path or an http(s) URL)")
    body = path.read_bytes()
    return Fetched(
        url=path.resolve().as_uri(),
        final_url=path.resolve().as_uri(),
        status=200,
        headers={k.lower(): v for k, v in (headers or {}).items()},
        body=body,
    )


def check_feed(
    target: str, http: HttpSettings | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Parse a feed as collect_feed would and describe it as JSON-ready data."""
    http = http or HttpSettings()
    fetched = load_target(target, http, accept=FEED_ACCEPT, headers=headers)
    report: dict[str, Any] = {
        "source": target,
        "http_status": fetched.status if _is_url(target) else None,
        "content_type": fetched.content_type or None,
    }
    try:
        check_feed_response(fetched)
    except FetchError as exc:
        report.update(ok=False, problem=str(exc), bozo=True, entry_count=0, entries=[])
        return report
    parsed = parse_feed(fetched.body, fetched.final_url if _is_url(target) else None, fetched.headers)
    feed = parsed.data.get("feed", {})
    base = fetched.final_url if _is_url(target) else feed.get("link")
    entries = []
    for entry in parsed.entries:
        record = entry_record(entry, feed, "check", base or "")
        entries.append(
            {
                "title": record.title,
                "link": entry_link(entry, base),
                "published": record.published_at.isoformat() if record.published_at else None,
                "author": record.author,
                "chars": len(record.text),
                "summary_only": bool(record.meta.get("summary_only")),
            }
        )
    usable = bool(parsed.entries) or (parsed.is_feed and not parsed.problem)
    report.update(
        ok=usable,
        title=feed.get("title"),
        version=parsed.data.get("version") or None,
        encoding=parsed.data.get("encoding"),
        bozo=bool(parsed.problem),
        problem=parsed.problem,
        problem_is_benign=parsed.benign if parsed.problem else None,
        language=feed.get("language"),
        entry_count=len(parsed.entries),
        entries=entries,
    )
    return report


def extract_target(target: str, http: HttpSettings | None = None) -> dict[str, Any]:
    """Extract a page's main text and metadata (and comments) as the crawler does."""
    http = http or HttpSettings()
    fetched = load_target(
        target, http, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5", max_bytes=http.max_page_bytes
    )
    url = fetched.final_url if _is_url(target) else fetched.url
    result = extract_page(fetched.body, url, content_type=fetched.content_type or None, with_links=False)
    report = result.as_json()
    tree = parse_html(decode_html(fetched.body, fetched.content_type or None)[0])
    found = discover(tree, url) if tree is not None and result.is_article else []
    # the structured comment sources the crawler would try first (crawlers/structured.py), not fetched here
    report["comment_sources"] = [{"method": s.method, "url": s.url} for s in found]
    return report
