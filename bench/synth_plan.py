"""The plan of a synthetic warehouse: every source and document as numbers (numpy/pandas), seeded.

Posts and comments over `span_days` up to `anchor`, from a few big blogs and a long tail (Zipf), one
own blog with busy comment threads, texts recombined from the demo content (realistic length and
language), labels for the nlp tables and emerging-topic bursts. `bench.synth_sql` writes it.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from importlib import resources

import numpy as np
import pandas as pd

from demo.generate import ContentPool
from demo.model import load_blogs
from nlp.questions import QuestionRules

log = logging.getLogger(__name__)

POST_SHARE = 0.35  # of all documents; the rest are comments
OWN_POSTS = 150  # the own blog: about three posts a week, whatever the size of the market
OWN_COMMENTS_PER_POST = 8
EXT_ZIPF = 1.1  # source sizes: a few big blogs, a long tail
EMERGING_DAYS = 56  # what the clustering looks back on (models.emerging_days)
EMERGING_SHARE = 0.6  # of recent external posts that belong to an emerging topic
SENTIMENT_POSTS = (0.15, 0.55, 0.30)  # negative, neutral, positive
SENTIMENT_COMMENTS = (0.25, 0.40, 0.35)
CONTROVERSIAL = (0.60, 0.25, 0.15)  # comments under a controversial own post
LANGS = ("de", "en")


def example_settings() -> dict:
    """The example config (taxonomy, brand keywords): what the app is shown with."""
    return tomllib.loads(
        resources.files("resonanz").joinpath("example-config.toml").read_text(encoding="utf-8")
    )


@dataclass(frozen=True)
class SynthSpec:
    """What to generate; the same spec always gives the same warehouse."""

    n_docs: int
    seed: int = 0
    anchor: date = date(2026, 11, 20)
    span_days: int = 365
    n_sources: int | None = None  # default: 20 + n_docs / 5000
    with_enrichment: bool = True
    run_every_hours: int = 2  # one pipeline run (and one fetch_log row per source) this often
    refresh: bool = True  # rebuild the app's aggregates at the end

    @property
    def sources(self) -> int:
        return self.n_sources or 20 + self.n_docs // 5000

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(datetime.combine(self.anchor, time(6), tzinfo=UTC))

    @property
    def end64(self) -> np.datetime64:
        """`end` as a naive UTC datetime64 (the plan computes in those)."""
        return self.end.tz_localize(None).to_datetime64()


@dataclass
class Pool:
    """Texts to draw from (demo content), as small frames keyed by index."""

    texts: pd.DataFrame  # idx, text — post texts of both languages, then comment texts
    post_range: dict[str, tuple[int, int]]  # language → [first, last) index of its post texts
    comment_range: dict[str, tuple[int, int]]
    questions: pd.DataFrame  # text_idx, question, group_idx — the question sentences of comment texts
    titles: pd.DataFrame  # idx, lang, title
    people: pd.DataFrame  # idx, name
    keywords: list[str]


@dataclass
class Corpus:
    """The planned warehouse content as frames of numbers (joined with the pool in SQL)."""

    sources: pd.DataFrame
    docs: pd.DataFrame
    emerging: pd.DataFrame
    pool: Pool
    topics: list[str]
    brand: list[str]
    rows: dict[str, int] = field(default_factory=dict)


def build_pool(anchor: date, min_paragraphs: int = 4, max_paragraphs: int = 12) -> Pool:
    """Post texts (runs of consecutive demo paragraphs), comment texts, titles, people and questions."""
    content = ContentPool.from_blogs(load_blogs(None, anchor))
    texts: list[str] = []
    post_range, comment_range = {}, {}
    for lang in LANGS:
        paragraphs = content.paragraphs[lang]
        first = len(texts)
        for start in range(len(paragraphs)):
            for n in range(min_paragraphs, max_paragraphs + 1):
                texts.append("\n\n".join(paragraphs[(start + k) % len(paragraphs)] for k in range(n)))
        post_range[lang] = (first, len(texts))
    rules = QuestionRules()
    questions = []
    for lang in LANGS:
        first = len(texts)
        for text in content.comments[lang]:
            for question in rules.questions(text)[:1]:
                questions.append((len(texts), question))
            texts.append(text)
        comment_range[lang] = (first, len(texts))
    frame = pd.DataFrame(questions, columns=["text_idx", "question"])
    frame["group_idx"] = np.arange(len(frame)) % max(1, len(frame) // 3)  # about three phrasings per group
    titles = [(lang, t) for lang in LANGS for t in content.titles[lang]]
    return Pool(
        texts=pd.DataFrame({"idx": np.arange(len(texts)), "text": texts}),
        post_range=post_range,
        comment_range=comment_range,
        questions=frame,
        titles=pd.DataFrame(
            {"idx": np.arange(len(titles)), "lang": [t[0] for t in titles], "title": [t[1] for t in titles]}
        ),
        people=pd.DataFrame({"idx": np.arange(len(content.people)), "name": content.people}),
        keywords=sorted({w for lang in LANGS for w in content.tags.get(lang, [])}),
    )


def _choice(rng: np.random.Generator, n: int, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    p = None if weights is None else weights / weights.sum()
    return rng.choice(n, size=size, p=p) if size else np.zeros(0, dtype=np.int64)


def _plan_sources(spec: SynthSpec, rng: np.random.Generator, n_topics: int) -> pd.DataFrame:
    n = spec.sources
    ids = ["kontor-blog"] + [f"blog-{k:04d}" for k in range(1, n)]
    failing = rng.random(n) < 0.04
    failing[0] = False
    fav = rng.integers(0, n_topics, size=(n, 2))
    return pd.DataFrame(
        {
            "idx": np.arange(n),
            "source_id": ids,
            "name": ["Kontor Blog"] + [f"Blog {k}" for k in range(1, n)],
            "kind": ["own_blog"] + ["feed" if k % 3 else "site" for k in range(1, n)],
            "host": ["blog.kontor.example"] + [f"blog-{k:04d}.example" for k in range(1, n)],
            "own": np.arange(n) == 0,
            "lang": np.where(rng.random(n) < 0.6, 0, 1).astype(np.int8),
            "failures": np.where(failing, rng.integers(1, 7, size=n), 0),
            "fav1": fav[:, 0],
            "fav2": fav[:, 1],
            "authors": rng.integers(1, 5, size=n),
        }
    )


def _plan_emerging(spec: SynthSpec, rng: np.random.Generator, pool: Pool) -> pd.DataFrame:
    n = int(np.clip(spec.n_docs // 4000, 15, 250))
    end = spec.end64
    start = end - pd.to_timedelta(rng.uniform(0, EMERGING_DAYS + 14, size=n), unit="D").to_numpy()
    length = pd.to_timedelta(rng.uniform(5, 40, size=n), unit="D").to_numpy()
    words = rng.choice(len(pool.keywords), size=(n, 8))
    keywords = [[pool.keywords[w] for w in row] for row in words]
    return pd.DataFrame(
        {
            "k": np.arange(n),
            "topic_id": [f"et-synth{k:05d}" for k in range(n)],
            "label": [" · ".join(k[:3]) for k in keywords],
            "keywords": keywords,
            "start": start,
            "stop": np.minimum(start + length, end),
            "weight": 1 / np.arange(1, n + 1) ** 0.9,
        }
    )


def _sentiment(rng: np.random.Generator, n: int, probs: tuple[float, float, float]) -> np.ndarray:
    return rng.choice(3, size=n, p=probs).astype(np.int8)


def plan_corpus(spec: SynthSpec) -> Corpus:
    """Every document and source as numbers: who, when, which text, which labels."""
    rng = np.random.default_rng(spec.seed)
    settings = example_settings()
    topics = [t["name"] for t in settings["topics"]]
    pool = build_pool(spec.anchor)
    sources = _plan_sources(spec, rng, len(topics))
    emerging = _plan_emerging(spec, rng, pool)
    end, span = spec.end64, pd.Timedelta(days=spec.span_days)

    n_posts = max(OWN_POSTS * 2, round(spec.n_docs * POST_SHARE))
    own_posts = min(OWN_POSTS, n_posts // 10)
    zipf = 1 / np.arange(1, len(sources)) ** EXT_ZIPF
    post_source = np.concatenate(
        [np.zeros(own_posts, dtype=np.int64), 1 + _choice(rng, len(sources) - 1, n_posts - own_posts, zipf)]
    )
    post_time = end - pd.to_timedelta(rng.random(n_posts) * span.total_seconds(), unit="s").to_numpy()
    # recent external posts: most belong to an emerging topic and move into its active window
    recent = (post_source > 0) & (post_time > end - np.timedelta64(EMERGING_DAYS, "D"))
    linked = recent & (rng.random(n_posts) < EMERGING_SHARE)
    post_topic = np.full(n_posts, -1)
    post_topic[linked] = _choice(rng, len(emerging), int(linked.sum()), emerging["weight"].to_numpy())
    t0 = emerging["start"].to_numpy()[post_topic[linked]]
    t1 = emerging["stop"].to_numpy()[post_topic[linked]]
    post_time[linked] = t0 + (t1 - t0) * rng.random(int(linked.sum()))

    n_comments = max(0, spec.n_docs - n_posts)
    own_comments = min(n_comments, own_posts * OWN_COMMENTS_PER_POST)
    engagement = rng.lognormal(0.0, 1.0, size=n_posts) * np.where(post_topic >= 0, 2.0, 1.0)
    parent = np.concatenate(
        [
            _choice(rng, own_posts, own_comments, engagement[:own_posts]),
            own_posts + _choice(rng, n_posts - own_posts, n_comments - own_comments, engagement[own_posts:]),
        ]
    )
    delay = pd.to_timedelta(rng.exponential(1.5, size=n_comments), unit="D").to_numpy()
    comment_time = np.minimum(post_time[parent] + delay, end - np.timedelta64(1, "m"))

    lang_of = sources["lang"].to_numpy()
    post_lang = lang_of[post_source] ^ (rng.random(n_posts) < 0.03)
    comment_lang = post_lang[parent] ^ (rng.random(n_comments) < 0.03)
    controversial = rng.random(own_posts) < 0.15
    comment_sentiment = _sentiment(rng, n_comments, SENTIMENT_COMMENTS)
    hot = (parent < own_posts) & np.isin(parent, np.flatnonzero(controversial))
    comment_sentiment[hot] = _sentiment(rng, int(hot.sum()), CONTROVERSIAL)
    fav = sources[["fav1", "fav2"]].to_numpy()[post_source, rng.integers(0, 2, size=n_posts)]
    post_primary = np.where(rng.random(n_posts) < 0.7, fav, rng.integers(0, len(topics), size=n_posts))
    comment_primary = np.where(
        rng.random(n_comments) < 0.7, post_primary[parent], rng.integers(0, len(topics), size=n_comments)
    )
    n = n_posts + n_comments
    docs = pd.DataFrame(
        {
            "i": np.arange(n),
            "is_comment": np.arange(n) >= n_posts,
            "source_idx": np.concatenate([post_source, post_source[parent]]),
            "post_i": np.concatenate([np.arange(n_posts), parent]),
            "published_at": pd.to_datetime(np.concatenate([post_time, comment_time])).tz_localize(UTC),
            "lang": np.concatenate([post_lang, comment_lang]).astype(np.int8),
            "text_idx": np.concatenate(
                [_texts(rng, pool.post_range, post_lang), _texts(rng, pool.comment_range, comment_lang)]
            ),
            "title_idx": np.concatenate([_titles(rng, pool, post_lang), np.full(n_comments, -1)]),
            "author_idx": np.concatenate(
                [
                    (
                        post_source * 7
                        + rng.integers(0, 99, size=n_posts) % sources["authors"].to_numpy()[post_source]
                    )
                    % len(pool.people),
                    rng.integers(0, len(pool.people), size=n_comments),
                ]
            ),
            "sentiment": np.concatenate([_sentiment(rng, n_posts, SENTIMENT_POSTS), comment_sentiment]),
            "confidence": rng.uniform(0.4, 0.95, size=n).astype(np.float32),
            "topic1": np.concatenate([post_primary, comment_primary]).astype(np.int16),
            "topic2": np.where(rng.random(n) < 0.4, rng.integers(0, len(topics), size=n), -1).astype(
                np.int16
            ),
            "emerging": np.concatenate([post_topic, np.full(n_comments, -1)]).astype(np.int32),
        }
    )
    return Corpus(sources, docs, emerging, pool, topics, list(settings["company"]["brand_keywords"]))


def _texts(rng: np.random.Generator, ranges: dict[str, tuple[int, int]], lang: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lang), dtype=np.int64)
    for code, name in enumerate(LANGS):
        first, last = ranges[name]
        mask = lang == code
        out[mask] = rng.integers(first, last, size=int(mask.sum()))
    return out


def _titles(rng: np.random.Generator, pool: Pool, lang: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lang), dtype=np.int64)
    for code, name in enumerate(LANGS):
        choices = pool.titles.index[pool.titles["lang"] == name].to_numpy()
        mask = lang == code
        out[mask] = rng.choice(choices, size=int(mask.sum()))
    return out
