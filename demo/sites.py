"""Per-blog layout of the demo web: theme, feed, quirks, and the fixed order that fixes the ports."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

FeedKind = Literal["rss", "atom"]


@dataclass(frozen=True)
class UrlScheme:
    """Path patterns of one theme; `{slug}`, `{year}`, `{month}`, `{author}` and `{key}` are filled in."""

    post: str
    tag: str
    author: str
    rss: str
    atom: str
    css: str

    def pattern(self, template: str) -> re.Pattern[str]:
        """A regex matching the paths `template` produces."""
        parts = re.split(r"(\{\w+\})", template)
        groups = {"{year}": r"(?P<year>\d{4})", "{month}": r"(?P<month>\d{2})"}
        regex = "".join(
            groups.get(p, f"(?P<{p[1:-1]}>[^/]+)") if p.startswith("{") else re.escape(p) for p in parts if p
        )
        return re.compile(f"^{regex}$")


# Per theme, space-separated in UrlScheme field order: post, tag, author, rss, atom, css.
_PATHS = {
    "wordpress": "/{year}/{month}/{slug}/ /tag/{key}/ /author/{key}/ /feed/ /feed/atom/ /wp-content/themes/twentyfourteen/style.css",
    "corporate": "/blog/{slug}/ /blog/tag/{key}/ /blog/author/{key}/ /feed/ /feed/atom/ /wp-content/themes/kontor/assets/main.css",
    "ghost": "/{slug}/ /tag/{key}/ /author/{key}/ /rss/ /atom/ /assets/built/screen.css",
    "medium": "/@{author}/{slug} /tag/{key} /@{key} /feed /feed/atom /_/static/main.css",
    "handmade": "/artikel/{slug}.html /schlagwort/{key}/ /autor/{key}/ /rss.xml /atom.xml /style.css",
}
SCHEMES: dict[str, UrlScheme] = {theme: UrlScheme(*paths.split()) for theme, paths in _PATHS.items()}


@dataclass(frozen=True)
class SiteSpec:
    """How one blog is served."""

    slug: str
    theme: str = "wordpress"
    feed: FeedKind | None = "rss"
    full_content: bool = True
    charset: str = "utf-8"
    disallow: tuple[str, ...] = ()
    drafts: bool = False  # serve content drafts under /drafts/<slug>/ and link them from the home page
    malformed_feed: bool = False
    comment_feeds: bool = False  # wfw:commentRss, <post>/feed/ and /comments/feed/
    wp_api: bool = False  # WordPress REST API: /wp-json/wp/v2/comments?post=N, api.w.org link, shortlink
    comment_embed: str | None = None  # "disqus": the `embed_oldest` oldest posts show only a Disqus thread
    embed_oldest: int = 0
    json_ld: bool = False
    feed_items: int = 20
    page_size: int = 10

    @property
    def scheme(self) -> UrlScheme:
        return SCHEMES[self.theme]

    @property
    def feed_path(self) -> str | None:
        if self.feed is None:
            return None
        return self.scheme.rss if self.feed == "rss" else self.scheme.atom


# The fixed order: blog i (0-based) listens on base port + 1 + i, missing content files leave a gap.
SITES: tuple[SiteSpec, ...] = (
    # the own blog's feed carries every post, so each post's wfw:commentRss is discoverable
    SiteSpec(
        "kontor-blog",
        theme="corporate",
        comment_feeds=True,
        json_ld=True,
        disallow=("/wp-admin/",),
        feed_items=100,
    ),
    # a WordPress blog with its structured comment sources: REST API and per-post comment feeds
    SiteSpec(
        "mittelstand-digital",
        theme="wordpress",
        json_ld=True,
        disallow=("/wp-admin/",),
        comment_feeds=True,
        wp_api=True,
    ),
    SiteSpec("rechnungswesen-heute", theme="handmade", feed="atom"),
    SiteSpec("datenschutz-praxis", theme="handmade", feed=None, charset="iso-8859-1"),
    SiteSpec("ki-im-buero", theme="medium"),
    SiteSpec("nachhaltig-wirtschaften", theme="wordpress", feed="atom", full_content=False, json_ld=True),
    SiteSpec("finance-ops-weekly", theme="ghost", full_content=False, json_ld=True),
    SiteSpec("cloud-native-notes", theme="medium"),
    SiteSpec("saas-cfo-desk", theme="wordpress", full_content=False, disallow=("/wp-admin/",)),
    # used Disqus before moving to native comments: its oldest post still shows only the Disqus thread
    SiteSpec(
        "erp-insider",
        theme="ghost",
        drafts=True,
        disallow=("/drafts/", "/ghost/"),
        json_ld=True,
        comment_embed="disqus",
        embed_oldest=1,
    ),
    SiteSpec("procurement-pulse", theme="handmade", malformed_feed=True),
)
_BY_SLUG = {s.slug: s for s in SITES}

# Clean layouts that blogs not in SITES (fixtures, synthetic blogs) take in turn.
_ROTATION: tuple[SiteSpec, ...] = (
    SiteSpec("", theme="wordpress", json_ld=True),
    SiteSpec("", theme="ghost", full_content=False),
    SiteSpec("", theme="medium"),
    SiteSpec("", theme="handmade", feed="atom"),
    SiteSpec("", theme="wordpress", feed="atom", full_content=False),
)


def spec_for(slug: str, extra_index: int = 0) -> SiteSpec:
    """The layout of `slug`; unknown blogs get the `extra_index`-th clean layout in rotation."""
    if slug in _BY_SLUG:
        return _BY_SLUG[slug]
    template = _ROTATION[extra_index % len(_ROTATION)]
    return replace(template, slug=slug)


def port_offsets(slugs: list[str]) -> dict[str, int]:
    """Port offset from the base port per blog: SITES order first (with gaps), then the others."""
    offsets = {s.slug: i + 1 for i, s in enumerate(SITES) if s.slug in slugs}
    extra = [s for s in slugs if s not in _BY_SLUG]
    offsets.update({s: len(SITES) + 1 + i for i, s in enumerate(extra)})
    return offsets
