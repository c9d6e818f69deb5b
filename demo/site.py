"""One served blog: its URLs, its publication state and the routing of a path to a Response."""

from __future__ import annotations

import bisect
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from . import feeds, render, wpapi
from .model import Blog, Post, PostSeq, slugify
from .render import THEMES_DIR
from .sites import SiteSpec

_CACHE_SIZE = 512
PAGE_SUFFIX = "page/{n}/"
RSS_TYPE = "application/rss+xml"
_PAGED = re.compile(r"^(?P<base>.*?)/page/(?P<n>\d+)/$")


@dataclass(frozen=True)
class Response:
    """A rendered resource; the ETag is a strong hash of the body."""

    body: bytes
    content_type: str
    last_modified: datetime
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (X-WP-Total...)
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"')


def placeholder_draft(blog: Blog) -> Post:
    """A stand-in draft for a layout with drafts whose content file has none."""
    when = blog.posts[0].published if len(blog.posts) else datetime.now(UTC)
    german = blog.lang == "de"
    text = "Interner Entwurf, noch nicht freigegeben." if german else "Internal draft, not yet approved."
    return Post(
        slug="entwurf-naechste-ausgabe" if german else "draft-next-issue",
        title="Entwurf: Themen der nächsten Ausgabe" if german else "Draft: topics for the next issue",
        author=blog.authors[0].name if blog.authors else blog.name,
        published=when,
        summary=text,
        body=(text,),
        draft=True,
    )


class SiteIndex(NamedTuple):
    """Positions (newest first) of the posts per tag slug and per author slug."""

    tags: dict[str, list[int]]
    tag_names: dict[str, str]
    authors: dict[str, list[int]]
    last_modified: datetime


class SiteState:
    """An immutable snapshot of what a site shows; replaced as a whole when posts are published."""

    def __init__(self, posts: PostSeq, version: int = 0, changed_at: datetime | None = None) -> None:
        self.posts = posts
        self.version = version
        self.changed_at = changed_at

    @cached_property
    def index(self) -> SiteIndex:
        """Tags, tag names and authors of the published posts, built once per snapshot."""
        tags: dict[str, list[int]] = {}
        names: dict[str, str] = {}
        authors: dict[str, list[int]] = {}
        newest = datetime(1970, 1, 1, tzinfo=UTC)
        for i, post in enumerate(self.posts):
            for tag in post.tags:
                names.setdefault(slugify(tag), tag)
                tags.setdefault(slugify(tag), []).append(i)
            authors.setdefault(slugify(post.author), []).append(i)
            newest = max(newest, post.last_activity)
        return SiteIndex(tags, names, authors, max(newest, self.changed_at or newest))

    @property
    def last_modified(self) -> datetime:
        """The newest post/comment date, or the last publication if later."""
        return self.index.last_modified

    def at(self, positions: Sequence[int]) -> list[Post]:
        return [self.posts[i] for i in positions]

    def related(self, post: Post, limit: int = 3) -> list[Post]:
        """Up to `limit` posts nearest in time sharing the first tag, topped up with the nearest others."""
        here = self.posts.find(post.slug)
        if here is None:
            return []
        picks = _nearest(self.index.tags.get(slugify(post.tags[0]), []) if post.tags else [], here, limit)
        for extra in _nearest(range(len(self.posts)), here, limit * 2):
            if len(picks) < limit and extra not in picks:
                picks.append(extra)
        return self.at(sorted(picks))


def _nearest(pool: Sequence[int], here: int, limit: int) -> list[int]:
    """The `limit` positions of the sorted `pool` closest to `here` (excluding it)."""
    start = bisect.bisect_left(pool, here)
    window = pool[max(0, start - limit) : start + limit + 1]
    return sorted((p for p in window if p != here), key=lambda p: abs(p - here))[:limit]


class Site:
    """A blog as served on its own origin."""

    def __init__(self, blog: Blog, spec: SiteSpec, base_url: str = "") -> None:
        self.blog = blog
        self.spec = spec
        self.base_url = base_url.rstrip("/")
        self._lock = threading.Lock()
        self._published: list[Post] = []
        self._state = SiteState(blog.posts)
        self.drafts: tuple[Post, ...] = blog.drafts or ((placeholder_draft(blog),) if spec.drafts else ())
        self._cache: OrderedDict[tuple[int, str], Response | None] = OrderedDict()

    # --- URLs -----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    def post_path(self, post: Post) -> str:
        if post.draft:
            return f"/drafts/{post.slug}/"
        when = post.published
        return self.spec.scheme.post.format(
            slug=post.slug, year=f"{when.year:04d}", month=f"{when.month:02d}", author=slugify(post.author)
        )

    def post_url(self, post: Post) -> str:
        return self.url(self.post_path(post))

    def tag_url(self, tag: str) -> str:
        return self.url(self.spec.scheme.tag.format(key=slugify(tag)))

    def author_url(self, name: str) -> str:
        return self.url(self.spec.scheme.author.format(key=slugify(name)))

    def comment_feed_url(self, post: Post) -> str:
        return self.post_url(post) + "feed/"

    @staticmethod
    def page_path(listing_path: str, page: int) -> str:
        """Path of page `page` of a listing (page 1 is the listing itself)."""
        if page <= 1:
            return listing_path
        return listing_path.rstrip("/") + "/" + PAGE_SUFFIX.format(n=page)

    @property
    def feed_url(self) -> str | None:
        path = self.spec.feed_path
        return self.url(path) if path else None

    @property
    def comments_feed_url(self) -> str | None:
        return self.url("/comments/feed/") if self.spec.comment_feeds else None

    # --- state ----------------------------------------------------------------------------------
    @property
    def state(self) -> SiteState:
        return self._state

    @property
    def reserve_left(self) -> int:
        return len(self.blog.reserve) - len(self._published)

    def publish(self, n: int = 1) -> list[str]:
        """Publish the next `n` reserve posts; returns their URLs (empty when none are left)."""
        with self._lock:
            new = list(self.blog.reserve[len(self._published) : len(self._published) + max(n, 0)])
            if not new:
                return []
            self._published.extend(new)
            old = self._state
            changed = max(datetime.now(UTC), old.last_modified + timedelta(seconds=1))
            self._state = SiteState(self.blog.posts.with_extra(self._published), old.version + 1, changed)
            self._cache.clear()
        return [self.post_url(p) for p in new]

    # --- serving --------------------------------------------------------------------------------
    def get(self, path: str) -> Response | None:
        """The resource at `path` (None: 404), cached per state version."""
        state = self._state
        key = (state.version, path)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        response = self._route(path, state)
        with self._lock:
            if state is self._state:
                self._cache[key] = response
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return response

    def _html(self, text: str, last_modified: datetime) -> Response:
        charset = self.spec.charset
        body = text.encode(charset, errors="xmlcharrefreplace")
        return Response(body, f"text/html; charset={charset}", last_modified)

    def _static_routes(self) -> dict[str, tuple[Callable[[SiteState], str | bytes], str]]:
        spec = self.spec
        css = THEMES_DIR / spec.theme / "style.css"
        routes: dict[str, tuple[Callable[[SiteState], str | bytes], str]] = {
            "/robots.txt": (lambda s: feeds.robots(self), "text/plain"),
            "/sitemap.xml": (lambda s: feeds.sitemap(self, s), "application/xml"),
            spec.scheme.css: (lambda s: css.read_bytes(), "text/css"),
        }
        if spec.feed_path:
            routes[spec.feed_path] = (lambda s: feeds.main_feed(self, s), f"application/{spec.feed}+xml")
        if spec.comment_feeds:
            routes["/comments/feed/"] = (lambda s: feeds.comments_rss(self, s, None), RSS_TYPE)
        return routes

    def _route(self, path: str, state: SiteState) -> Response | None:
        if self.spec.wp_api and path.startswith(wpapi.API_PREFIX):
            return wpapi.route(self, state, path)
        static = self._static_routes().get(path)
        if static is not None:
            make, kind = static
            body = make(state)
            data = body.encode("utf-8") if isinstance(body, str) else body
            return Response(data, f"{kind}; charset=utf-8", state.last_modified)
        return self._listing(path, state) or self._article(path, state)

    def _listing(self, path: str, state: SiteState) -> Response | None:
        paged = _PAGED.match(path)
        candidates = (
            [(path, 1)]
            if paged is None
            else [(paged["base"] + "/", int(paged["n"])), (paged["base"], int(paged["n"]))]
        )
        for listing_path, page in candidates:
            target = self._listing_target(listing_path)
            if target is not None and self.page_path(listing_path, page) == path:
                html = render.listing(self, state, target[0], target[1], listing_path, page)
                return None if html is None else self._html(html, state.last_modified)
        return None

    def _listing_target(self, listing_path: str) -> tuple[str, str] | None:
        """(kind, key) of a listing path: ("home", ""), ("tag", slug) or ("author", slug)."""
        if listing_path == "/":
            return "home", ""
        scheme = self.spec.scheme
        for kind, template in (("tag", scheme.tag), ("author", scheme.author)):
            match = scheme.pattern(template).match(listing_path)
            if match:
                return kind, match["key"]
        return None

    def _article(self, path: str, state: SiteState) -> Response | None:
        suffix = "feed/" if self.spec.comment_feeds and path.endswith("/feed/") else ""
        post_path = path[: len(path) - len(suffix)]
        post = self._find_post(post_path, state)
        if post is None:
            return None
        if suffix:
            return Response(
                feeds.comments_rss(self, state, post).encode(),
                f"{RSS_TYPE}; charset=utf-8",
                post.last_activity,
            )
        return self._html(render.article(self, state, post), post.last_activity)

    def _find_post(self, path: str, state: SiteState) -> Post | None:
        if self.spec.drafts and path.startswith("/drafts/"):
            return next((p for p in self.drafts if self.post_path(p) == path), None)
        match = self.spec.scheme.pattern(self.spec.scheme.post).match(path)
        if match is None:
            return None
        index = state.posts.find(match["slug"])
        post = None if index is None else state.posts[index]
        return post if post is not None and self.post_path(post) == path else None
