"""Structured comment sources of a post, tried before the HTML rules: WordPress REST, comment feeds, Blogger.

`discover` reads a post page's markup (no request) and lists, best first, where the same comments
are published as data: the WordPress REST API (`<link rel="https://api.w.org/">` plus the post id
from `wp/v2/posts/N`, the `?p=N` shortlink or the `postid-N` body class), the post's own comment
feed (`<link rel="alternate">` "… Comments Feed" / `<post>/feed/`) and Blogger's per-post comment
feed (`/feeds/<id>/comments/default`). The spider fetches them in that order; `read_comments` turns
a response into comment records with author, date and reply parent from the data; when none
answers, the comments found in the HTML stay (method `html`). The method that served each post is
recorded (`records.CommentCheck`, table `comment_reach`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from .feedparse import comment_record, parse_feed
from .pagemeta import FEED_TYPES
from .records import DocumentRecord
from .text import html_to_text
from .urls import comment_id_from, comment_url

log = logging.getLogger(__name__)

METHODS = ("wp-rest", "wp-feed", "blogger-feed")  # the order they are tried in; then "html"
REST_PAGE_SIZE = 100  # the WordPress maximum
MAX_REST_PAGES = 20
_POST_ID = re.compile(r"(?:[?&]p=|/wp/v2/posts/)(\d+)(?:$|[&/?#])")
_BODY_POST_ID = re.compile(r"(?:^|\s)postid-(\d+)(?:\s|$)")
_BLOGGER = re.compile(r"/feeds/(?:\d+/)?(\d+)/comments/default")
_COMMENT_FEED_TITLE = re.compile(r"comments?[- ]?feed|kommentar[- ]?feed|kommentare", re.IGNORECASE)
_SITE_COMMENTS = re.compile(r"/comments/feed/?$")


@dataclass(frozen=True, slots=True)
class StructuredSource:
    """Where one post's comments are published as data."""

    method: str  # one of METHODS
    url: str


@dataclass(frozen=True, slots=True)
class PostRef:
    """The post the comments belong to, as the page extraction saw it."""

    source_id: str
    url: str
    canonical_url: str
    own: bool = False
    lang: str | None = None


def _post_id(tree: lxml.html.HtmlElement) -> str | None:
    for href in tree.xpath(
        '//link[@rel="shortlink"]/@href | //link[@type="application/json"][@rel="alternate"]/@href'
    ):
        found = _POST_ID.search(href)
        if found:
            return found.group(1)
    for body in tree.xpath("//body[@class]"):
        found = _BODY_POST_ID.search(body.get("class"))
        if found:
            return found.group(1)
    return None


def rest_url(api_root: str, post_id: str, page: int = 1) -> str:
    """`/wp/v2/comments?post=N` under an API root, pretty (`/wp-json/`) or plain (`?rest_route=/`)."""
    query = {"post": post_id, "per_page": REST_PAGE_SIZE, "orderby": "date", "order": "asc"}
    if page > 1:
        query["page"] = page
    if "rest_route=" in api_root:
        parts = urlsplit(api_root)
        route = parse_qs(parts.query).get("rest_route", ["/"])[0].rstrip("/") + "/wp/v2/comments"
        return urlunsplit(parts._replace(query=urlencode({"rest_route": route, **query})))
    return urljoin(api_root.rstrip("/") + "/", "wp/v2/comments") + "?" + urlencode(query)


def discover(tree: lxml.html.HtmlElement, url: str) -> list[StructuredSource]:
    """Structured comment sources a post page names, best first (no request is made)."""
    found: list[StructuredSource] = []
    api = tree.xpath('//link[@rel="https://api.w.org/"]/@href')
    post_id = _post_id(tree) if api else None
    if api and post_id:
        found.append(StructuredSource("wp-rest", rest_url(urljoin(url, api[0].strip()), post_id)))
    page = url.split("#", 1)[0]
    for link in tree.xpath('//link[@href][contains(concat(" ", normalize-space(@rel), " "), " alternate ")]'):
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        href = urljoin(url, link.get("href").strip())
        if kind not in FEED_TYPES or _SITE_COMMENTS.search(urlsplit(href).path):
            continue
        own_feed = href.rstrip("/") == page.rstrip("/") + "/feed"
        if own_feed or (_COMMENT_FEED_TITLE.search(link.get("title") or "") and href.startswith(page)):
            found.append(StructuredSource("wp-feed", href))
            break
    for href in tree.xpath("//link/@href | //a/@href"):
        if _BLOGGER.search(href):
            found.append(StructuredSource("blogger-feed", urljoin(url, href.strip())))
            break
    return found


_COMMENT_PAGES = re.compile(r"/comment-page-\d+|[?&]cpage=\d+|[?&]commentPage=\d+", re.IGNORECASE)


def comments_paginated(tree: lxml.html.HtmlElement) -> bool:
    """True when the page links further pages of its comment thread (WordPress `comment-page-2`, `cpage=2`)."""
    return any(_COMMENT_PAGES.search(href) for href in tree.xpath("//a/@href"))


def _utc(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _comment(post: PostRef, cid: str, text: str, via: str, **fields: Any) -> DocumentRecord:
    parent = fields.pop("parent", None)
    return DocumentRecord(
        kind="comment",
        source_id=post.source_id,
        url=f"{post.url.split('#', 1)[0]}#comment-{cid}",
        canonical_url=comment_url(post.canonical_url, cid),
        text=text,
        own=post.own,
        parent_url=post.canonical_url,
        lang=post.lang,
        via=via,
        meta={"reply_to": comment_url(post.canonical_url, parent)} if parent else {},
        **fields,
    )


def rest_items(body: bytes) -> list[Any] | None:
    """The items of a REST answer; None for anything but a JSON list (an error object, an HTML page)."""
    try:
        items = json.loads(body)
    except ValueError:
        return None
    return items if isinstance(items, list) else None


def _rest_comments(body: bytes, post: PostRef) -> list[DocumentRecord] | None:
    items = rest_items(body)
    if items is None:
        return None
    docs = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            continue
        text = html_to_text((item.get("content") or {}).get("rendered"))
        if not text:
            continue
        parent = str(item.get("parent") or "") or None
        published = _utc(item.get("date_gmt")) or _utc(item.get("date"))
        author = (item.get("author_name") or "").strip()[:200] or None
        docs.append(
            _comment(
                post,
                str(item["id"]),
                text,
                "comment-rest",
                author=author,
                published_at=published,
                parent=parent,
            )
        )
    return docs


def _feed_parent(entry: Any) -> str | None:
    """The comment replied to: thr:in-reply-to naming a comment, or Blogger's rel=related link."""
    reply = entry.get("thr_in-reply-to") or {}
    for ref in (reply.get("href"), reply.get("ref")):
        if ref and "#" in ref:
            return comment_id_from(ref.split("#", 1)[1])
    for link in entry.get("links", []) or []:
        if link.get("rel") == "related" and "/comments/" in (link.get("href") or ""):
            return comment_id_from(link["href"].rstrip("/"))
    return None


def _feed_comments(body: bytes, url: str, post: PostRef) -> list[DocumentRecord] | None:
    parsed = parse_feed(body, url)
    if not parsed.is_feed:
        return None
    feed = parsed.data.get("feed", {})
    docs = []
    for entry in parsed.entries:
        doc = comment_record(entry, feed, post.source_id, url, post.canonical_url, own=post.own)
        if doc is None or not doc.text:
            continue
        cid = doc.canonical_url.rsplit("#comment-", 1)[-1]
        docs.append(
            _comment(
                post,
                cid,
                doc.text,
                "comment-feed",
                author=doc.author,
                published_at=doc.published_at,
                guid=doc.guid,
                parent=_feed_parent(entry),
            )
        )
    return docs


def read_comments(source: StructuredSource, body: bytes, post: PostRef) -> list[DocumentRecord] | None:
    """The comments in a structured source's response; None when it is not what the method expects."""
    try:
        if source.method == "wp-rest":
            return _rest_comments(body, post)
        return _feed_comments(body, source.url, post)
    except Exception as exc:  # hostile data must never end a crawl: fall back to the HTML
        log.info("unreadable %s comments at %s: %s", source.method, source.url, exc)
        return None


def next_rest_page(source: StructuredSource, page: int, got: int, total_pages: str | None) -> str | None:
    """The URL of the next page of REST comments, or None when this was the last."""
    if source.method != "wp-rest" or page >= MAX_REST_PAGES:
        return None
    if total_pages is not None:
        return _with_page(source.url, page + 1) if total_pages.isdigit() and page < int(total_pages) else None
    return _with_page(source.url, page + 1) if got >= REST_PAGE_SIZE else None


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["page"] = str(page)
    return urlunsplit(parts._replace(query=urlencode(query)))


def post_ref(source_id: str, documents: list[dict[str, Any]], own: bool) -> PostRef | None:
    """The post among a page's document dicts (`DocumentRecord.to_json`)."""
    post = next((d for d in documents if d.get("kind") == "post"), None)
    if post is None:
        return None
    return PostRef(source_id, post["url"], post["canonical_url"], own, post.get("lang"))


def use_structured(method: str, found: int, html_found: int) -> bool:
    """REST pages through every comment; a feed may list only the newest, so it must not have fewer."""
    return method == "wp-rest" or found >= html_found
