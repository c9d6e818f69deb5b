"""Emerging-topic clustering vs BERTopic on 10kGNAD dev: same texts, same embeddings, one run.

Usage: python -m bench.eval_clustering [--seeds 5]

Both sides get the builtin USE-m embeddings of the 300 labelled German news articles (cached under
bench/out/cache). Ours: nlp.clustering with the pipeline's emerging-topic parameters (no blogs in this data,
so min_sources = 1), labels by nlp.labels. BERTopic: default settings (UMAP 15 neighbours → 5 dimensions,
HDBSCAN min_cluster_size 10, CountVectorizer, c-TF-IDF), `fit_transform(texts, embeddings)`; UMAP is
stochastic, so it runs with `--seeds` random states and the mean is printed. NMI and ARI are against the 9
section labels over all texts, the outlier bucket counting as one more cluster.

Label quality, both sides: the share of labels with a stop word, number or date word (nlp.labels rules),
and the share of clusters whose label words each occur in ≥ 30 % of the cluster's documents. BERTopic's
label is its default representation: the top 3 c-TF-IDF words. Parameters were fixed before this ran;
10kGNAD (CC BY-NC-SA) is evaluation only.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.common import out_dir
from bench.figures import figure
from nlp.clustering import cluster_items
from nlp.encoders import get_encoder
from nlp.evaldata import default_data_dir, gnad_dev
from nlp.grouping import EMERGING_PARAMS
from nlp.labels import clean_label, cluster_labels, label_support

SUPPORT = 0.3


def embeddings(texts: list[str]) -> np.ndarray:
    """USE-m embeddings of `texts`, cached outside the repository's tracked files."""
    import hashlib

    key = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:16]
    cache = out_dir("cache") / f"gnad-use-{key}.npy"
    if cache.exists():
        return np.load(cache)
    vectors = get_encoder("builtin:use").encode(texts)
    np.save(cache, vectors)
    return vectors


def scores(gold: list[str], labels: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "nmi": normalized_mutual_info_score(gold, labels),
        "ari": adjusted_rand_score(gold, labels),
        "outliers": float(np.mean(labels < 0)),
        "clusters": len(set(labels[labels >= 0].tolist())),
    }


def label_quality(labels: list[str], texts: list[list[str]]) -> dict[str, float]:
    if not labels:
        return {"banned": 0.0, "supported": 0.0}
    return {
        "banned": float(np.mean([bool(clean_label(label)) for label in labels])),
        "supported": float(
            np.mean([label_support(lab, t) >= SUPPORT for lab, t in zip(labels, texts, strict=True)])
        ),
    }


def ours(texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, list[str], list[list[str]]]:
    params = replace(EMERGING_PARAMS, min_sources=1)
    labels = cluster_items(vectors, [None] * len(texts), params)
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    members = [[texts[i] for i in np.flatnonzero(labels == c)] for c in range(k)]
    centroids = np.stack([vectors[labels == c].mean(axis=0) for c in range(k)]) if k else np.zeros((0, 1))
    outliers = [t for t, lab in zip(texts, labels, strict=True) if lab < 0]
    named = cluster_labels(
        members,
        [["de"] * len(m) for m in members],
        centroids,
        get_encoder("builtin:use").encode,
        params.labels,
        outliers,
    )
    return labels, [n[0] for n in named], members


def bertopic(
    texts: list[str], vectors: np.ndarray, seed: int
) -> tuple[np.ndarray, list[str], list[list[str]]]:
    from bertopic import BERTopic
    from umap import UMAP

    # BERTopic's default UMAP, with a fixed random_state so a run can be repeated
    umap = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False, random_state=seed
    )
    model = BERTopic(umap_model=umap)
    topics, _ = model.fit_transform(texts, vectors)
    labels = np.asarray(topics)
    names, members = [], []
    for topic in sorted(set(labels[labels >= 0].tolist())):
        names.append(" ".join(word for word, _ in model.get_topic(topic)[:3]))
        members.append([t for t, lab in zip(texts, labels, strict=True) if lab == topic])
    return labels, names, members


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="UMAP random states for BERTopic")
    args = parser.parse_args(argv)
    if not (default_data_dir() / "topics").is_dir():
        print(f"no evaluation data under {default_data_dir()}")
        return 1
    rows = gnad_dev()
    texts, gold = [r.text for r in rows], [r.label for r in rows]
    vectors = embeddings(texts)
    print(f"10kGNAD dev n={len(texts)}, 9 labels, builtin:use embeddings (the same for both sides)")
    labels, names, members = ours(texts, vectors)
    mine = {**scores(gold, labels), **label_quality(names, members)}
    runs = []
    for seed in range(args.seeds):
        b_labels, b_names, b_members = bertopic(texts, vectors, seed)
        runs.append({**scores(gold, b_labels), **label_quality(b_names, b_members)})
        print(f"  BERTopic seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in runs[-1].items()))
    theirs = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    print("  our labels: " + " | ".join(names[:12]))
    print("  BERTopic labels (last seed): " + " | ".join(b_names[:12]))
    print(f"{'':<44}{'ours':>8}{'BERTopic':>10}")
    for key, title in (
        ("nmi", "NMI vs the 9 labels (outliers = 1 cluster)"),
        ("ari", "ARI vs the 9 labels"),
        ("outliers", "outlier share"),
        ("clusters", "clusters"),
        ("banned", "labels with a stop/number/date word"),
        ("supported", f"labels whose words are in >= {SUPPORT:.0%} of docs"),
    ):
        print(f"{title:<44}{mine[key]:>8.3f}{theirs[key]:>10.3f}")
    for key, digits in (("nmi", 3), ("ari", 3), ("outliers", 2)):
        figure(f"clustering.{key}", f"{mine[key]:.{digits}f}")
        figure(f"clustering.{key}_bertopic", f"{theirs[key]:.{digits}f}")
    figure("clustering.banned_labels_pct", f"{100 * mine['banned']:.0f}")
    figure("clustering.banned_labels_pct_bertopic", f"{100 * theirs['banned']:.0f}")
    verdict = mine["nmi"] >= theirs["nmi"] and mine["outliers"] <= theirs["outliers"]
    print(
        f"clustering: NMI {mine['nmi']:.3f} vs BERTopic {theirs['nmi']:.3f}, outliers {mine['outliers']:.3f} vs "
        f"{theirs['outliers']:.3f} (target NMI >= and outliers <= BERTopic's: {'met' if verdict else 'not met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
