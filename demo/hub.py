"""The hub at the base port: an index of every blog, /opml.xml, /sites.json and /healthz."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from .render import render_template
from .site import Response, Site


def describe(site: Site) -> dict[str, Any]:
    """What a client needs to configure a blog as a source."""
    return {
        "slug": site.blog.slug,
        "name": site.blog.name,
        "lang": site.blog.lang,
        "own": site.blog.own,
        "theme": site.spec.theme,
        "url": site.url("/"),
        "feed": site.feed_url,
        "feed_kind": site.spec.feed,
        "full_content": site.spec.full_content if site.feed_url else None,
        "comments_feed": site.comments_feed_url,
        "sitemap": site.url("/sitemap.xml"),
        "robots": site.url("/robots.txt"),
        "disallow": list(site.spec.disallow),
        "posts": len(site.state.posts),
        "reserve_left": site.reserve_left,
    }


class Hub:
    """Resources of the hub origin (read-only; publishing is handled by the server)."""

    def __init__(self, sites: Sequence[Site], anchor: date, url: Callable[[], str]) -> None:
        self.sites = sites
        self.anchor = anchor
        self._url = url
        self.started = datetime.now(UTC).replace(microsecond=0)

    def get(self, path: str) -> Response | None:
        """The hub resource at `path`, or None (404)."""
        hub_url = self._url()
        if path in ("/", "/index.html"):
            html = render_template("_hub/index.html", sites=self.sites, anchor=self.anchor, hub_url=hub_url)
            return Response(html.encode(), "text/html; charset=utf-8", self._last_modified())
        if path == "/opml.xml":
            xml = render_template("_hub/opml.xml", sites=self.sites, created=self._last_modified())
            return Response(xml.encode(), "text/x-opml; charset=utf-8", self._last_modified())
        if path == "/sites.json":
            data = {
                "anchor": self.anchor.isoformat(),
                "hub": hub_url,
                "sites": [describe(s) for s in self.sites],
            }
            return json_response(data, self._last_modified())
        if path == "/healthz":
            return json_response({"status": "ok", "sites": len(self.sites)}, self.started)
        return None

    def _last_modified(self) -> datetime:
        """The newest change of any blog (stable across restarts)."""
        return max((s.state.last_modified for s in self.sites), default=self.started)


def json_response(data: Any, last_modified: datetime, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Response(body, "application/json; charset=utf-8", last_modified, status)
