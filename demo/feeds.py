"""Machine-readable resources of a demo blog: RSS, Atom, comment feeds, sitemap, robots.txt."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .model import Comment, Post
from .render import body_html, comment_html, language, render_template, wp_post_id

if TYPE_CHECKING:
    from .site import Site, SiteState

COMMENT_FEED_ITEMS = 50
# Extra robots.txt groups per theme, as the real systems ship them.
ROBOTS_EXTRA = {
    "wordpress": "Allow: /wp-admin/admin-ajax.php\n",
    "corporate": "Allow: /wp-admin/admin-ajax.php\n",
}


def guid(site: Site, post: Post) -> str:
    """The item id the blog system would emit: WordPress ?p=N, Ghost hex ids, Medium /p/ ids, else the URL."""
    digest = hashlib.sha1(f"{site.blog.slug}/{post.slug}".encode()).hexdigest()
    theme = site.spec.theme
    if theme in ("wordpress", "corporate"):
        return site.url(f"/?p={wp_post_id(site, post)}")
    if theme == "ghost":
        return digest[:24]
    if theme == "medium":
        return f"https://medium.com/p/{digest[:12]}"
    return site.post_url(post)


def _feed_posts(site: Site, state: SiteState) -> list[Post]:
    return [state.posts[i] for i in range(min(site.spec.feed_items, len(state.posts)))]


def main_feed(site: Site, state: SiteState) -> str:
    """The blog's RSS 2.0 or Atom feed (full content or summary only, as the layout says)."""
    spec = site.spec
    xml = render_template(
        f"_feeds/{spec.feed}.xml",
        site=site,
        blog=site.blog,
        spec=spec,
        posts=_feed_posts(site, state),
        updated=state.last_modified,
        feed_url=site.feed_url,
        guid=guid,
        body_html=body_html,
    )
    return break_feed(xml) if spec.malformed_feed else xml


def break_feed(xml: str) -> str:
    """Make a feed ill-formed the way careless blog scripts do: a bare '&' and an undefined entity."""
    xml = re.sub(r"(<channel>\s*<title>)([^<]*)", r"\1\2 & Co", xml, count=1)
    return re.sub(r"(<item>\s*<title>)([^<]*)", r"\1\2&nbsp;", xml)


def _comment_items(site: Site, state: SiteState, post: Post | None) -> Iterator[tuple[Post, Comment]]:
    if post is not None:
        yield from ((post, c) for c in sorted(post.comments, key=lambda c: c.published, reverse=True))
        return
    pairs = [(p, c) for p in state.posts for c in p.comments]
    yield from sorted(pairs, key=lambda pc: pc[1].published, reverse=True)[:COMMENT_FEED_ITEMS]


def comments_rss(site: Site, state: SiteState, post: Post | None) -> str:
    """RSS of the comments on one post (`<post>/feed/`) or on the whole blog (`/comments/feed/`)."""
    items = []
    for parent_post, comment in _comment_items(site, state, post):
        post_url = site.post_url(parent_post)
        in_reply_to = f"{post_url}#comment-{comment.reply_to}" if comment.reply_to else post_url
        items.append(
            {
                "post": parent_post,
                "comment": comment,
                "url": f"{post_url}#comment-{comment.id}",
                "in_reply_to": in_reply_to,
                "html": comment_html(comment),
            }
        )
    lang = language(site)
    return render_template(
        "_feeds/comments.xml",
        site=site,
        blog=site.blog,
        post=post,
        items=items,
        lang=lang,
        de=lang == "de",
        updated=post.last_activity if post else state.last_modified,
        self_url=site.comment_feed_url(post) if post else site.comments_feed_url,
    )


def sitemap(site: Site, state: SiteState) -> str:
    """sitemap.xml: the home page and every published post with its last change."""
    return render_template("_feeds/sitemap.xml", site=site, posts=state.posts, updated=state.last_modified)


def robots(site: Site) -> str:
    """robots.txt with the layout's Disallow lines and the Sitemap line."""
    return render_template(
        "_feeds/robots.txt",
        disallow=site.spec.disallow,
        extra=ROBOTS_EXTRA.get(site.spec.theme, ""),
        sitemap=site.url("/sitemap.xml"),
    )
