"""Choosing the prototype blend (a, T, k, pooling) by a fixed rule, without touching any evaluation split.

Rule: among the grid, keep the candidates whose cross-validated tweet macro-F1 (out-of-fold head
probabilities on the XLM-T train splits) drops by at most `max_drop` per language versus the head alone
(a = 0); of those, take the one with the best macro-F1 on the dev comments (the external demo blogs);
ties go to the smaller weight, then to pooling "text". The per-text and per-sentence prototype scores of
each data set are computed once per (pooling, k) and reused across the grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
from sklearn.metrics import f1_score

from .features import SentenceVectors
from .hf import softmax
from .prototypes import POOLINGS, BlendParams, PrototypeScorer, blend

WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
TEMPERATURES = (0.02, 0.05, 0.1)
TOP_K = (1, 3, 5)
MAX_CV_DROP = 0.02


def macro_f1_by_group(labels: np.ndarray, probs: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """Macro-F1 of the argmax predictions, per group (e.g. per language)."""
    pred = probs.argmax(axis=1)
    return {
        str(g): round(float(f1_score(labels[groups == g], pred[groups == g], average="macro")), 4)
        for g in np.unique(groups)
    }


@dataclass
class Scored:
    """Head probabilities, USE embeddings (per text and, for pooling "sentences", per sentence) and gold
    labels of one data set (`groups`: e.g. languages)."""

    head: np.ndarray
    use: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    sentences: SentenceVectors | None = None
    _scores: dict[tuple[str, int], np.ndarray] = field(default_factory=dict, repr=False)

    def prototype_scores(self, scorer: PrototypeScorer, top_k: int, pooling: str) -> np.ndarray:
        key = (pooling, top_k)
        if key not in self._scores:
            if pooling == "text":
                self._scores[key] = scorer.scores(self.use, top_k)
            elif self.sentences is None:
                raise ValueError("pooling 'sentences' needs the data set's sentence embeddings")
            else:
                self._scores[key] = scorer.pooled_scores(self.use, self.sentences, top_k)
        return self._scores[key]

    def macro_f1(self, probs: np.ndarray) -> dict[str, float]:
        return macro_f1_by_group(self.labels, probs, self.groups)


@dataclass(frozen=True)
class Candidate:
    params: BlendParams
    cv_f1: dict[str, float]
    dev_f1: float
    admissible: bool

    def as_dict(self) -> dict:
        return {"params": self.params.tag, "cv_f1": self.cv_f1, "dev_f1": self.dev_f1, "ok": self.admissible}


def grid(poolings: tuple[str, ...] = POOLINGS) -> list[BlendParams]:
    """The head alone, then every (pooling, a, T, k) combination."""
    return [BlendParams()] + [
        BlendParams(a, t, k, pooling) for pooling, a, t, k in product(poolings, WEIGHTS, TEMPERATURES, TOP_K)
    ]


def _probs(data: Scored, scorer: PrototypeScorer, params: BlendParams) -> np.ndarray:
    if params.weight == 0:
        return data.head
    scores = data.prototype_scores(scorer, params.top_k, params.pooling)
    return blend(data.head, softmax(scores / params.temperature, axis=1), params.weight)


def evaluate(
    params: BlendParams, scorer: PrototypeScorer, cv: Scored, dev: Scored, floor: dict[str, float]
) -> Candidate:
    cv_f1 = cv.macro_f1(_probs(cv, scorer, params))
    dev_f1 = float(np.mean(list(dev.macro_f1(_probs(dev, scorer, params)).values())))
    return Candidate(params, cv_f1, dev_f1, all(cv_f1[g] >= floor[g] for g in floor))


def select_blend(
    scorer: PrototypeScorer,
    cv: Scored,
    dev: Scored,
    candidates: list[BlendParams] | None = None,
    max_drop: float = MAX_CV_DROP,
) -> tuple[Candidate, list[Candidate]]:
    """The selected candidate and all evaluated ones (the first is always the head alone)."""
    base_params = BlendParams()
    base_cv = cv.macro_f1(cv.head)
    floor = {g: v - max_drop for g, v in base_cv.items()}
    params = [base_params] + [p for p in (candidates or grid()) if p != base_params]
    table = [evaluate(p, scorer, cv, dev, floor) for p in params]
    best = max(
        (c for c in table if c.admissible),
        key=lambda c: (c.dev_f1, -c.params.weight, c.params.pooling == "text"),
    )
    return best, table
