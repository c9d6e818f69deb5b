"""Blogs, posts and comments of the demo blogosphere, loaded from demo/content/<slug>.json."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol, overload
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
CONTENT_DIR = Path(__file__).resolve().parent / "content"
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


class ContentError(ValueError):
    """A content file that cannot be served; the message names the file and the key."""


def slugify(text: str) -> str:
    """Lowercase ASCII slug with hyphens (umlauts transliterated)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def today_berlin() -> date:
    """Today's date in Europe/Berlin (the default anchor)."""
    return datetime.now(BERLIN).date()


def post_time(anchor: date, days_ago: int, hour: float) -> datetime:
    """Anchor date minus days_ago, at `hour` o'clock Berlin time."""
    midnight = datetime.combine(anchor - timedelta(days=days_ago), time(0), tzinfo=BERLIN)
    return midnight + timedelta(hours=hour)


def later(start: datetime, hours: float) -> datetime:
    """`start` plus `hours` of real (UTC) time, expressed in Berlin time."""
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(BERLIN)


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    bio: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    author: str
    published: datetime
    text: str
    reply_to: str | None = None
    hostile: bool = False


@dataclass(frozen=True, slots=True)
class Post:
    slug: str
    title: str
    author: str
    published: datetime
    summary: str
    body: tuple[str, ...]
    tags: tuple[str, ...] = ()
    theme: str = ""
    comments: tuple[Comment, ...] = ()
    reserve: bool = False
    draft: bool = False

    @property
    def last_activity(self) -> datetime:
        """The newest of the post's and its comments' dates."""
        return max([self.published, *(c.published for c in self.comments)])


class PostSeq(Protocol):
    """Posts newest first, findable by slug; real blogs hold a list, synthetic ones generate lazily."""

    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> Post: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Post]: ...
    def __iter__(self) -> Iterator[Post]: ...
    def find(self, slug: str) -> int | None: ...
    def with_extra(self, extra: Sequence[Post]) -> PostSeq: ...


class PostList(Sequence[Post]):
    """An in-memory PostSeq (sorted newest first on construction)."""

    def __init__(self, posts: Iterable[Post]) -> None:
        self._posts = sorted(posts, key=lambda p: p.published, reverse=True)
        self._index = {p.slug: i for i, p in enumerate(self._posts)}

    def __len__(self) -> int:
        return len(self._posts)

    def __getitem__(self, index: Any) -> Any:
        return self._posts[index]

    def find(self, slug: str) -> int | None:
        return self._index.get(slug)

    def with_extra(self, extra: Sequence[Post]) -> PostList:
        return PostList([*self._posts, *extra])


@dataclass(frozen=True)
class Blog:
    """One blog: metadata, the posts published at start, reserve posts and drafts."""

    slug: str
    name: str
    tagline: str
    lang: str
    own: bool
    authors: tuple[Author, ...]
    posts: PostSeq
    reserve: tuple[Post, ...] = ()
    drafts: tuple[Post, ...] = ()
    authors_by_slug: dict[str, Author] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "authors_by_slug", {a.slug: a for a in self.authors})

    def author(self, name: str) -> Author:
        """The author called `name` (a bare Author when the blog does not list them)."""
        return self.authors_by_slug.get(slugify(name)) or Author(name)


def _need(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ContentError(f"{where}: missing key {key!r}")
    return data[key]


def _comment(data: dict[str, Any], posted: datetime, where: str) -> Comment:
    where = f"{where} comment {data.get('id')!r}"
    reply_to = data.get("reply_to")
    return Comment(
        id=str(_need(data, "id", where)),
        author=str(_need(data, "author", where)),
        published=later(posted, float(_need(data, "hours_after", where))),
        text=str(_need(data, "text", where)),
        reply_to=None if reply_to in (None, "") else str(reply_to),
        hostile=bool(data.get("hostile", False)),
    )


def _post(data: dict[str, Any], anchor: date, where: str) -> Post:
    where = f"{where} post {data.get('slug')!r}"
    posted = post_time(anchor, int(_need(data, "days_ago", where)), float(_need(data, "hour", where)))
    return Post(
        slug=str(_need(data, "slug", where)),
        title=str(_need(data, "title", where)),
        author=str(_need(data, "author", where)),
        published=posted,
        summary=str(data.get("summary", "")),
        body=tuple(str(p) for p in _need(data, "body", where)),
        tags=tuple(str(t) for t in data.get("tags", [])),
        theme=str(data.get("theme", "")),
        comments=tuple(_comment(c, posted, where) for c in data.get("comments", [])),
        reserve=bool(data.get("reserve", False)),
        draft=bool(data.get("draft", False)),
    )


def blog_from_dict(data: dict[str, Any], anchor: date, where: str = "blog") -> Blog:
    """Build a Blog from the JSON structure of CONTENT-SPEC.md."""
    posts = [_post(p, anchor, where) for p in _need(data, "posts", where)]
    return Blog(
        slug=str(_need(data, "slug", where)),
        name=str(_need(data, "name", where)),
        tagline=str(data.get("tagline", "")),
        lang=str(data.get("lang", "de")),
        own=bool(data.get("own", False)),
        authors=tuple(Author(str(a["name"]), str(a.get("bio", ""))) for a in data.get("authors", [])),
        posts=PostList(p for p in posts if not (p.reserve or p.draft)),
        reserve=tuple(p for p in posts if p.reserve and not p.draft),
        drafts=tuple(p for p in posts if p.draft),
    )


def load_blog(path: Path, anchor: date) -> Blog:
    """Load one content file; errors name the file and the key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ContentError(f"{path}: unreadable ({exc})") from exc
    try:
        return blog_from_dict(data, anchor, where=str(path))
    except ContentError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ContentError(f"{path}: {exc!r}") from exc


def load_blogs(content_dir: Path | None = None, anchor: date | None = None) -> list[Blog]:
    """Every `*.json` blog in `content_dir` (default demo/content), sorted by file name."""
    folder = Path(content_dir) if content_dir is not None else CONTENT_DIR
    when = anchor or today_berlin()
    return [load_blog(path, when) for path in sorted(folder.glob("*.json"))]
