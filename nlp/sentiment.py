"""Sentiment: negative / neutral / positive with a score, from the builtin head or any transformers classifier."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .encoders import runs_transformers
from .features import BatchFeatures
from .hf import cached, resolve_device, resolve_precision, sequence_classifier, softmax, versioned
from .records import SENTIMENT_LABELS, SentimentResult

ARTIFACTS = Path(__file__).parent / "artifacts"
HEAD_FILE = ARTIFACTS / "sentiment_head.npz"
BUILTIN = "builtin:sentiment-head"


class SentimentModel(Protocol):
    name: str
    version: str
    needs_language: bool  # features depend on the detected language
    min_polar: float  # negative/positive need at least this probability, else neutral (0: plain argmax)

    def predict(self, features: BatchFeatures) -> np.ndarray:
        """Probabilities (n, 3) in SENTIMENT_LABELS order."""
        ...


def decide(probs: np.ndarray, min_polar: float = 0.0) -> np.ndarray:
    """Label indices: the most probable class, but negative/positive only with probability ≥ min_polar."""
    best = probs.argmax(axis=1)
    weak = (best != 1) & (probs[np.arange(len(best)), best] < min_polar)
    return np.where(weak, 1, best)


def results(probs: np.ndarray, min_polar: float = 0.0) -> list[SentimentResult]:
    """Rows of negative/neutral/positive probabilities → records (label by `decide`, score = its probability)."""
    out = []
    for row, best in zip(probs, decide(probs, min_polar), strict=True):
        scores = {label: round(float(p), 4) for label, p in zip(SENTIMENT_LABELS, row, strict=True)}
        out.append(SentimentResult(SENTIMENT_LABELS[best], round(float(row[best]), 4), scores))
    return out


class HeadModel:
    """Calibrated logistic-regression head over encoder features (built by `resonanz train`, see nlp.train).

    The stored coefficients already include the temperature and class biases fitted on the dev sets, so
    `predict` returns calibrated probabilities; `min_polar` is the dev-selected evidence a non-neutral label
    needs. A head refitted on editors' corrections (nlp.adapt) records how many it learned from.
    """

    def __init__(self, path: Path = HEAD_FILE, name: str = BUILTIN, precision: str = "float32") -> None:
        """`precision`: the resolved models.precision its transformers features (MiniLM) are computed at."""
        if not path.exists():
            raise FileNotFoundError(f"sentiment head {path} is missing: build it with `resonanz train`")
        with np.load(path, allow_pickle=False) as data:
            self.coef = data["coef"].astype(np.float32)
            self.intercept = data["intercept"].astype(np.float32)
            self.parts = [str(p) for p in data["parts"]]
            self.classes = [int(c) for c in data["classes"]]
            self.version = str(data["version"])
            self.min_polar = float(data["min_polar"]) if "min_polar" in data else 0.0
            self.corrections = int(data["corrections"]) if "corrections" in data else 0
        # features of another precision are other features: the precision is part of the version
        if any(runs_transformers(part) for part in self.parts):
            self.version = versioned(self.version, precision)
        self.path = path
        self.name = name
        self.needs_language = "vader" in self.parts

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Calibrated logits of stacked features, columns in SENTIMENT_LABELS order."""
        return (X @ self.coef.T + self.intercept)[:, np.argsort(self.classes)]

    def predict(self, features: BatchFeatures) -> np.ndarray:
        return softmax(self.logits(features.stack(self.parts)), axis=1)


_NEG = re.compile(r"neg|^1 star|^2 stars|^0$|label_0|bad|sad|anger|angry|disgust|fear", re.I)
_NEU = re.compile(r"neu|^3 stars|none|other|^1$|label_1|mixed", re.I)
_POS = re.compile(r"pos|^4 stars|^5 stars|^2$|label_2|good|joy|happy|love", re.I)


def label_matrix(labels: Sequence[str], overrides: Mapping[str, str] | None = None) -> np.ndarray:
    """(n_model_labels, 3) 0/1 matrix mapping a model's labels onto negative/neutral/positive.

    `overrides` (config `models.sentiment_labels`) maps a model label to one of the three and wins;
    otherwise common names are recognised (negative/NEG, 1–5 stars, LABEL_0..2, emotions).
    """
    overrides = {k.lower(): v for k, v in (overrides or {}).items()}
    matrix = np.zeros((len(labels), 3), dtype=np.float32)
    for i, label in enumerate(labels):
        target = overrides.get(label.lower())
        if target is None:
            for name, pattern in zip(SENTIMENT_LABELS, (_NEG, _NEU, _POS), strict=True):
                if pattern.search(label.strip()):
                    target = name
                    break
        if target not in SENTIMENT_LABELS:
            raise ValueError(
                f"sentiment model label {label!r} cannot be mapped to negative/neutral/positive; "
                f'set models.sentiment_labels = {{{label!r} = "neutral", …}} in the config'
            )
        matrix[i, SENTIMENT_LABELS.index(target)] = 1.0
    return matrix


class HFSentiment:
    """Any transformers text-classification model; its labels summed onto the three classes."""

    def __init__(
        self, name: str, device: str, max_length: int, batch_size: int, overrides: Mapping[str, str] | None
    ) -> None:
        self._model = sequence_classifier(name, device, max_length)
        self.batch_size = batch_size
        self.needs_language = False
        self.min_polar = 0.0
        self.matrix = label_matrix(self._model.labels, overrides)
        self.name = name
        self.version = self._model.version + (
            "-" + json.dumps(dict(overrides), sort_keys=True) if overrides else ""
        )

    def predict(self, features: BatchFeatures) -> np.ndarray:
        probs = self._model.probabilities(features.texts, self.batch_size) @ self.matrix
        if not self.matrix[:, 1].any():  # a two-class model: neutral when it cannot decide
            probs[:, 1] = 1.0 - np.abs(probs[:, 0] - probs[:, 2])
            probs /= probs.sum(axis=1, keepdims=True)
        return probs


def get_sentiment_model(
    spec: str,
    device: str = "auto",
    max_length: int = 256,
    batch_size: int = 32,
    labels: Mapping[str, str] | None = None,
) -> SentimentModel:
    """`builtin:sentiment-head`, a head file (`….npz`, e.g. refitted by `resonanz train --corrections`), or a
    hub id / local directory of a text-classification model."""
    if spec == BUILTIN or spec.endswith(".npz"):
        path = HEAD_FILE if spec == BUILTIN else Path(spec).expanduser()
        if spec != BUILTIN and not path.exists():
            raise ValueError(f"models.sentiment: head file {path} not found")
        precision = resolve_precision(resolve_device(device))
        return cached(
            ("sentiment-head", str(path), path.stat().st_mtime_ns if path.exists() else 0, precision),
            lambda: HeadModel(path, spec, precision),
        )
    if spec.startswith("builtin:"):
        raise ValueError(
            f"models.sentiment: unknown builtin {spec!r}; use builtin:sentiment-head or a model id/directory"
        )
    return HFSentiment(spec, device, max_length, batch_size, labels)
