"""Main text, metadata and comments of one page: the extraction the crawler, feeds and CLI share."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import trafilatura

from .comments import Comment, extract_comments, find_comment_nodes, remove_comment_section
from .dates import parse_iso
from .embeds import detect_embed
from .pagemeta import PageMeta, iter_links, read_meta
from .records import CommentCheck, DocumentRecord
from .text import decode_html, parse_html
from .urls import comment_url, normalize_url

log = logging.getLogger(__name__)

# trafilatura options, chosen by bench/eval_extraction.py (method-level, no per-site rules).
EXTRACT_OPTIONS: dict[str, Any] = {
    "include_comments": False,  # comments are extracted separately, as their own documents
    "include_tables": False,  # old blogs lay out menus and sidebars in tables
    "favor_precision": True,  # drops newsletter boxes, tag clouds, "subscribe" lines
    "fast": False,  # keep the fallback extractors: needed for table layouts
    "deduplicate": False,
}
MIN_ARTICLE_CHARS = 500  # "enough main text" for a page that declares nothing
Listed = Literal["feed", "sitemap"] | None  # where a URL was named, if anywhere


@dataclass(slots=True)
class PageResult:
    """What one page holds: main text, metadata, comments, links, and whether it is an article."""

    url: str
    canonical_url: str
    text: str = ""
    title: str | None = None
    author: str | None = None
    published: datetime | None = None
    lang: str | None = None
    is_article: bool = False
    comments: list[Comment] = field(default_factory=list)
    comments_unreachable: str | None = None  # a comment system the crawler cannot read (crawlers.embeds)
    links: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    encoding: str | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The `resonanz extract` view."""
        return {
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "author": self.author,
            "date": self.published.isoformat() if self.published else None,
            "lang": self.lang,
            "is_article": self.is_article,
            "encoding": self.encoding,
            "error": self.error,
            "text": self.text,
            "comments": [
                {
                    "id": c.id,
                    "author": c.author,
                    "date": c.published.isoformat() if c.published else None,
                    "date_text": c.date_text,  # the date as the page wrote it
                    "parent": c.reply_to,  # the id of the comment this one replies to
                    "text": c.text,
                }
                for c in self.comments
            ],
            "comments_unreachable": self.comments_unreachable,
            "feeds": self.feeds,
        }


def decide_article(
    meta: PageMeta, text: str, published: datetime | None, *, listed: Listed, guess: bool
) -> bool:
    """An article: declared (og:type / JSON-LD), listed in a feed, listed in a sitemap and not declared a
    listing, or (when `guess`) enough main text with a date."""
    if meta.declares_article or listed == "feed":
        return True
    if meta.declares_listing:
        return False
    if listed == "sitemap" and guess:  # sitemaps also name home and tag pages: not for start pages
        return True
    return guess and len(text) >= MIN_ARTICLE_CHARS and published is not None


def _run_trafilatura(tree, url: str) -> Any:
    try:
        return trafilatura.bare_extraction(tree, url=url, with_metadata=True, **EXTRACT_OPTIONS)
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError) as exc:
        log.warning("trafilatura failed on %s: %s", url, exc)
        return None


def extract_page(
    body: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    listed: Listed = None,
    guess: bool = True,
    with_links: bool = False,
    fetched: datetime | None = None,
) -> PageResult:
    """Extract a page. Never raises for bad input: problems land in `error`.

    `listed`: the URL came from a feed or a sitemap; `guess`: allow the weak rules (sitemap-listed,
    enough dated text); off for start pages, which are listings. `fetched`: when the page was fetched;
    relative comment dates ("vor 3 Tagen") count back from it (default: the current time).
    """
    if isinstance(body, bytes):
        html, encoding = decode_html(body, content_type)
    else:
        html, encoding = body, None
    tree = parse_html(html)
    if tree is None:
        return PageResult(
            url=url, canonical_url=normalize_url(url), encoding=encoding, error="empty or unparseable page"
        )
    try:
        meta = read_meta(tree, url)
    except (RecursionError, ValueError) as exc:  # absurd markup
        return _bad_markup(url, encoding, exc)
    return extract_tree(
        tree, meta, url, encoding=encoding, listed=listed, guess=guess, with_links=with_links, fetched=fetched
    )


def _bad_markup(url: str, encoding: str | None, exc: Exception) -> PageResult:
    return PageResult(
        url=url, canonical_url=normalize_url(url), encoding=encoding, error=f"bad markup: {exc}"
    )


def extract_tree(
    tree: Any,
    meta: PageMeta,
    url: str,
    *,
    encoding: str | None = None,
    listed: Listed = None,
    guess: bool = True,
    with_links: bool = False,
    fetched: datetime | None = None,
) -> PageResult:
    """`extract_page` on a page already parsed (`text.parse_html`) and read (`pagemeta.read_meta`).

    The crawler parses a page once for its links, metadata and text. The tree is changed (the comment
    section is removed): read links before.
    """
    try:
        result = PageResult(
            url=url, canonical_url=meta.canonical_url, encoding=encoding, lang=meta.lang, feeds=meta.feeds
        )
        if with_links:
            result.links = list(iter_links(tree, url))
        nodes = find_comment_nodes(tree)
        result.comments = extract_comments(tree, nodes, now=fetched)
        result.comments_unreachable = detect_embed(tree, comments_found=len(result.comments))
        remove_comment_section(tree, nodes)
    except (RecursionError, ValueError) as exc:  # absurd markup: keep what we have
        return _bad_markup(url, encoding, exc)
    doc = _run_trafilatura(tree, url)
    text = (doc.text or "").strip() if doc is not None else ""
    published = meta.published or (parse_iso(doc.date) if doc is not None and doc.date else None)
    result.text = text
    result.title = meta.title or (doc.title if doc is not None else None)
    result.author = meta.author or (doc.author if doc is not None else None)
    result.published = published
    result.is_article = decide_article(meta, text, published, listed=listed, guess=guess)
    if not text:
        result.error = "no main text found"
    return result


def comment_check(result: PageResult, method: str = "html") -> CommentCheck:
    """How this page's comments were read: a thread the crawler cannot read makes the count incomplete."""
    return CommentCheck(
        post_url=result.canonical_url,
        method=method,
        comments=len(result.comments),
        unreachable=result.comments_unreachable,
        complete=result.comments_unreachable is None,
    )


def page_documents(
    result: PageResult, source_id: str, *, own: bool = False, via: str = "crawl"
) -> list[DocumentRecord]:
    """The post and its comments as DocumentRecords (nothing for non-articles or empty text)."""
    if not result.is_article or not result.text:
        return []
    post = DocumentRecord(
        kind="post",
        source_id=source_id,
        url=result.url,
        canonical_url=result.canonical_url,
        text=result.text,
        title=result.title,
        author=result.author,
        published_at=result.published,
        own=own,
        lang=result.lang,
        via=via,
    )
    docs = [post]
    for comment in result.comments:
        meta = {"reply_to": comment_url(post.canonical_url, comment.reply_to)} if comment.reply_to else {}
        docs.append(
            DocumentRecord(
                kind="comment",
                source_id=source_id,
                url=f"{result.url.split('#', 1)[0]}#comment-{comment.id}",
                canonical_url=comment_url(post.canonical_url, comment.id),
                text=comment.text,
                author=comment.author,
                published_at=comment.published,
                own=own,
                parent_url=post.canonical_url,
                lang=result.lang,
                via="comment-page",
                meta=meta,
            )
        )
    return docs
