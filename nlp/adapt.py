"""Editors correct, Resonanz learns: refit the calibrated sentiment head on corrections.

A few hundred corrections would drown in the ~20k training rows if simply appended (a previous attempt
gained +0.000 macro-F1 that way). Instead the shipped, calibrated head is the prior and is refitted on the
corrections alone: minimise the class-balanced mean cross-entropy on the corrections (each class weighs
equally, so a few corrected negatives count) + λ/2 · ‖W − W₀‖² (L-BFGS, deterministic). LAYER "full" refits
every weight of the head, pulled towards the shipped ones; "logits" only an affine map of its calibrated
logits (12 parameters, pulled towards the identity). With few corrections the head barely moves; with many,
it follows the editors' domain. LAYER and λ (`STRENGTH`) were chosen by `python bench/eval_adaptation.py
--select --new-domain` on PotTS dev (German tweets) starting from the recipe refitted without PotTS, i.e. where
the domain is new to the head (as a B2B blog is to the shipped one), never on the GoEmotions split that bench
reports. The neutral margin
`min_polar` is kept. The new head records its base version and how many corrections it learned from.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .hf import softmax
from .records import SENTIMENT_LABELS
from .sentiment import HEAD_FILE, HeadModel

log = logging.getLogger(__name__)

STRENGTH = 0.01  # λ, see the module docstring
LAYER = "full"


@dataclass(frozen=True)
class RefitResult:
    """A head refitted on corrections: where it was written and what it learned from."""

    path: Path
    version: str
    corrections: int
    base_version: str


def _fit(w0: np.ndarray, inputs: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    """Weights w (k, m) minimising mean CE of softmax(inputs @ w.T) + strength/2 · ‖w − w0‖² (L-BFGS)."""
    from scipy.optimize import minimize

    onehot = np.eye(w0.shape[0])[y]
    counts = np.bincount(y, minlength=w0.shape[0]).astype(np.float64)
    weights = (len(y) / (np.count_nonzero(counts) * np.maximum(counts, 1)))[y]  # each class weighs equally

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat.reshape(w0.shape)
        p = softmax(inputs @ w.T, axis=1)
        diff = w - w0
        nll = -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))
        value = (weights * nll).mean() + strength / 2 * (diff**2).sum()
        grad = ((p - onehot) * weights[:, None]).T @ inputs / len(y) + strength * diff
        return float(value), grad.ravel()

    res = minimize(loss, w0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x.reshape(w0.shape)


def adapt_weights(
    coef: np.ndarray,
    intercept: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    strength: float = STRENGTH,
    layer: str = LAYER,
) -> tuple[np.ndarray, np.ndarray]:
    """Weights (3, d) and biases (3,) refitted to (X, y), pulled towards (coef, intercept) with `strength`.

    layer "logits": an affine map z' = A z + c of the head's calibrated logits z (12 parameters, pulled towards
    the identity), folded back into the head (W' = A W, b' = A b + c). layer "full": every weight, pulled
    towards the head's.
    """
    coef, intercept = coef.astype(np.float64), intercept.astype(np.float64)
    if layer == "full":
        w0 = np.hstack([coef, intercept[:, None]])
        w = _fit(w0, np.hstack([X.astype(np.float64), np.ones((len(X), 1))]), y, strength)
        return w[:, :-1], w[:, -1]
    if layer != "logits":
        raise ValueError(f"adaptation layer {layer!r} is not 'logits' or 'full'")
    z = X.astype(np.float64) @ coef.T + intercept
    w0 = np.hstack([np.eye(3), np.zeros((3, 1))])
    w = _fit(w0, np.hstack([z, np.ones((len(z), 1))]), y, strength)
    a, c = w[:, :-1], w[:, -1]
    return a @ coef, a @ intercept + c


def _corrections_hash(corrections: Sequence[tuple[str, str]]) -> str:
    return hashlib.sha256("\n".join(f"{label}\t{text}" for text, label in corrections).encode()).hexdigest()[
        :8
    ]


def refit_head(
    corrections: Sequence[tuple[str, str]],
    out: Path,
    base: Path = HEAD_FILE,
    strength: float = STRENGTH,
) -> RefitResult:
    """Refit the head at `base` on (text, negative|neutral|positive) corrections and write it to `out`."""
    from .sentiment_fit import sentiment_features
    from .train import write_head

    rows = [(t, label) for t, label in corrections if t and t.strip()]
    unknown = sorted({label for _, label in rows} - set(SENTIMENT_LABELS))
    if unknown:
        raise ValueError(f"corrections carry unknown sentiment labels {unknown}")
    if not rows:
        raise ValueError("no corrections to learn from")
    head = HeadModel(base)
    X = sentiment_features([t for t, _ in rows]).stack(head.parts)
    y = np.asarray([SENTIMENT_LABELS.index(label) for _, label in rows])
    order = np.argsort(head.classes)
    coef, intercept = adapt_weights(head.coef[order], head.intercept[order], X, y, strength)
    base_version = head.version.split("+corr")[0]
    version = f"{base_version}+corr{len(rows)}-{_corrections_hash(rows)}"
    write_head(out, coef, intercept, version, head.min_polar, corrections=len(rows), base=base_version)
    log.info("refitted sentiment head on %d corrections: %s", len(rows), out)
    return RefitResult(out, version, len(rows), base_version)
