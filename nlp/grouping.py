"""Emerging topics (clusters of recent external documents) and reader-question groups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import numpy as np

from .clustering import ClusterParams, group_items
from .labels import Embed
from .models import ModelSet
from .records import Cluster, ClusterDoc, ClusterResult

# Agglomerative clustering on USE-m embeddings keeps German and English posts on one story together; a topic
# is listed when at least 3 posts from at least 2 distinct blogs carry it (one blog's series is not a market
# topic), the rest is the outlier bucket.
EMERGING_PARAMS = ClusterParams(distance_threshold=0.5, min_size=3, min_sources=2, match_similarity=0.75)
# Questions: one intent per group. Average linkage stops at a mean cosine of 0.55 between members, and a member
# whose cosine to its group's centroid is below 0.6 is split off and stays alone.
QUESTION_PARAMS = ClusterParams(
    distance_threshold=0.45,
    min_size=1,
    member_similarity=0.6,
    join_similarity=None,  # every question is in a group (min_size 1): nothing to join
    match_similarity=0.8,
    top_keywords=5,
)
RECENT_DAYS = 14


def emerging_params(min_posts: int | None = None, min_blogs: int | None = None) -> ClusterParams:
    """The emerging-topic parameters with the configured minimum posts and distinct blogs per topic."""
    return replace(
        EMERGING_PARAMS,
        min_size=EMERGING_PARAMS.min_size if min_posts is None else min_posts,
        min_sources=EMERGING_PARAMS.min_sources if min_blogs is None else min_blogs,
    )


def find_emerging_topics(
    docs: Sequence[ClusterDoc],
    known: Sequence[Cluster] = (),
    params: ClusterParams = EMERGING_PARAMS,
    embed: Embed | None = None,
) -> ClusterResult:
    """Cluster recent documents; clusters continuing a known topic keep its id; labels need `embed` for relevance."""
    return group_items(docs, known, params, prefix="et", embed=embed)


def recent_share(
    cluster: Cluster, days: dict[str, str | None], today: date, recent_days: int = RECENT_DAYS
) -> float:
    """Share of a topic's documents published in the last `recent_days` days (1.0 = all new)."""
    since = (today - timedelta(days=recent_days)).isoformat()
    dated = [days[m] for m in cluster.members if days.get(m)]
    return round(sum(d >= since for d in dated) / len(dated), 3) if dated else 0.0


def mask_terms(text: str, terms: Sequence[str]) -> str:
    """The text without the company and brand names (with hyphenated suffixes such as "Kontor-Team").

    Nearly every question to the company names it, so the names carry no intent but pull unrelated questions
    together in embedding space; questions are embedded without them.
    """
    names = sorted({t.strip() for t in terms if t and t.strip()}, key=len, reverse=True)
    if not names:
        return text
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")(?:-\w+)?\b", re.IGNORECASE)
    return " ".join(pattern.sub(" ", text).split()) or text


def embed_texts(texts: Sequence[str], models: ModelSet) -> list:
    """Embeddings of short texts (questions) with the configured embedding model."""
    return list(models.features(list(texts)).embedding(models.spec.embedding)) if texts else []


def phrase_embedder(models: ModelSet) -> Embed:
    """Key phrases → embeddings with the same encoder as the documents (for label relevance)."""

    def embed(phrases: Sequence[str]) -> np.ndarray:
        return models.features(list(phrases)).embedding(models.spec.embedding)

    return embed


def group_questions(
    questions: Sequence[ClusterDoc], known: Sequence[Cluster] = (), params: ClusterParams = QUESTION_PARAMS
) -> ClusterResult:
    """Group questions by intent across languages; each group's label is its most typical question."""
    return group_items(questions, known, params, prefix="qg")
