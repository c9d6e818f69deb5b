"""Typed records the crawlers hand to the warehouse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

Kind = Literal["post", "comment"]
Status = Literal["ok", "not_modified", "partial", "error"]


def doc_id_for(canonical_url: str) -> str:
    """Stable document id: the first 16 bytes of sha256(canonical URL), hex."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:32]


def content_hash(title: str | None, text: str, author: str | None) -> str:
    """What counts as 'the content' of a document; a change means an edit."""
    payload = "\x1f".join([title or "", text, author or ""])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class DocumentRecord:
    """A post or comment as collected, before it reaches the warehouse."""

    kind: Kind
    source_id: str
    url: str
    canonical_url: str
    text: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None  # timezone-aware, UTC
    own: bool = False
    guid: str | None = None
    parent_url: str | None = None  # canonical URL of the post a comment belongs to
    lang: str | None = None  # as declared by the page, if any
    via: str = "feed"  # feed | article | crawl | comment-feed | comment-page
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return doc_id_for(self.canonical_url)

    @property
    def parent_id(self) -> str | None:
        return doc_id_for(self.parent_url) if self.parent_url else None

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.text, self.author)

    def to_json(self) -> dict[str, Any]:
        # shallow (asdict deep-copies field by field: a tenth of an extraction worker's CPU per page)
        data = {name: getattr(self, name) for name in _DOCUMENT_FIELDS}
        data["meta"] = dict(self.meta)
        data["published_at"] = self.published_at.isoformat() if self.published_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentRecord:
        data = dict(data)
        if data.get("published_at"):
            data["published_at"] = datetime.fromisoformat(data["published_at"])
        return cls(**data)


_DOCUMENT_FIELDS = tuple(f.name for f in fields(DocumentRecord))


@dataclass(slots=True)
class CommentCheck:
    """How the comments of one post were read in one fetch (one `comment_reach` row)."""

    post_url: str  # canonical URL of the post
    method: str  # wp-rest | wp-feed | blogger-feed | html (crawlers.structured)
    comments: int = 0
    unreachable: str | None = None  # a comment system the crawler cannot read (crawlers.embeds)
    complete: bool = True  # every comment of the post was read: one missing since has been deleted


@dataclass(slots=True)
class FetchOutcome:
    """What happened when one source was fetched in one run (one fetch_log row)."""

    source_id: str
    url: str
    status: Status
    http_status: int | None = None
    error: str | None = None
    documents: list[DocumentRecord] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    pages: int = 0
    elapsed_s: float = 0.0
    # conditional-GET state of every URL fetched for this source: url -> (etag, last_modified)
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    comment_checks: list[CommentCheck] = field(default_factory=list)  # per extracted post
