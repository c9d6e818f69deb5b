"""Fitting the builtin sentiment head: cached features, logistic regression, calibration, metrics."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from .features import BatchFeatures
from .language import get_language_detector
from .sentiment import decide
from .sentiment_data import Labelled

log = logging.getLogger(__name__)

PARTS = ("builtin:use", "builtin:minilm", "vader")


def sentiment_features(texts: list[str], device: str = "cpu") -> BatchFeatures:
    """The head's features, with languages from the same detector the pipeline uses."""
    languages = [r.label for r in get_language_detector("builtin:lingua").detect(texts)]
    return BatchFeatures(texts, languages, device)


def _texts_hash(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]


CHUNK = 1000  # texts per cached block: an interrupted embedding resumes at the last finished block


def _cached(path: Path | None, parts: tuple[str, ...]) -> np.ndarray | None:
    if path is None or not path.exists():
        return None
    with np.load(path, allow_pickle=False) as cached:
        return np.hstack([cached[p] for p in parts]) if all(p in cached for p in parts) else None


def feature_matrix(
    data: Labelled, cache_dir: Path | None = None, parts: tuple[str, ...] = PARTS, limit: int | None = None
) -> np.ndarray:
    """The stacked head features of a data set (its first `limit` texts only when given).

    With `cache_dir`, blocks of CHUNK texts are stored as .npz keyed by their texts' hash, so a changed file
    is embedded again and an interrupted run resumes.
    """
    texts = data.texts[:limit] if limit is not None else data.texts
    whole = cache_dir / f"{data.spec.name}-{data.spec.split}-{_texts_hash(texts)}.npz" if cache_dir else None
    found = _cached(whole, parts)
    if found is not None:
        return found
    blocks = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        path = (
            cache_dir / f"{data.spec.name}-{data.spec.split}-{_texts_hash(chunk)}.npz" if cache_dir else None
        )
        block = _cached(path, parts)
        if block is None:
            log.info("embedding texts %d-%d of %s", start, start + len(chunk), data.spec.key)
            features = sentiment_features(chunk)
            arrays = {p: (features.vader() if p == "vader" else features.embedding(p)) for p in parts}
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.savez(path, **arrays)
            block = np.hstack([arrays[p] for p in parts])
        blocks.append(block)
    return np.vstack(blocks) if blocks else np.zeros((0, 0), dtype=np.float32)


# --- the head: logistic regression, then temperature + class-bias calibration, then the neutral margin ---

C_GRID = (0.5, 2.0)
SET_WEIGHTINGS = ("rows", "sqrt")  # every row counts once / each training set counts ∝ sqrt(its size)
MIN_POLAR_GRID = tuple(round(x, 2) for x in np.arange(0.34, 0.81, 0.02))
ECE_BINS = 15


def set_weights(groups: np.ndarray, weighting: str) -> np.ndarray:
    """Per-row weights (mean 1): "rows" = 1 each; "sqrt" = a set of n rows weighs sqrt(n) in total."""
    if weighting == "rows":
        return np.ones(len(groups))
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    per_row = np.sqrt(counts) / counts
    w = per_row[inverse]
    return w * len(w) / w.sum()


def fit_logistic(X: np.ndarray, y: np.ndarray, c: float, weights: np.ndarray | None = None, seed: int = 13):
    """Multinomial logistic regression (lbfgs, deterministic): (coef (3, d), intercept (3,))."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, max_iter=1000, tol=1e-3, random_state=seed)
    clf.fit(X, y, sample_weight=weights)
    if list(clf.classes_) != [0, 1, 2]:
        raise ValueError(f"training labels {clf.classes_} are not 0..2 (negative, neutral, positive)")
    return clf.coef_.astype(np.float64), clf.intercept_.astype(np.float64)


def fit_calibration(logits: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """Temperature T and class biases β (β_neutral = 0) minimising the weighted NLL of softmax(z / T + β)."""
    from scipy.optimize import minimize

    def nll(theta: np.ndarray) -> float:
        t, b = np.exp(theta[0]), np.array([theta[1], 0.0, theta[2]])
        z = logits / t + b
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-(weights * logp[np.arange(len(y)), y]).sum() / weights.sum())

    res = minimize(
        nll, np.zeros(3), method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-8, "maxiter": 4000}
    )
    return float(np.exp(res.x[0])), np.array([res.x[1], 0.0, res.x[2]])


def ece(probs: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error of the top-label confidence (equal-width bins)."""
    conf = probs.max(axis=1)
    hit = probs.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(conf[mask].mean() - hit[mask].mean())
    return float(total)


def metrics(probs: np.ndarray, y: np.ndarray, min_polar: float) -> dict[str, float]:
    """Macro-F1, accuracy, negative precision/recall, predicted vs true negative share, ECE."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    pred = decide(probs, min_polar)
    neg_p = precision_score(y == 0, pred == 0, zero_division=0)
    return {
        "n": len(y),
        "macro_f1": round(float(f1_score(y, pred, average="macro", labels=[0, 1, 2])), 4),
        "accuracy": round(float((pred == y).mean()), 4),
        "neg_precision": round(float(neg_p), 4),
        "neg_recall": round(float(recall_score(y == 0, pred == 0, zero_division=0)), 4),
        "neg_share_pred": round(float((pred == 0).mean()), 4),
        "neg_share_true": round(float((y == 0).mean()), 4),
        "ece": round(ece(probs, y), 4),
    }


def mean_macro_f1(
    probs_by_set: dict[str, np.ndarray], y_by_set: dict[str, np.ndarray], min_polar: float
) -> float:
    from sklearn.metrics import f1_score

    return float(
        np.mean(
            [
                f1_score(y_by_set[k], decide(p, min_polar), average="macro", labels=[0, 1, 2])
                for k, p in probs_by_set.items()
            ]
        )
    )


def choose_min_polar(
    probs_by_set: dict[str, np.ndarray], y_by_set: dict[str, np.ndarray]
) -> tuple[float, dict]:
    """The neutral margin with the best mean dev macro-F1 (ties: the larger, i.e. more evidence)."""
    table = {t: round(mean_macro_f1(probs_by_set, y_by_set, t), 4) for t in MIN_POLAR_GRID}
    best = max(MIN_POLAR_GRID, key=lambda t: (table[t], t))
    return best, {f"{t:g}": v for t, v in table.items()}
