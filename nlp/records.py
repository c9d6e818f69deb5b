"""Typed records of the enrichment stage: texts in, results out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np

SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
TASKS: tuple[str, ...] = ("language", "sentiment", "topics", "questions")


@dataclass(frozen=True, slots=True)
class DocText:
    """One document to enrich: what the stage needs to know about it."""

    doc_id: str
    text: str
    title: str | None = None
    kind: str = "post"  # post | comment
    own: bool = False
    url: str | None = None
    published_at: datetime | None = None
    embedding: np.ndarray | None = field(default=None, compare=False)  # precomputed (stored) embedding

    @property
    def full_text(self) -> str:
        """Title and text as one string (the title only when the text does not start with it)."""
        if self.title and not self.text.startswith(self.title):
            return f"{self.title}. {self.text}" if self.text else self.title
        return self.text


@dataclass(frozen=True, slots=True)
class TaxonomyTopic:
    """A configured topic: name, one-line description and keywords."""

    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The configured topics; `version` changes whenever any of them changes."""

    topics: tuple[TaxonomyTopic, ...] = ()

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.topics]

    @property
    def version(self) -> str:
        payload = json.dumps(
            [[t.name, t.description, list(t.keywords)] for t in self.topics], ensure_ascii=False
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]

    @classmethod
    def from_dicts(cls, items: list[dict]) -> Taxonomy:
        """Build from [{name, description, keywords}, ...] (config or TOML)."""
        return cls(
            tuple(
                TaxonomyTopic(str(i["name"]), str(i.get("description", "")), tuple(i.get("keywords", ())))
                for i in items
            )
        )


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """Provenance of one task's results: which model, which version."""

    task: str
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class LanguageResult:
    label: str  # de | en | other
    score: float


@dataclass(frozen=True, slots=True)
class SentimentResult:
    label: SentimentLabel
    score: float  # probability of the label
    scores: dict[str, float] = field(default_factory=dict)  # negative/neutral/positive probabilities


@dataclass(frozen=True, slots=True)
class TopicScore:
    topic: str
    score: float
    assigned: bool


@dataclass(frozen=True, slots=True)
class QuestionResult:
    is_question: bool
    questions: tuple[str, ...] = ()  # question sentences addressed to the author/company


@dataclass(frozen=True, slots=True)
class Enrichment:
    """All results of one document; a task that was not run is None."""

    doc_id: str
    language: LanguageResult | None = None
    sentiment: SentimentResult | None = None
    topics: tuple[TopicScore, ...] | None = None
    questions: QuestionResult | None = None
    embedding: np.ndarray | None = field(default=None, compare=False)  # L2-normalised, for clustering

    @property
    def best_topic(self) -> str | None:
        if not self.topics:
            return None
        return max(self.topics, key=lambda t: t.score).topic


@dataclass(frozen=True, slots=True)
class ClusterDoc:
    """A document (or question) to cluster: id, text, embedding and day."""

    item_id: str
    text: str
    embedding: np.ndarray = field(compare=False)
    day: str | None = None  # ISO date
    url: str | None = None
    title: str | None = None  # a post's title (the subtitle of its topic when it is the most central post)
    source: str | None = None  # the blog (host) it comes from: topics need several
    lang: str | None = None  # de | en | other: labels are in the cluster's dominant language


@dataclass(frozen=True, slots=True)
class Cluster:
    """A found group: a stable id, a readable label, c-TF-IDF keywords (the "why"), members, centroid."""

    cluster_id: str
    label: str
    keywords: tuple[str, ...]
    members: tuple[str, ...]
    centroid: np.ndarray = field(compare=False)
    is_new: bool = False
    representative: str | None = None  # the member text closest to the centroid
    subtitle: str | None = None  # the title of the most central member with a title


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """The outcome of one clustering run."""

    clusters: tuple[Cluster, ...]
    outliers: tuple[str, ...]
    n_items: int

    @property
    def outlier_share(self) -> float:
        return len(self.outliers) / self.n_items if self.n_items else 0.0
