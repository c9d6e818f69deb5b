"""Items the blog spider yields; the JSONL pipeline writes them as lines for the parent process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    comment_check: dict[str, Any] | None = None  # records.CommentCheck of an article page, as a dict


@dataclass(slots=True)
class CrawlError:
    """A request of a site that failed (HTTP error, timeout, refused connection, too large...)."""

    site: str
    url: str
    error: str
    status: int | None = None
    start: bool = False  # a start URL of the site
