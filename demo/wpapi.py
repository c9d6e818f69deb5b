"""The WordPress REST API of a demo blog (`SiteSpec.wp_api`): `/wp-json/` and `/wp-json/wp/v2/comments`.

Only what a reader (and the crawler) can ask anonymously: the API index and the approved comments
of a post, `?post=N&per_page=K&page=P`, oldest first, with WordPress's field names and the
`X-WP-Total` / `X-WP-TotalPages` counts in the body's headers (`Response.headers`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from .model import BERLIN
from .render import comment_html, wp_post_id

if TYPE_CHECKING:
    from .site import Response, Site, SiteState

API_PREFIX = "/wp-json/"
COMMENTS_ROUTE = "/wp-json/wp/v2/comments"


def _json(data: object, when: datetime, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    from .site import Response

    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, "application/json; charset=UTF-8", when, status, headers or {})


def _int(query: dict[str, list[str]], key: str, default: int) -> int | None:
    value = (query.get(key) or [str(default)])[0]
    return int(value) if value.isdigit() else None


def route(site: Site, state: SiteState, path: str) -> Response | None:
    """The API resource at `path` (with its query string); None when it is no API path."""
    parts = urlsplit(path)
    if parts.path in (API_PREFIX, API_PREFIX.rstrip("/")):
        index = {"name": site.blog.name, "url": site.url("/"), "namespaces": ["wp/v2"]}
        return _json(index, state.last_modified)
    if parts.path.rstrip("/") != COMMENTS_ROUTE:
        return None
    query = parse_qs(parts.query)
    post_id, per_page, page = _int(query, "post", 0), _int(query, "per_page", 10), _int(query, "page", 1)
    if not post_id or not per_page or not page or per_page > 100:
        error = {"code": "rest_invalid_param", "message": "Invalid parameter(s): post, per_page, page"}
        return _json(error, state.last_modified, 400)
    post = next((p for p in state.posts if wp_post_id(site, p) == post_id), None)
    comments = sorted(post.comments, key=lambda c: c.published) if post is not None else []
    pages = max(1, -(-len(comments) // per_page))
    if page > pages:
        error = {
            "code": "rest_comment_invalid_page_number",
            "message": "The page number requested is larger.",
        }
        return _json(error, state.last_modified, 400)
    url = site.post_url(post) if post is not None else ""
    items = [
        {
            "id": int(c.id) if c.id.isdigit() else c.id,
            "post": post_id,
            "parent": (int(c.reply_to) if c.reply_to.isdigit() else c.reply_to) if c.reply_to else 0,
            "author_name": c.author,
            "date": c.published.astimezone(BERLIN).replace(tzinfo=None).isoformat(),
            "date_gmt": c.published.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "content": {"rendered": str(comment_html(c))},
            "link": f"{url}#comment-{c.id}",
            "status": "approved",
            "type": "comment",
        }
        for c in comments[(page - 1) * per_page : page * per_page]
    ]
    headers = {"X-WP-Total": str(len(comments)), "X-WP-TotalPages": str(pages)}
    when = post.last_activity if post is not None else state.last_modified
    return _json(items, when, headers=headers)
