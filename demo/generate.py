"""A seeded synthetic blogosphere of N article pages for benchmarks, recombined from the real demo content.

Posts are generated on demand from (seed, blog, index), so 100k pages need no 100k objects up front:
`DemoWeb(blogs=synthetic_blogs(5000, seed=1)).start()` serves them like the real blogs.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from .model import (
    BERLIN,
    Author,
    Blog,
    Comment,
    ContentError,
    Post,
    PostSeq,
    later,
    load_blogs,
    slugify,
    today_berlin,
)

CACHE_POSTS = 4096
POSTS_PER_BLOG = 250
TAGS_PER_BLOG = 10
COMMENT_COUNTS = (0, 0, 1, 2, 3, 4, 6, 9)


@dataclass
class ContentPool:
    """Pieces of the real content, per language, to recombine."""

    paragraphs: dict[str, list[str]] = field(default_factory=dict)
    headings: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, list[str]] = field(default_factory=dict)
    summaries: dict[str, list[str]] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    comments: dict[str, list[str]] = field(default_factory=dict)
    people: list[str] = field(default_factory=list)

    @classmethod
    def from_blogs(cls, blogs: Sequence[Blog]) -> ContentPool:
        pool = cls()
        people: set[str] = set()
        for blog in blogs:
            for post in [*blog.posts, *blog.reserve]:
                pool._add(
                    blog.lang,
                    paragraphs=[p for p in post.body if not p.startswith(("## ", "- "))],
                    headings=[p for p in post.body if p.startswith("## ")],
                    titles=[post.title],
                    summaries=[post.summary],
                    tags=list(post.tags),
                    comments=[c.text for c in post.comments if not c.hostile],
                )
                people.update(c.author for c in post.comments)
            people.update(a.name for a in blog.authors)
        pool.tags = {lang: sorted(set(tags)) for lang, tags in pool.tags.items()}
        pool.people = sorted(people)
        if not pool.paragraphs or not pool.people:
            raise ContentError("synthetic blogs: no content to recombine (is demo/content empty?)")
        return pool

    def _add(self, lang: str, **items: list[str]) -> None:
        for kind, values in items.items():
            getattr(self, kind).setdefault(lang, []).extend(values)

    @property
    def languages(self) -> list[str]:
        return sorted(lang for lang in self.paragraphs if self.titles.get(lang))


def _post(
    pool: ContentPool, blog: _BlogPlan, index: int, when: datetime, seed: int, reserve: bool = False
) -> Post:
    """Post `index` of `blog`, the same for the same seed."""
    rng = random.Random(f"{seed}:{blog.slug}:{index}:{reserve}")
    lang = blog.lang
    title = rng.choice(pool.titles[lang])
    body = rng.sample(pool.paragraphs[lang], k=min(len(pool.paragraphs[lang]), rng.randint(4, 7)))
    if pool.headings.get(lang) and rng.random() < 0.6:
        body.insert(rng.randint(1, len(body)), rng.choice(pool.headings[lang]))
    texts = pool.comments.get(lang) or pool.comments.get("en") or [""]
    comments: list[Comment] = []
    hours = 0.0
    for number in range(1, rng.choice(COMMENT_COUNTS) + 1):
        hours += rng.uniform(0.5, 30)
        parent = str(rng.randint(1, number - 1)) if number > 1 and rng.random() < 0.3 else None
        comments.append(
            Comment(str(number), rng.choice(pool.people), later(when, hours), rng.choice(texts), parent)
        )
    tags = blog.tags or ("Blog",)
    return Post(
        slug=f"{slugify(title)[:48].strip('-')}-{'r' if reserve else ''}{index}",
        title=title,
        author=rng.choice(blog.authors).name,
        published=when,
        summary=rng.choice(pool.summaries[lang]),
        body=tuple(body),
        tags=tuple(rng.sample(tags, k=min(len(tags), rng.randint(1, 3)))),
        comments=tuple(comments),
        reserve=reserve,
    )


@dataclass(frozen=True)
class _BlogPlan:
    slug: str
    lang: str
    authors: tuple[Author, ...]
    tags: tuple[str, ...]  # the blog's own small vocabulary (keeps tag pages at a realistic share)


class LazyPosts(Sequence[Post]):
    """`count` synthetic posts, newest first, one every `span / count` before the anchor day."""

    def __init__(
        self, pool: ContentPool, plan: _BlogPlan, count: int, seed: int, anchor: date, span_days: int
    ) -> None:
        self._pool, self._plan, self._count, self._seed = pool, plan, count, seed
        self._start = datetime.combine(anchor, time(0), tzinfo=BERLIN).astimezone(UTC)
        self._step = timedelta(days=span_days) / max(count, 1)
        self._make = lru_cache(maxsize=CACHE_POSTS)(self._generate)

    def _generate(self, index: int) -> Post:
        when = (self._start - self._step * (index + 1)).astimezone(BERLIN).replace(second=0, microsecond=0)
        return _post(self._pool, self._plan, index, when, self._seed)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._make(index)

    def find(self, slug: str) -> int | None:
        tail = slug.rpartition("-")[2]
        if not tail.isdigit() or int(tail) >= self._count:
            return None
        return int(tail) if self._make(int(tail)).slug == slug else None

    def with_extra(self, extra: Sequence[Post]) -> PostSeq:
        return _Chained(sorted(extra, key=lambda p: p.published, reverse=True), self)


class _Chained(Sequence[Post]):
    """Published reserve posts (all newer than the lazy ones) followed by the lazy posts."""

    def __init__(self, head: list[Post], tail: LazyPosts) -> None:
        self._head, self._tail = head, tail

    def __len__(self) -> int:
        return len(self._head) + len(self._tail)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        return self._head[index] if index < len(self._head) else self._tail[index - len(self._head)]

    def __iter__(self) -> Iterator[Post]:
        yield from self._head
        yield from self._tail

    def find(self, slug: str) -> int | None:
        for i, post in enumerate(self._head):
            if post.slug == slug:
                return i
        found = self._tail.find(slug)
        return None if found is None else found + len(self._head)

    def with_extra(self, extra: Sequence[Post]) -> PostSeq:
        return self._tail.with_extra(extra)


def synthetic_blogs(
    n_pages: int,
    seed: int = 0,
    *,
    n_blogs: int | None = None,
    anchor: date | None = None,
    content_dir: Path | None = None,
    span_days: int = 365,
    reserve_per_blog: int = 1,
) -> list[Blog]:
    """Blogs with `n_pages` article pages in total (listing, tag and author pages come on top)."""
    when = anchor or today_berlin()
    pool = ContentPool.from_blogs(load_blogs(content_dir, when))
    languages = pool.languages
    count = n_blogs or max(1, -(-n_pages // POSTS_PER_BLOG))
    blogs = []
    for k in range(count):
        rng = random.Random(f"{seed}:blog:{k}")
        lang = languages[k % len(languages)]
        people = rng.sample(pool.people, k=min(len(pool.people), rng.randint(1, 3)))
        vocabulary = pool.tags.get(lang, [])
        tags = tuple(rng.sample(vocabulary, k=min(len(vocabulary), TAGS_PER_BLOG)))
        plan = _BlogPlan(f"synth-{k + 1:03d}", lang, tuple(Author(name) for name in people), tags)
        size = n_pages // count + (1 if k < n_pages % count else 0)
        reserve_time = datetime.combine(when, time(9), tzinfo=BERLIN)
        blogs.append(
            Blog(
                slug=plan.slug,
                name=f"{tags[0] if tags else 'Blog'} Notes {k + 1}",
                tagline="Synthetic demo blog" if lang == "en" else "Synthetischer Demo-Blog",
                lang=lang,
                own=False,
                authors=plan.authors,
                posts=LazyPosts(pool, plan, size, seed, when, span_days),
                reserve=tuple(
                    _post(pool, plan, r, reserve_time + timedelta(hours=r), seed, reserve=True)
                    for r in range(reserve_per_blog)
                ),
            )
        )
    return blogs
