"""Emerging topics (clusters of recent external documents) and reader-question groups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from .clustering import ClusterParams, group_items
from .models import ModelSet
from .records import Cluster, ClusterDoc, ClusterResult

# Agglomerative clustering on USE-m embeddings keeps German and English posts on one story together
# (measured on the demo blogs; HDBSCAN left most short-lived stories as outliers).
EMERGING_PARAMS = ClusterParams(distance_threshold=0.5, min_size=3, match_similarity=0.75)
QUESTION_PARAMS = ClusterParams(distance_threshold=0.6, min_size=1, match_similarity=0.8, top_keywords=5)
RECENT_DAYS = 14


def find_emerging_topics(
    docs: Sequence[ClusterDoc], known: Sequence[Cluster] = (), params: ClusterParams = EMERGING_PARAMS
) -> ClusterResult:
    """Cluster recent documents (most recent first); clusters continuing a known topic keep its id."""
    return group_items(docs, known, params, prefix="et")


def recent_share(
    cluster: Cluster, days: dict[str, str | None], today: date, recent_days: int = RECENT_DAYS
) -> float:
    """Share of a topic's documents published in the last `recent_days` days (1.0 = all new)."""
    since = (today - timedelta(days=recent_days)).isoformat()
    dated = [days[m] for m in cluster.members if days.get(m)]
    return round(sum(d >= since for d in dated) / len(dated), 3) if dated else 0.0


def embed_texts(texts: Sequence[str], models: ModelSet) -> list:
    """Embeddings of short texts (questions) with the configured embedding model."""
    return list(models.features(list(texts)).embedding(models.spec.embedding)) if texts else []


def group_questions(
    questions: Sequence[ClusterDoc], known: Sequence[Cluster] = (), params: ClusterParams = QUESTION_PARAMS
) -> ClusterResult:
    """Group questions by meaning across languages; each group is labelled by its most typical question."""
    return group_items(questions, known, params, prefix="qg")
