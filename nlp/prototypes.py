"""Zero-shot sentiment from prototype sentences, blended into the builtin head's probabilities.

A text's score for a class is the mean of its top-k cosine similarities (USE-m embeddings) to that class's
prototype sentences (nlp/artifacts/sentiment_prototypes.json); a softmax with temperature T turns the three
scores into probabilities. The builtin sentiment model is p = (1 - a) · head + a · prototypes, with a, T and k
selected by `nlp.train` (see docs/nlp.md).

Pooling: "text" scores the whole text's embedding. "sentences" scores each sentence (nlp.segment) of texts of
up to MAX_SENTENCES sentences and pools per text: negative = max, positive = max, neutral = mean over its
sentences — one clearly negative sentence in otherwise factual text is not diluted. A text of one sentence, or
a long one (an article), scores the same either way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .encoders import get_encoder
from .features import MAX_SENTENCES, SentenceVectors
from .hf import softmax
from .records import SENTIMENT_LABELS

PROTOTYPES_FILE = Path(__file__).parent / "artifacts" / "sentiment_prototypes.json"
PROTOTYPE_ENCODER = "builtin:use"  # multilingual: German and English prototypes serve both languages
POOLINGS = ("text", "sentences")


@dataclass(frozen=True)
class BlendParams:
    """How the prototype probabilities enter the head's: weight a, softmax temperature T, top-k, pooling.

    `max_sentences` only matters for pooling "sentences": longer texts are scored as a whole.
    """

    weight: float = 0.0
    temperature: float = 0.05
    top_k: int = 3
    pooling: str = "text"
    max_sentences: int = MAX_SENTENCES

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"prototype pooling {self.pooling!r} is not one of {POOLINGS}")

    @property
    def tag(self) -> str:
        pooling = "text" if self.pooling == "text" else f"sent{self.max_sentences}"
        return f"a{self.weight:g}-T{self.temperature:g}-k{self.top_k}-{pooling}"


def read_prototypes(path: Path = PROTOTYPES_FILE) -> dict[str, list[str]]:
    """Prototype sentences per class (all languages together), in SENTIMENT_LABELS order."""
    classes = json.loads(path.read_text(encoding="utf-8"))["classes"]
    missing = set(SENTIMENT_LABELS) - set(classes)
    if missing:
        raise ValueError(f"{path}: no prototypes for {sorted(missing)}")
    return {
        label: [s for sentences in classes[label].values() for s in sentences] for label in SENTIMENT_LABELS
    }


def prototypes_hash(path: Path = PROTOTYPES_FILE) -> str:
    """Digest of the sentences (not of formatting or the description), stored with the head."""
    canonical = json.dumps(read_prototypes(path), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


class PrototypeScorer:
    """Class probabilities from similarities to the prototypes' embeddings (rows L2-normalised)."""

    def __init__(self, embeddings: list[np.ndarray]) -> None:
        if len(embeddings) != len(SENTIMENT_LABELS):
            raise ValueError("one embedding matrix per sentiment class expected")
        self.embeddings = embeddings

    @classmethod
    def from_sentences(cls, sentences: dict[str, list[str]]) -> PrototypeScorer:
        encoder = get_encoder(PROTOTYPE_ENCODER)
        return cls([encoder.encode(sentences[label]) for label in SENTIMENT_LABELS])

    def scores(self, vectors: np.ndarray, top_k: int) -> np.ndarray:
        """(n, 3): per class, the mean of the top-k cosine similarities."""
        columns = []
        for protos in self.embeddings:
            k = min(top_k, len(protos))
            sims = vectors @ protos.T
            columns.append(np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1))
        return np.stack(columns, axis=1)

    def pooled_scores(self, vectors: np.ndarray, sentences: SentenceVectors, top_k: int) -> np.ndarray:
        """(n, 3) per text: over its sentences, max for negative and positive, mean for neutral.

        Texts of one sentence keep their whole-text scores (computed from `vectors`, bit for bit as
        pooling "text"); only the sentence rows of longer texts are scored again.
        """
        scores = self.scores(vectors, top_k)
        counts = np.bincount(sentences.owner, minlength=len(vectors))
        split = counts[sentences.owner] > 1
        if split.any():
            per_sentence = self.scores(sentences.vectors[split], top_k)
            owner = sentences.owner[split]
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            docs = owner[starts]
            scores[docs, 0] = np.maximum.reduceat(per_sentence[:, 0], starts)
            scores[docs, 1] = np.add.reduceat(per_sentence[:, 1], starts) / counts[docs]
            scores[docs, 2] = np.maximum.reduceat(per_sentence[:, 2], starts)
        return scores

    def probabilities(
        self,
        vectors: np.ndarray,
        temperature: float,
        top_k: int,
        sentences: SentenceVectors | None = None,
    ) -> np.ndarray:
        """Softmax(scores / T); pooled over `sentences` when given (pooling "sentences"), else per text."""
        if sentences is None:
            scores = self.scores(vectors, top_k)
        else:
            scores = self.pooled_scores(vectors, sentences, top_k)
        return softmax(scores / temperature, axis=1)


def blend(head: np.ndarray, prototypes: np.ndarray, weight: float) -> np.ndarray:
    """(1 - a) · head + a · prototypes (both rows are probabilities, so the result is too)."""
    return head if weight == 0 else (1.0 - weight) * head + weight * prototypes
