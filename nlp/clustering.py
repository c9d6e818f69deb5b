"""Group embedded items into clusters worth showing, with readable labels, keeping cluster ids stable across runs.

Steps: cluster (average-linkage agglomerative on cosine, exact up to `exact_limit` items, else on k-means
micro-clusters) → split off members farther than `member_similarity` from their cluster (question groups) →
merge clusters whose centroids are near-identical → clusters with fewer than `min_size` items or `min_sources`
distinct sources go to the outlier bucket → an outlier whose mean cosine to a listed cluster's members is at
least `join_similarity` (the linkage criterion) joins it → label (nlp/labels.py) and c-TF-IDF keywords → match to known
clusters (Hungarian on centroid cosine) so ids stay stable.

Complexity for n items of dimension d: exact path O(n²) time and memory (n ≤ exact_limit: at most
exact_limit²/2 distances, 16 MB at 2,000); above it, mini-batch k-means into m = min(micro_clusters, n/10)
micro-clusters, O(n·m·d) time and O(n·d + m²) memory, then the same agglomerative step on the m centroids.
So memory grows linearly with n (the n×d float32 matrix), never quadratically.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .encoders import normalize
from .keywords import ctfidf_keywords
from .labels import Embed, LabelParams, cluster_labels
from .records import Cluster, ClusterDoc, ClusterResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterParams:
    """How to cluster and which clusters are worth showing."""

    method: str = "agglomerative"  # agglomerative | hdbscan
    distance_threshold: float = 0.5  # cosine distance at which average-linkage merging stops
    min_size: int = 3  # smaller clusters go to the outlier bucket
    min_sources: int = 1  # clusters from fewer distinct sources (blogs) go to the outlier bucket
    member_similarity: float | None = None  # members less similar to their centroid stay alone
    merge_similarity: float = 0.9  # clusters whose centroids are at least this similar are merged
    join_similarity: float | None = (
        0.5  # an outlier with this mean cosine to a listed cluster's members joins it
    )
    match_similarity: float = 0.75  # centroid cosine above which a new cluster continues a known one
    exact_limit: int = 2000  # up to this many items the agglomerative step sees every pair
    micro_clusters: int = 1000  # above it: k-means micro-clusters first (at most this many)
    top_keywords: int = 8
    labels: LabelParams = field(default_factory=LabelParams)


def _agglomerative(vectors: np.ndarray, threshold: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=int)
    return AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
    ).fit_predict(vectors)


def _micro_then_agglomerative(vectors: np.ndarray, params: ClusterParams) -> np.ndarray:
    """k-means micro-clusters (linear in n), then average linkage on their centroids."""
    from sklearn.cluster import MiniBatchKMeans

    m = max(2, min(params.micro_clusters, len(vectors) // 10))
    kmeans = MiniBatchKMeans(
        n_clusters=m,
        batch_size=2048,
        max_iter=20,
        n_init=1,
        random_state=0,
        init_size=min(len(vectors), 3 * m),
    )
    micro = kmeans.fit_predict(vectors)
    centres = normalize(kmeans.cluster_centers_.astype(np.float32))
    return _agglomerative(centres, params.distance_threshold)[micro]


def raw_labels(vectors: np.ndarray, params: ClusterParams) -> np.ndarray:
    """A cluster label per row before the outlier rules; -1 where the method itself leaves an outlier."""
    if params.method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        if len(vectors) < max(2, params.min_size):
            return np.full(len(vectors), -1)
        return HDBSCAN(min_cluster_size=max(2, params.min_size), copy=True).fit_predict(vectors)
    if len(vectors) <= params.exact_limit:
        return _agglomerative(vectors, params.distance_threshold)
    log.info(
        "clustering %d items on k-means micro-clusters (exact up to %d)", len(vectors), params.exact_limit
    )
    return _micro_then_agglomerative(vectors, params)


def _relabel(labels: np.ndarray) -> np.ndarray:
    found = sorted(set(labels[labels >= 0].tolist()))
    mapping = {c: i for i, c in enumerate(found)}
    return np.asarray([mapping.get(int(x), -1) for x in labels], dtype=int)


def _centroids(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    if not k:
        return np.zeros((0, vectors.shape[1]), dtype=np.float32)
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels[labels >= 0], vectors[labels >= 0])
    return normalize(sums.astype(np.float32))


def split_far_members(vectors: np.ndarray, labels: np.ndarray, min_similarity: float) -> np.ndarray:
    """Members whose cosine to the centroid of the *other* members is below `min_similarity` stay alone.

    Leave-one-out: a member of a small group is not compared with a centroid it pulls towards itself.
    The farthest member leaves first; repeated until every member is close enough.
    """
    labels = _relabel(labels)
    while True:
        k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
        sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
        np.add.at(sums, labels[labels >= 0], vectors[labels >= 0])
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        inside = np.flatnonzero((labels >= 0) & (sizes[np.maximum(labels, 0)] > 1))
        if not len(inside):
            return labels
        others = normalize((sums[labels[inside]] - vectors[inside]).astype(np.float32))
        similarity = np.einsum("ij,ij->i", vectors[inside], others)
        far = similarity < min_similarity
        if not far.any():
            return labels
        # per group, only its farthest member leaves in this round (the others are re-checked without it)
        leaving = {}
        for i, sim in zip(inside[far], similarity[far], strict=True):
            group = int(labels[i])
            if group not in leaving or sim < leaving[group][1]:
                leaving[group] = (i, sim)
        for n, (i, _) in enumerate(leaving.values()):
            labels[i] = k + n
        labels = _relabel(labels)


def merge_near_identical(vectors: np.ndarray, labels: np.ndarray, min_similarity: float) -> np.ndarray:
    """Union of clusters whose centroids are at least `min_similarity` alike (transitively)."""
    labels = _relabel(labels)
    centroids = _centroids(vectors, labels)
    parent = list(range(len(centroids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    similar = np.argwhere(np.triu(centroids @ centroids.T, k=1) >= min_similarity)
    for a, b in similar:
        parent[root(int(b))] = root(int(a))
    if not len(similar):
        return labels
    return _relabel(np.asarray([root(int(x)) if x >= 0 else -1 for x in labels], dtype=int))


def apply_outlier_rules(
    labels: np.ndarray, sources: Sequence[str | None], params: ClusterParams
) -> np.ndarray:
    """Clusters with fewer than min_size items or min_sources distinct sources go to the outlier bucket (-1)."""
    labels = _relabel(labels)
    keep = np.zeros(int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0, dtype=bool)
    for c in range(len(keep)):
        members = np.flatnonzero(labels == c)
        distinct = {sources[i] or f"item:{i}" for i in members}
        keep[c] = len(members) >= params.min_size and len(distinct) >= params.min_sources
    return _relabel(np.where((labels >= 0) & keep[np.maximum(labels, 0)], labels, -1))


def join_outliers(vectors: np.ndarray, labels: np.ndarray, min_similarity: float) -> np.ndarray:
    """An outlier joins the listed cluster it would have joined by the clustering's own criterion: its mean
    cosine to the cluster's members (the dot product with their unnormalised mean) is at least
    `min_similarity` (1 − the average-linkage threshold). One pass against the listed clusters only — outliers
    that ended in clusters too small or too narrow to list; BERTopic's `reduce_outliers` by embeddings,
    with the linkage bound instead of a free threshold."""
    outside = np.flatnonzero(labels < 0)
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    if not len(outside) or not k:
        return labels
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, labels[labels >= 0], vectors[labels >= 0])
    means = (sums / np.bincount(labels[labels >= 0], minlength=k)[:, None]).astype(np.float32)
    similarity = vectors[outside] @ means.T  # mean cosine of each outlier to each cluster's members
    best = similarity.argmax(axis=1)
    close = similarity[np.arange(len(outside)), best] >= min_similarity
    labels = labels.copy()
    labels[outside[close]] = best[close]
    return labels


def cluster_items(vectors: np.ndarray, sources: Sequence[str | None], params: ClusterParams) -> np.ndarray:
    """Final cluster label per row (0..k-1), -1 for the outlier bucket."""
    if not len(vectors):
        return np.zeros(0, dtype=int)
    labels = raw_labels(vectors, params)
    if params.member_similarity is not None:
        labels = split_far_members(vectors, labels, params.member_similarity)
    labels = merge_near_identical(vectors, labels, params.merge_similarity)
    labels = apply_outlier_rules(labels, sources, params)
    if params.join_similarity is not None:
        labels = join_outliers(vectors, labels, params.join_similarity)
    return labels


def match_clusters(new: np.ndarray, old: np.ndarray, min_similarity: float) -> dict[int, int]:
    """One-to-one matching of new centroids to known ones (Hungarian on cosine), above `min_similarity`."""
    if not len(new) or not len(old):
        return {}
    from scipy.optimize import linear_sum_assignment

    similarity = new @ old.T
    rows, cols = linear_sum_assignment(-similarity)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if similarity[r, c] >= min_similarity}


def _new_id(prefix: str, member_ids: Sequence[str]) -> str:
    return f"{prefix}-{hashlib.sha1('|'.join(sorted(member_ids)).encode()).hexdigest()[:10]}"


def _medoid(vectors: np.ndarray) -> int:
    """The most typical member: highest mean similarity to the others (the centroid's closest for large groups)."""
    if len(vectors) > 500:
        return int(np.argmax(vectors @ normalize(vectors.mean(axis=0, keepdims=True))[0]))
    return int(np.argmax((vectors @ vectors.T).sum(axis=1)))


def group_items(
    items: Sequence[ClusterDoc],
    known: Sequence[Cluster],
    params: ClusterParams,
    prefix: str,
    embed: Embed | None = None,
) -> ClusterResult:
    """Cluster the items, label clusters (key phrases; c-TF-IDF alone without `embed`), reuse known ids."""
    if not items:
        return ClusterResult((), (), 0)
    vectors = normalize(np.stack([np.asarray(i.embedding, dtype=np.float32) for i in items]))
    labels = cluster_items(vectors, [i.source for i in items], params)
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    members = [np.flatnonzero(labels == c) for c in range(k)]
    centroids = _centroids(vectors, labels)
    texts = [[items[i].text for i in m] for m in members]
    outlier_texts = [i.text for i, lab in zip(items, labels, strict=True) if lab < 0]
    keywords = ctfidf_keywords(texts, outlier_texts, params.top_keywords)
    named = cluster_labels(
        texts, [[items[i].lang for i in m] for m in members], centroids, embed, params.labels, outlier_texts
    )
    old = normalize(np.stack([c.centroid for c in known])) if known else np.zeros((0, vectors.shape[1]))
    matches = match_clusters(centroids, old, params.match_similarity)
    clusters = []
    for j, m in enumerate(members):
        member_ids = [items[i].item_id for i in m]
        typical = m[_medoid(vectors[m])]
        titled = [i for i in m if items[i].title]
        central = titled[int(np.argmax(vectors[titled] @ centroids[j]))] if titled else None
        subtitle = items[central].title if central is not None else None
        label = named[j][0] or " · ".join(keywords[j][:3]) or subtitle or items[typical].text[:60]
        clusters.append(
            Cluster(
                known[matches[j]].cluster_id if j in matches else _new_id(prefix, member_ids),
                label,
                tuple(keywords[j]),
                tuple(member_ids),
                centroids[j],
                is_new=j not in matches,
                representative=items[typical].text,
                subtitle=subtitle,
            )
        )
    clusters.sort(key=lambda c: -len(c.members))
    outliers = tuple(items[i].item_id for i in np.flatnonzero(labels < 0))
    return ClusterResult(tuple(clusters), outliers, len(items))
