"""Group embedded items into clusters with c-TF-IDF keywords, keeping cluster ids stable across runs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .encoders import normalize
from .keywords import ctfidf_keywords
from .records import Cluster, ClusterDoc, ClusterResult


@dataclass(frozen=True)
class ClusterParams:
    """How to cluster: agglomerative (average linkage, cosine) or HDBSCAN, then match to known clusters."""

    method: str = "agglomerative"  # agglomerative | hdbscan
    distance_threshold: float = 0.5  # cosine distance at which agglomerative merging stops
    min_size: int = 3  # smaller clusters count as outliers
    match_similarity: float = 0.75  # centroid cosine above which a new cluster continues a known one
    max_items: int = 5000  # the most recent items are clustered; older ones are only assigned
    top_keywords: int = 8
    reduce_dims: int | None = None  # optional PCA before clustering (BERTopic reduces with UMAP)


def cluster_labels(vectors: np.ndarray, params: ClusterParams) -> np.ndarray:
    """Cluster label per row; -1 for outliers (and for members of clusters below min_size)."""
    n = len(vectors)
    if n < 2:
        return np.zeros(n, dtype=int) if params.min_size <= n else np.full(n, -1)
    if n < params.min_size:
        return np.full(n, -1)
    data = vectors
    if params.reduce_dims and params.reduce_dims < min(n, vectors.shape[1]):
        from sklearn.decomposition import PCA

        data = normalize(PCA(params.reduce_dims, random_state=0).fit_transform(vectors))
    if params.method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        labels = HDBSCAN(min_cluster_size=max(2, params.min_size), copy=True).fit_predict(data)
    else:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(
            n_clusters=None, distance_threshold=params.distance_threshold, metric="cosine", linkage="average"
        ).fit_predict(data)
    sizes = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.zeros(0, dtype=int)
    return np.where((labels >= 0) & (sizes[np.maximum(labels, 0)] >= params.min_size), labels, -1)


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


def group_items(
    items: Sequence[ClusterDoc], known: Sequence[Cluster], params: ClusterParams, prefix: str
) -> ClusterResult:
    """Cluster the items, name clusters by c-TF-IDF, and reuse known ids for clusters that continue them."""
    if not items:
        return ClusterResult((), (), 0)
    vectors = normalize(np.stack([i.embedding for i in items]))
    head = slice(0, min(len(items), params.max_items))  # items come most recent first
    labels = np.full(len(items), -1)
    labels[head] = cluster_labels(vectors[head], params)
    found = sorted(set(labels[labels >= 0].tolist()))
    centroids = (
        normalize(np.stack([vectors[labels == c].mean(axis=0) for c in found])) if found else np.zeros((0, 1))
    )
    if len(items) > params.max_items and found:  # older items: nearest centroid if close enough
        tail = vectors[params.max_items :] @ centroids.T
        best = tail.argmax(axis=1)
        close = tail[np.arange(len(best)), best] >= 1 - params.distance_threshold
        labels[params.max_items :] = np.where(close, np.asarray(found)[best], -1)
    texts = [[items[i].text for i in np.flatnonzero(labels == c)] for c in found]
    keywords = ctfidf_keywords(
        texts, [i.text for i, lab in zip(items, labels, strict=True) if lab < 0], params.top_keywords
    )
    old = normalize(np.stack([k.centroid for k in known])) if known else np.zeros((0, vectors.shape[1]))
    matches = match_clusters(centroids, old, params.match_similarity)
    clusters = []
    for j, c in enumerate(found):
        members = np.flatnonzero(labels == c)
        member_ids = [items[i].item_id for i in members]
        closest = members[int(np.argmax(vectors[members] @ centroids[j]))]
        cluster_id = known[matches[j]].cluster_id if j in matches else _new_id(prefix, member_ids)
        words = tuple(keywords[j])
        clusters.append(
            Cluster(
                cluster_id,
                " · ".join(words[:3]) or items[closest].text[:60],
                words,
                tuple(member_ids),
                centroids[j],
                is_new=j not in matches,
                representative=items[closest].text,
            )
        )
    clusters.sort(key=lambda k: -len(k.members))
    outliers = tuple(items[i].item_id for i in np.flatnonzero(labels < 0))
    return ClusterResult(tuple(clusters), outliers, len(items))
