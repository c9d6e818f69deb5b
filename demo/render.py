"""HTML pages of the demo blogs: the Jinja environment, filters and page contexts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from .model import BERLIN, Comment, Post, slugify

if TYPE_CHECKING:
    from .site import Site, SiteState

THEMES_DIR = Path(__file__).resolve().parent / "themes"

MONTHS = {
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
LABELS: dict[str, dict[str, str]] = {
    "de": {
        "comments": "Kommentare",
        "reply": "Antworten",
        "read_more": "Weiterlesen",
        "older": "Ältere Beiträge",
        "newer": "Neuere Beiträge",
        "tags": "Schlagwörter",
        "related": "Das könnte Sie auch interessieren",
        "recent": "Neueste Beiträge",
        "by": "von",
        "share": "Teilen",
        "search": "Suche",
        "leave_comment": "Schreibe einen Kommentar",
        "submit": "Kommentar abschicken",
        "name": "Name",
        "about": "Über den Autor",
        "newsletter": "Newsletter abonnieren",
        "home": "Startseite",
        "cookie": "Wir verwenden Cookies, um Ihnen die bestmögliche Nutzung unserer Website zu ermöglichen.",
        "accept": "Alle akzeptieren",
        "decline": "Nur notwendige",
        "imprint": "Impressum",
        "privacy": "Datenschutz",
        "contact": "Kontakt",
        "posts_by": "Beiträge von",
        "tagged": "Schlagwort",
        "drafts": "Entwürfe",
        "no_comments": "Noch keine Kommentare.",
        "page": "Seite",
    },
    "en": {
        "comments": "Comments",
        "reply": "Reply",
        "read_more": "Read more",
        "older": "Older posts",
        "newer": "Newer posts",
        "tags": "Tags",
        "related": "Related posts",
        "recent": "Recent posts",
        "by": "by",
        "share": "Share",
        "search": "Search",
        "leave_comment": "Leave a reply",
        "submit": "Post comment",
        "name": "Name",
        "about": "About the author",
        "newsletter": "Subscribe to the newsletter",
        "home": "Home",
        "cookie": "We use cookies to give you the best experience on our website.",
        "accept": "Accept all",
        "decline": "Essential only",
        "imprint": "Imprint",
        "privacy": "Privacy",
        "contact": "Contact",
        "posts_by": "Posts by",
        "tagged": "Tag",
        "drafts": "Drafts",
        "no_comments": "No comments yet.",
        "page": "Page",
    },
}


def long_date(value: datetime, lang: str = "de") -> str:
    """'12. Oktober 2026' / 'October 12, 2026'."""
    local = value.astimezone(BERLIN)
    month = MONTHS.get(lang, MONTHS["en"])[local.month - 1]
    return f"{local.day}. {month} {local.year}" if lang == "de" else f"{month} {local.day}, {local.year}"


def short_date(value: datetime, lang: str = "de") -> str:
    """'12. Okt. 2026' / 'Oct 12, 2026' (the medium style)."""
    local = value.astimezone(BERLIN)
    month = MONTHS.get(lang, MONTHS["en"])[local.month - 1][:3]
    return f"{local.day}. {month}. {local.year}" if lang == "de" else f"{month} {local.day}, {local.year}"


def numeric_date(value: datetime) -> str:
    """'12.10.2026 um 14:03 Uhr' (the handmade comment header)."""
    local = value.astimezone(BERLIN)
    return f"{local:%d.%m.%Y} um {local:%H:%M} Uhr"


def iso(value: datetime) -> str:
    return value.astimezone(BERLIN).isoformat(timespec="seconds")


def clock(value: datetime) -> str:
    return f"{value.astimezone(BERLIN):%H:%M}"


def reading_time(paragraphs: Sequence[str]) -> int:
    """Minutes to read at 200 words a minute (at least 1)."""
    return max(1, round(sum(len(p.split()) for p in paragraphs) / 200))


def rfc822(value: datetime) -> str:
    return format_datetime(value)


def cdata(html: str) -> Markup:
    """Wrap HTML in a CDATA section (as WordPress does for content:encoded)."""
    return Markup("<![CDATA[" + str(html).replace("]]>", "]]]]><![CDATA[>") + "]]>")


def body_html(paragraphs: Sequence[str], p_class: str = "") -> Markup:
    """Plain-text paragraphs to HTML: '## ' → h2, runs of '- ' → ul, anything else → p."""
    p_open = f'<p class="{p_class}">' if p_class else "<p>"
    out: list[str] = []
    items: list[str] = []
    for para in [*paragraphs, ""]:
        if para.startswith("- "):
            items.append(f"<li>{escape(para[2:].strip())}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if para.startswith("## "):
            out.append(f"<h2>{escape(para[3:].strip())}</h2>")
        elif para.strip():
            out.append(f"{p_open}{escape(para.strip())}</p>")
    return Markup("\n".join(out))


def comment_html(comment: Comment) -> Markup:
    """The comment text as paragraphs, escaped as a well-behaved CMS does.

    The hostile comment's `<script>` therefore reaches readers (and crawlers) as visible text:
    exactly what a dashboard that renders scraped text as HTML would execute.
    """
    parts = [p.strip() for p in comment.text.split("\n") if p.strip()]
    return Markup("".join(f"<p>{escape(p)}</p>" for p in parts))


@dataclass
class Node:
    """A comment with its replies."""

    comment: Comment
    depth: int = 0
    children: list[Node] = field(default_factory=list)


def thread(comments: Sequence[Comment]) -> list[Node]:
    """Comments as a tree by reply_to; a reply to an unknown or later comment becomes top-level."""
    nodes: dict[str, Node] = {}
    roots: list[Node] = []
    for c in sorted(comments, key=lambda c: c.published):
        parent = nodes.get(c.reply_to or "")
        node = nodes[c.id] = Node(c, parent.depth + 1 if parent else 0)
        (parent.children if parent else roots).append(node)
    return roots


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(THEMES_DIR),
        autoescape=select_autoescape(["html", "xml", "opml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        long_date=long_date,
        short_date=short_date,
        numeric_date=numeric_date,
        iso=iso,
        body_html=body_html,
        comment_html=comment_html,
        slugify=slugify,
        clock=clock,
        reading_time=reading_time,
        rfc822=rfc822,
        cdata=cdata,
    )
    env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)
    return env


ENV = _environment()


def render_template(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)


def wp_post_id(site: Site, post: Post) -> int:
    """The numeric post id a WordPress blog would give the post (`?p=N`, `postid-N`, REST `post=N`)."""
    digest = hashlib.sha1(f"{site.blog.slug}/{post.slug}".encode()).hexdigest()
    return int(digest[:6], 16) % 90000 + 100


def json_ld(site: Site, post: Post) -> Markup:
    """schema.org BlogPosting for the article's <script type="application/ld+json">."""
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.summary,
        "url": site.post_url(post),
        "mainEntityOfPage": site.post_url(post),
        "datePublished": iso(post.published),
        "dateModified": iso(post.last_activity),
        "inLanguage": site.blog.lang,
        "keywords": ", ".join(post.tags),
        "author": {"@type": "Person", "name": post.author, "url": site.author_url(post.author)},
        "publisher": {"@type": "Organization", "name": site.blog.name, "url": site.url("/")},
        "commentCount": len(post.comments),
    }
    return Markup(json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/"))


def language(site: Site) -> str:
    """The blog's language if labels exist for it, else English."""
    return site.blog.lang if site.blog.lang in LABELS else "en"


def _common(site: Site, state: SiteState) -> dict[str, Any]:
    lang = language(site)
    top_tags = sorted(state.index.tags.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:15]
    return {
        "site": site,
        "blog": site.blog,
        "spec": site.spec,
        "t": LABELS[lang],
        "lang": lang,
        "recent": [state.posts[i] for i in range(min(5, len(state.posts)))],
        "tag_cloud": [(state.index.tag_names[key], len(ids)) for key, ids in top_tags],
        "authors": site.blog.authors,
        "drafts": site.drafts if site.spec.drafts else (),
    }


def listing(site: Site, state: SiteState, kind: str, key: str, path: str, page: int) -> str | None:
    """Home, tag or author page number `page`; None when the tag/author/page does not exist."""
    positions: Sequence[int]
    if kind == "home":
        positions, title = range(len(state.posts)), site.blog.name
    elif kind == "tag" and key in state.index.tags:
        positions, title = state.index.tags[key], state.index.tag_names[key]
    elif kind == "author" and key in state.index.authors:
        positions = state.index.authors[key]
        title = state.posts[positions[0]].author
    else:
        return None
    size = site.spec.page_size
    pages = max(1, -(-len(positions) // size))
    if page > pages:
        return None
    posts = [state.posts[i] for i in positions[(page - 1) * size : page * size]]
    heading = title if kind == "home" else f"{title} – {site.blog.name}"
    return render_template(
        f"{site.spec.theme}/listing.html",
        **_common(site, state),
        kind=kind,
        title=title,
        posts=posts,
        page=page,
        pages=pages,
        page_title=heading if page == 1 else f"{heading} – {LABELS[language(site)]['page']} {page}",
        description=site.blog.tagline,
        page_url=lambda n: site.url(site.page_path(path, n)),
        canonical=site.url(site.page_path(path, page)),
        prev_url=site.url(site.page_path(path, page - 1)) if page > 1 else None,
        next_url=site.url(site.page_path(path, page + 1)) if page < pages else None,
        author=site.blog.author(title) if kind == "author" else None,
    )


def article(site: Site, state: SiteState, post: Post) -> str:
    """The article page of `post`, comments included."""
    here = state.posts.find(post.slug)
    newer = state.posts[here - 1] if here is not None and here > 0 else None
    older = state.posts[here + 1] if here is not None and here + 1 < len(state.posts) else None
    return render_template(
        f"{site.spec.theme}/article.html",
        **_common(site, state),
        post=post,
        page_title=f"{post.title} – {site.blog.name}",
        description=post.summary,
        author=site.blog.author(post.author),
        canonical=site.post_url(post),
        comments=thread(post.comments),
        related=state.related(post) if not post.draft else [],
        newer=newer,
        older=older,
        json_ld=json_ld(site, post) if site.spec.json_ld else None,
        post_id=wp_post_id(site, post),
        comment_embed=comment_embed(site, state, post),
    )


def comment_embed(site: Site, state: SiteState, post: Post) -> str | None:
    """The script-only comment system this post shows instead of its comments (`SiteSpec.comment_embed`)."""
    here = state.posts.find(post.slug)
    if site.spec.comment_embed and here is not None and here >= len(state.posts) - site.spec.embed_oldest:
        return site.spec.comment_embed
    return None
