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
from .prototypes import (
    PROTOTYPE_ENCODER,
    PROTOTYPES_FILE,
    BlendParams,
    PrototypeScorer,
    blend,
    prototypes_hash,
    read_prototypes,
)
from .records import SENTIMENT_LABELS, SentimentResult

ARTIFACTS = Path(__file__).parent / "artifacts"
HEAD_FILE = ARTIFACTS / "sentiment_head.npz"


class SentimentModel(Protocol):
    name: str
    version: str
    needs_language: bool  # features depend on the detected language

    def predict(self, features: BatchFeatures) -> np.ndarray:
        """Probabilities (n, 3) in SENTIMENT_LABELS order."""
        ...


def results(probs: np.ndarray) -> list[SentimentResult]:
    """Rows of negative/neutral/positive probabilities → records."""
    out = []
    for row in probs:
        best = int(row.argmax())
        scores = {label: round(float(p), 4) for label, p in zip(SENTIMENT_LABELS, row, strict=True)}
        out.append(SentimentResult(SENTIMENT_LABELS[best], round(float(row[best]), 4), scores))
    return out


def _stored_blend(data: Mapping[str, np.ndarray]) -> tuple[BlendParams, str]:
    """The blend and prototypes hash saved with a head (heads built before the blend: the head alone;
    before the pooling: pooling "text")."""
    if "blend_weight" not in data:
        return BlendParams(), ""
    pooling = {}
    if "blend_pooling" in data:
        pooling = {"pooling": str(data["blend_pooling"]), "max_sentences": int(data["blend_max_sentences"])}
    params = BlendParams(
        float(data["blend_weight"]), float(data["blend_temperature"]), int(data["blend_top_k"]), **pooling
    )
    return params, str(data["prototypes_hash"])


class HeadModel:
    """Logistic-regression head over encoder features, blended with zero-shot prototypes (see nlp.prototypes).

    Trained by `python -m nlp.train`, which also selects the blend (weight, temperature, top-k, pooling) and
    stores it with the hash of the prototype sentences it was selected for.
    """

    def __init__(
        self, path: Path = HEAD_FILE, prototypes: Path = PROTOTYPES_FILE, precision: str = "float32"
    ) -> None:
        """`precision`: the resolved models.precision its transformers features (MiniLM) are computed at."""
        if not path.exists():
            raise FileNotFoundError(f"sentiment head {path} is missing: build it with `resonanz train`")
        with np.load(path, allow_pickle=False) as data:
            self.coef = data["coef"].astype(np.float32)
            self.intercept = data["intercept"].astype(np.float32)
            self.parts = [str(p) for p in data["parts"]]
            self.classes = [int(c) for c in data["classes"]]
            self.version = str(data["version"])
            self.blend, self.prototypes_hash = _stored_blend(data)
        # features of another precision are other features: the precision is part of the version
        if any(runs_transformers(part) for part in self.parts):
            self.version = versioned(self.version, precision)
        self.name = "builtin:sentiment-head"
        self.needs_language = "vader" in self.parts
        self._prototypes_file = prototypes
        self._scorer: PrototypeScorer | None = None
        if self.blend.weight:
            found = prototypes_hash(prototypes)
            if found != self.prototypes_hash:
                raise RuntimeError(
                    f"{prototypes} (hash {found}) is not the file the sentiment head was built with "
                    f"({self.prototypes_hash}): rebuild with `resonanz train --force`"
                )

    def _prototype_scorer(self) -> PrototypeScorer:
        if self._scorer is None:  # encoded on first use (USE-m is loaded for the head's features anyway)
            self._scorer = PrototypeScorer.from_sentences(read_prototypes(self._prototypes_file))
        return self._scorer

    def head_probabilities(self, features: BatchFeatures) -> np.ndarray:
        """The logistic-regression head alone, (n, 3) in SENTIMENT_LABELS order."""
        logits = features.stack(self.parts) @ self.coef.T + self.intercept
        return softmax(logits, axis=1)[:, np.argsort(self.classes)]

    def predict(self, features: BatchFeatures) -> np.ndarray:
        probs = self.head_probabilities(features)
        if self.blend.weight == 0:
            return probs
        vectors = features.embedding(PROTOTYPE_ENCODER)  # already computed for the head's features
        sentences = (
            features.sentence_embedding(PROTOTYPE_ENCODER, self.blend.max_sentences)
            if self.blend.pooling == "sentences"
            else None
        )
        zero_shot = self._prototype_scorer().probabilities(
            vectors, self.blend.temperature, self.blend.top_k, sentences
        )
        return blend(probs, zero_shot, self.blend.weight)


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
    """`builtin:sentiment-head`, or a hub id / local directory of a text-classification model."""
    if spec == "builtin:sentiment-head":
        precision = resolve_precision(resolve_device(device))
        return cached(
            (
                "sentiment-head",
                str(HEAD_FILE),
                HEAD_FILE.stat().st_mtime_ns if HEAD_FILE.exists() else 0,
                precision,
            ),
            lambda: HeadModel(HEAD_FILE, PROTOTYPES_FILE, precision),
        )
    if spec.startswith("builtin:"):
        raise ValueError(
            f"models.sentiment: unknown builtin {spec!r}; use builtin:sentiment-head or a model id/directory"
        )
    return HFSentiment(spec, device, max_length, batch_size, labels)
