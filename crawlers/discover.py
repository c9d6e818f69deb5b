"""Source discovery for `resonanz add-feed` / `add-site`: a page's feed, a feed's or a site's title."""

from __future__ import annotations

from dataclasses import dataclass, field

from .feedparse import parse_feed
from .feeds import FEED_ACCEPT, check_feed_response
from .http import Fetched, FetchError, HttpSettings, TransientFetchError, fetch, make_client
from .pagemeta import read_meta
from .text import decode_html, parse_html

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


class DiscoveryError(Exception):
    """The URL could not be read, or has no feed; the message names the URL and the cause."""


@dataclass(slots=True)
class Discovered:
    """What a URL is: the feed it is or names (`feed_url`, `feed_title`), its page title, other feeds."""

    url: str
    feed_url: str | None = None
    feed_title: str | None = None
    page_title: str | None = None
    feeds: list[str] = field(default_factory=list)  # every feed the page names


def _get(url: str, http: HttpSettings, accept: str) -> Fetched:
    try:
        with make_client(http) as client:
            return fetch(client, url, http, accept=accept)
    except (FetchError, TransientFetchError) as exc:
        raise DiscoveryError(str(exc)) from exc


def _feed_title(fetched: Fetched) -> tuple[bool, str | None]:
    """(is it a feed, its title)."""
    try:
        check_feed_response(fetched)
    except FetchError:
        return False, None
    parsed = parse_feed(fetched.body, fetched.final_url, fetched.headers)
    return parsed.is_feed, (parsed.data.get("feed", {}).get("title") or "").strip() or None


def _page(fetched: Fetched) -> tuple[str | None, list[str]]:
    """(title, feed URLs) of an HTML page."""
    html, _ = decode_html(fetched.body, fetched.content_type or None)
    tree = parse_html(html)
    if tree is None:
        return None, []
    meta = read_meta(tree, fetched.final_url)
    titles = tree.xpath("//meta[@property='og:site_name']/@content") or tree.xpath("//title/text()")
    title = " ".join(titles[0].split()) if titles else meta.title
    return title or None, list(dict.fromkeys(meta.feeds))


def discover(url: str, http: HttpSettings | None = None) -> Discovered:
    """Read `url`: a feed as it is, or a page with the first feed it names (`<link rel="alternate">`) that parses."""
    http = http or HttpSettings()
    fetched = _get(url, http, FEED_ACCEPT)
    is_feed, title = _feed_title(fetched)
    if is_feed:
        return Discovered(url, url, title, feeds=[url])
    page_title, feeds = _page(fetched)
    found = Discovered(url, page_title=page_title, feeds=feeds)
    for candidate in feeds:
        try:
            is_feed, title = _feed_title(_get(candidate, http, FEED_ACCEPT))
        except DiscoveryError:
            continue
        if is_feed:
            found.feed_url, found.feed_title = candidate, title
            break
    return found


def page_title(url: str, http: HttpSettings | None = None) -> Discovered:
    """A page's title and the feeds it names (for `add-site`)."""
    fetched = _get(url, http or HttpSettings(), PAGE_ACCEPT)
    title, feeds = _page(fetched)
    return Discovered(url, page_title=title, feeds=feeds)
