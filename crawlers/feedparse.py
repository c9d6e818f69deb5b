"""Parsing feeds with feedparser and normalising their entries into DocumentRecords."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from .dates import from_struct
from .records import DocumentRecord
from .text import clean_whitespace, html_to_text
from .urls import canonical_url, comment_id_from, comment_url, fallback_comment_id

log = logging.getLogger(__name__)

FAST_PARSE_BYTES = 1_000_000  # above this, skip feedparser's sanitiser and URI resolution (we keep text only)
# bozo exceptions that do not mean broken data (the feed parsed in full): recorded, status stays "ok"
BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_TRUNCATED = re.compile(
    r"(?:\.\.\.|…|\[…\]|\[\.\.\.\]|read more|weiterlesen|continue reading|mehr lesen)\W*$", re.IGNORECASE
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(slots=True)
class ParsedFeed:
    """feedparser's result plus our verdict on it."""

    data: feedparser.FeedParserDict
    problem: str | None  # what made it bozo (None when well-formed)
    benign: bool  # bozo, but only an encoding override: the data is complete

    @property
    def entries(self) -> list[Any]:
        return self.data.get("entries", [])

    @property
    def is_feed(self) -> bool:
        return bool(self.data.get("version")) or bool(self.entries)


def parse_feed(
    body: bytes, url: str | None = None, headers: dict[str, str] | None = None, *, fast: bool = False
) -> ParsedFeed:
    """Parse feed bytes; HTTP headers (Content-Type charset, Content-Location) apply as feedparser defines.

    `fast` (implied for large feeds) skips feedparser's HTML sanitiser and URI resolution in content:
    fine where only links, dates and plain text are used.
    """
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    # No Content-Type: read the bytes as the XML they claim to be (feedparser's rules for a file);
    # feedparser would otherwise flag any header dict without it and fall back to ISO-8859-1.
    response_headers.setdefault("content-type", "application/xml")
    if url:
        response_headers.setdefault("content-location", url)  # base for relative links
    fast = fast or len(body) > FAST_PARSE_BYTES
    try:
        data = feedparser.parse(
            body, response_headers=response_headers, sanitize_html=not fast, resolve_relative_uris=not fast
        )
    except Exception as exc:  # feedparser is robust, but a crash here must not end a run
        log.warning("feedparser crashed on %s: %s", url, exc)
        data = feedparser.FeedParserDict(bozo=1, bozo_exception=exc, entries=[], feed={}, version="")
    problem = None
    benign = False
    if data.get("bozo"):
        exc = data.get("bozo_exception")
        problem = f"{type(exc).__name__}: {exc}" if exc is not None else "ill-formed feed"
        benign = isinstance(exc, BENIGN_BOZO)
    return ParsedFeed(data, problem, benign)


def _detail_text(value: str | None, detail: dict | None) -> str:
    if not value:
        return ""
    kind = (detail or {}).get("type", "text/html")
    return html_to_text(value) if any(t in kind for t in HTML_TYPES) else clean_whitespace(value)


def entry_text(entry: Any) -> tuple[str, bool]:
    """The longest text of content / summary, as plain text, and whether the entry had a full content element."""
    texts = [_detail_text(c.get("value"), c) for c in entry.get("content", []) or []]
    has_content = any(texts)
    texts.append(_detail_text(entry.get("summary"), entry.get("summary_detail")))
    return max(texts, key=len, default=""), has_content


def looks_summary_only(text: str, has_content: bool) -> bool:
    """True when the feed probably carries only a teaser of the article."""
    if not text:
        return True
    if _TRUNCATED.search(text):
        return True
    return len(text) < (400 if has_content else 1200)


def entry_link(entry: Any, base: str | None) -> str | None:
    link = entry.get("link")
    if not link:
        for item in entry.get("links", []) or []:
            if item.get("href") and item.get("rel", "alternate") == "alternate":
                link = item["href"]
                break
    if not link:
        return None
    link = urljoin(base or "", link.strip()) if base else link.strip()
    return link if link.startswith(("http://", "https://")) else None


def _author(entry: Any) -> str | None:
    name = (entry.get("author_detail") or {}).get("name") or entry.get("author")
    if not name:
        return None
    name = clean_whitespace(html_to_text(name)).replace("\n", " ").strip()
    return None if not name or _EMAIL.match(name) else name[:200]


def _lang(entry: Any, feed: Any) -> str | None:
    for detail in [*(entry.get("content") or []), entry.get("summary_detail"), entry.get("title_detail")]:
        if detail and detail.get("language"):
            return str(detail["language"]).lower()[:12]
    lang = feed.get("language")
    return str(lang).lower()[:12] if lang else None


def entry_published(entry: Any) -> datetime | None:
    """The entry's published (else updated, created) time in UTC."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = from_struct(entry.get(key))
        if value:
            return value
    return None


def entry_record(
    entry: Any, feed: Any, source_id: str, feed_url: str, *, own: bool = False
) -> DocumentRecord:
    """One feed entry as a post record (text from content/summary; no article fetch here)."""
    link = entry_link(entry, feed_url)
    guid = entry.get("id") or None
    title = _detail_text(entry.get("title"), entry.get("title_detail")).replace("\n", " ") or None
    text, has_content = entry_text(entry)
    if link:
        canonical = canonical_url(link)
    else:
        key = guid or fallback_comment_id(title, entry.get("published"), text)
        canonical = f"{canonical_url(feed_url)}#entry-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    meta: dict[str, Any] = {}
    tags = [t.get("term") for t in entry.get("tags", []) or [] if t.get("term")]
    if tags:
        meta["tags"] = tags[:20]
    if entry.get("wfw_commentrss"):
        meta["comment_feed"] = urljoin(feed_url, entry["wfw_commentrss"])
    if looks_summary_only(text, has_content):
        meta["summary_only"] = True
    return DocumentRecord(
        kind="post",
        source_id=source_id,
        url=link or feed_url,
        canonical_url=canonical,
        text=text,
        title=title,
        author=_author(entry),
        published_at=entry_published(entry),
        own=own,
        guid=guid,
        lang=_lang(entry, feed),
        via="feed",
        meta=meta,
    )


def comment_record(
    entry: Any, feed: Any, source_id: str, feed_url: str, post_canonical: str | None, *, own: bool = True
) -> DocumentRecord | None:
    """One entry of a comment feed as a comment record, or None when it names no post."""
    link = entry_link(entry, feed_url)
    reply = entry.get("thr_in-reply-to") or {}
    parent = post_canonical
    if parent is None and link:
        parent = canonical_url(link.split("#", 1)[0])
    if parent is None and reply.get("href"):
        parent = canonical_url(reply["href"])
    if parent is None:
        return None
    text, _ = entry_text(entry)
    author = _author(entry)
    published = entry_published(entry)
    cid = (
        (comment_id_from(link.split("#", 1)[1]) if link and "#" in link else None)
        or comment_id_from(entry.get("id"))
        or fallback_comment_id(author, published, text)
    )
    return DocumentRecord(
        kind="comment",
        source_id=source_id,
        url=link or f"{parent}#comment-{cid}",
        canonical_url=comment_url(parent, cid),
        text=text,
        author=author,
        published_at=published,
        own=own,
        guid=entry.get("id") or None,
        parent_url=parent,
        lang=_lang(entry, feed),
        via="comment-feed",
    )
