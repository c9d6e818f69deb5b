"""Items the blog spider yields; the pipelines turn them into JSONL lines for the parent process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class PageItem:
    """A fetched page to extract (main text, metadata, comments)."""

    site: str
    url: str
    body: bytes
    content_type: str | None
    listed: str | None = None  # "feed" or "sitemap" when one of them named the URL
    guess: bool = True  # may be judged an article by "enough dated text"
    cached: bool = False
    status: int = 200
    own: bool = False


@dataclass(slots=True)
class PageSeen:
    """A page handled without extraction (known and unchanged), or the result of one extraction."""

    site: str
    url: str
    canonical_url: str | None = None
    cached: bool = False
    extracted: bool = False
    article: bool | None = None
    published: str | None = None
    status: int = 200
    error: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class CrawlError:
    """A request of a site that failed (HTTP error, timeout, refused connection, too large...)."""

    site: str
    url: str
    error: str
    status: int | None = None
    start: bool = False  # a start URL of the site
