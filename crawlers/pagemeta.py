"""What a page says about itself: canonical URL, type, dates, language, feeds, links."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import lxml.html

from .dates import parse_any
from .urls import canonical_url

log = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "article",
        "blogposting",
        "newsarticle",
        "posting",
        "socialmediaposting",
        "reportagenewsarticle",
        "techarticle",
        "scholarlyarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
    }
)
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
_SKIP_LINK = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|tiff?|pdf|zip|gz|tgz|rar|7z|mp[34]|m4a|avi|mov|webm|wav|ogg|"
    r"woff2?|ttf|eot|css|js|exe|dmg|iso|docx?|xlsx?|pptx?)$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class PageMeta:
    """Signals read from a page's markup (cheap: no main-text extraction)."""

    url: str
    canonical_url: str
    og_type: str | None = None
    ld_types: set[str] = field(default_factory=set)
    published: datetime | None = None
    author: str | None = None
    title: str | None = None
    lang: str | None = None
    feeds: list[str] = field(default_factory=list)

    @property
    def declares_article(self) -> bool:
        """og:type article or a JSON-LD Article/BlogPosting."""
        return (self.og_type or "").lower() == "article" or bool(self.ld_types & ARTICLE_TYPES)

    @property
    def declares_listing(self) -> bool:
        return (self.og_type or "").lower() in (
            "website",
            "blog",
            "profile",
        ) and not self.ld_types & ARTICLE_TYPES


def _first(tree: lxml.html.HtmlElement, xpath: str) -> str | None:
    for value in tree.xpath(xpath):
        value = str(value).strip()
        if value:
            return value
    return None


def _ld_objects(data: Any) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _ld_objects(data.get("@graph"))


def _ld_name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() if value else None


def _read_json_ld(tree: lxml.html.HtmlElement, meta: PageMeta) -> None:
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        for obj in _ld_objects(data):
            kinds = obj.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            names = {str(k).rsplit("/", 1)[-1].lower() for k in kinds if k}
            meta.ld_types |= names
            if names & ARTICLE_TYPES:
                meta.published = meta.published or parse_any(str(obj.get("datePublished") or ""))
                meta.author = meta.author or _ld_name(obj.get("author"))
                meta.title = meta.title or _ld_name(obj.get("headline"))


def read_meta(tree: lxml.html.HtmlElement, url: str) -> PageMeta:
    """Canonical URL, og:type, JSON-LD types, published date, author, language and feed links of a page."""
    canonical = _first(tree, '//link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href')
    meta = PageMeta(url=url, canonical_url=canonical_url(url, canonical))
    meta.og_type = _first(tree, '//meta[@property="og:type" or @name="og:type"]/@content')
    _read_json_ld(tree, meta)
    meta.published = meta.published or parse_any(
        _first(
            tree,
            '//meta[@property="article:published_time" or @name="article:published_time" '
            'or @itemprop="datePublished" or @name="date" or @name="dc.date" or @name="DC.date"]/@content',
        )
    )
    if not meta.author:
        names = tree.xpath('//meta[@name="author" or @property="article:author"]/@content')
        meta.author = next((n.strip() for n in names if n.strip() and "://" not in n), None)
    meta.title = meta.title or _first(tree, '//meta[@property="og:title"]/@content')
    lang = _first(tree, "/html/@lang | /html/@xml:lang") or _first(
        tree, '//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content'
    )
    if not lang:
        locale = _first(tree, '//meta[@property="og:locale"]/@content')
        lang = locale.replace("_", "-") if locale else None
    meta.lang = lang.split(",")[0].strip().lower()[:12] if lang else None
    for link in tree.xpath('//link[@href][contains(concat(" ", normalize-space(@rel), " "), " alternate ")]'):
        if (link.get("type") or "").lower().split(";")[0].strip() in FEED_TYPES:
            meta.feeds.append(urljoin(url, link.get("href").strip()))
    return meta


def iter_links(tree: lxml.html.HtmlElement, base_url: str) -> Iterator[str]:
    """Absolute http(s) URLs of `<a href>` links, without fragments, skipping media and downloads."""
    base = _first(tree, "//base/@href")
    base_url = urljoin(base_url, base) if base else base_url
    origin = base_url[: base_url.find("/", base_url.find("//") + 2) + 1] or base_url
    seen: set[str] = set()
    hrefs: set[str] = set()
    for href in tree.xpath("//a/@href"):
        href = str(href).strip()
        if href in hrefs or not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue  # pages repeat their navigation, tag and related-post links
        hrefs.add(href)
        # an absolute or root-relative link resolves the same against any page of the origin: memoised
        absolute = _link(origin if href.startswith(("/", "http://", "https://")) else base_url, href)
        if absolute and absolute not in seen:
            seen.add(absolute)
            yield absolute


@lru_cache(maxsize=1 << 16)
def _link(base_url: str, href: str) -> str:
    """The followable absolute URL of a link ("" to skip it), memoised across the pages of a worker."""
    try:
        absolute = urljoin(base_url, href).split("#", 1)[0]
    except ValueError:  # e.g. an invalid IPv6 literal
        return ""
    if not absolute.startswith(("http://", "https://")):
        return ""
    if _SKIP_LINK.search(absolute.split("?", 1)[0]) or "replytocom=" in absolute:
        return ""
    return absolute
