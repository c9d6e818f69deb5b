"""Taxonomy topics, multi-label: embedding prototypes (offline default) or NLI zero-shot (any transformers model)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .encoders import normalize
from .features import BatchFeatures
from .hf import sequence_classifier, softmax
from .records import Taxonomy, TaxonomyTopic, TopicScore

ARTIFACTS = Path(__file__).parent / "artifacts"
BACKGROUND_FILE = ARTIFACTS / "background.npz"
TEMPERATURE = 0.05  # centred cosine → softmax scores
TOP_TERMS = 3  # a document's score for a topic: the mean of its 3 best centred term similarities
RELATIVE_ASSIGN = 0.5  # besides the best topic, assign those scoring at least half of it
MIN_CALIBRATION_DOCS = 30
_TERM_SPLIT = re.compile(r"[,;:/]|\s+(?:und|and|oder|or)\s+")


@dataclass(frozen=True)
class TopicCalibration:
    """Statistics for prototype scoring: a background (mean document) and, once refined on a corpus, one
    prototype per topic (`refined`); unrefined, each topic is scored by its best terms."""

    background: np.ndarray
    prototypes: np.ndarray
    n_docs: int = 0
    refined: bool = False


class TopicModel(Protocol):
    name: str
    version: str

    def scores(
        self, features: BatchFeatures, calibration: TopicCalibration | None
    ) -> list[tuple[TopicScore, ...]]: ...


def topic_terms(topic: TaxonomyTopic) -> list[str]:
    """The name, each term of the description and each keyword: embedded one by one."""
    terms = [topic.name]
    for part in [*_TERM_SPLIT.split(topic.description), *topic.keywords]:
        part = part.strip(" .")
        if part and part not in terms:
            terms.append(part)
    return terms


def stored_background(spec: str, dim: int) -> np.ndarray:
    """The committed mean document embedding for encoder `spec` (zeros when none was built)."""
    if BACKGROUND_FILE.exists():
        with np.load(BACKGROUND_FILE, allow_pickle=False) as data:
            if spec in data.files and data[spec].shape == (dim,):
                return data[spec].astype(np.float32)
    return np.zeros(dim, dtype=np.float32)


class PrototypeTopics:
    """Cosine to per-term topic prototypes, centred on a background; optional refinement on a corpus.

    Inductive (single texts, nothing fitted on them): score = mean of the TOP_TERMS best centred cosines to
    the topic's terms (name, description terms, keywords), centred on the stored background
    (`nlp/background.py`). A broad topic ("accidents, crime, weather") is matched by its closest terms rather
    than by the blurred mean of all of them. Transductive (`calibrate`, a corpus of at least
    MIN_CALIBRATION_DOCS): the corpus mean replaces the background and the prototypes are refined on the
    documents assigned to them.
    """

    name = "builtin:prototypes"

    def __init__(
        self, taxonomy: Taxonomy, embedding: str, encoder_version: str, features: BatchFeatures
    ) -> None:
        self.taxonomy = taxonomy
        self.embedding = embedding
        self.version = f"prototypes-2-top{TOP_TERMS}-{taxonomy.version}-{encoder_version}"
        self.term_vectors: list[np.ndarray] = []
        for topic in taxonomy.topics:
            terms = topic_terms(topic)
            batch = BatchFeatures(terms, device=features.device, max_length=features.max_length)
            self.term_vectors.append(normalize(batch.embedding(embedding)))
        rows = [t.mean(axis=0) for t in self.term_vectors]
        self.label_prototypes = normalize(np.asarray(rows, dtype=np.float32)) if rows else np.zeros((0, 1))

    def default_calibration(self) -> TopicCalibration:
        dim = self.label_prototypes.shape[1]
        return TopicCalibration(stored_background(self.embedding, dim), self.label_prototypes, 0)

    def calibrate(self, sample: np.ndarray | None, iterations: int = 5) -> TopicCalibration:
        """Background = the sample's mean; prototypes = label vector + mean of the docs assigned to it, iterated."""
        if sample is None or len(sample) < MIN_CALIBRATION_DOCS or not len(self.label_prototypes):
            return self.default_calibration()
        background = sample.mean(axis=0).astype(np.float32)
        calibration = TopicCalibration(background, self.label_prototypes, len(sample))
        for _ in range(iterations):
            assigned = self._centred(sample, calibration).argmax(axis=1)
            refined = [
                label + (sample[assigned == j].mean(axis=0) if (assigned == j).any() else 0.0)
                for j, label in enumerate(self.label_prototypes)
            ]
            prototypes = normalize(np.asarray(refined, dtype=np.float32))
            calibration = TopicCalibration(background, prototypes, len(sample), refined=True)
        return calibration

    def _centred(self, vectors: np.ndarray, calibration: TopicCalibration) -> np.ndarray:
        centred = vectors - calibration.background
        if calibration.refined:
            return centred @ calibration.prototypes.T
        columns = []
        for terms in self.term_vectors:
            sims = centred @ terms.T
            k = min(TOP_TERMS, sims.shape[1])
            columns.append(-np.sort(-sims, axis=1)[:, :k].mean(axis=1))
        return np.stack(columns, axis=1) if columns else np.zeros((len(vectors), 0), dtype=np.float32)

    def centred_scores(self, vectors: np.ndarray, calibration: TopicCalibration | None = None) -> np.ndarray:
        return self._centred(vectors, calibration or self.default_calibration())

    def scores(
        self, features: BatchFeatures, calibration: TopicCalibration | None
    ) -> list[tuple[TopicScore, ...]]:
        if not self.taxonomy.topics:
            return [() for _ in features.texts]
        centred = self.centred_scores(features.embedding(self.embedding), calibration)
        probs = softmax(centred / TEMPERATURE)
        out = []
        for c_row, p_row in zip(centred, probs, strict=True):
            best = float(p_row.max())
            out.append(
                tuple(
                    TopicScore(name, round(float(p), 4), bool(c > 0 and p >= RELATIVE_ASSIGN * best))
                    for name, c, p in zip(self.taxonomy.names, c_row, p_row, strict=True)
                )
            )
        return out


class ZeroShotTopics:
    """NLI zero-shot like transformers' zero-shot pipeline (multi-label): P(entailment) per topic."""

    def __init__(
        self,
        taxonomy: Taxonomy,
        name: str,
        device: str,
        max_length: int,
        batch_size: int,
        template: str,
        threshold: float,
    ) -> None:
        self._model = sequence_classifier(name, device, max_length)
        labels = [label.lower() for label in self._model.labels]
        entail = [i for i, label in enumerate(labels) if label.startswith("entail")]
        if not entail:
            raise ValueError(
                f"models.topics = {name!r} is not an NLI model: its labels {self._model.labels} have no 'entailment'"
            )
        self.entail = entail[0]
        contra = [i for i, label in enumerate(labels) if label.startswith("contradict")]
        self.contra = contra[0] if contra else None
        self.taxonomy = taxonomy
        self.template = template
        self.threshold = threshold
        self.batch_size = batch_size
        self.name = name
        self.version = f"{self._model.version}-{taxonomy.version}"
        self.hypotheses = [
            template.format(f"{t.name} ({t.description})" if t.description else t.name)
            for t in taxonomy.topics
        ]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        pairs = [(text, hyp) for text in texts for hyp in self.hypotheses]
        logits = self._model.logits(pairs, self.batch_size).reshape(len(texts), len(self.hypotheses), -1)
        if self.contra is None:
            return 1.0 / (1.0 + np.exp(-logits[..., self.entail]))
        two = np.stack([logits[..., self.contra], logits[..., self.entail]], axis=-1)
        return softmax(two)[..., 1]

    def scores(
        self, features: BatchFeatures, calibration: TopicCalibration | None
    ) -> list[tuple[TopicScore, ...]]:
        if not self.hypotheses:
            return [() for _ in features.texts]
        probs = self.probabilities(features.texts)
        return [
            tuple(
                TopicScore(
                    name,
                    round(float(p), 4),
                    bool(p >= self.threshold or (p == row.max() and p >= 0.5 * self.threshold)),
                )
                for name, p in zip(self.taxonomy.names, row, strict=True)
            )
            for row in probs
        ]
