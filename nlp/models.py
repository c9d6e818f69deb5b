"""Which model does which task: a spec (plain values, mirrors `resonanz.config.Models`) and the loaded set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .encoders import Encoder, get_encoder
from .features import BatchFeatures
from .hf import resolve_device, set_precision
from .language import LanguageDetector, get_language_detector
from .questions import QuestionRules
from .records import ModelInfo, Taxonomy
from .sentiment import SentimentModel, get_sentiment_model
from .topics import PrototypeTopics, TopicModel, ZeroShotTopics


@dataclass(frozen=True)
class ModelSpec:
    """Model ids per task: `builtin:…`, a Hugging Face id, or a local directory."""

    language: str = "builtin:lingua"
    embedding: str = "builtin:use"
    sentiment: str = "builtin:sentiment-head"
    topics: str = "builtin:prototypes"
    device: str = "auto"
    precision: str = "auto"
    batch_size: int = 32
    max_length: int = 256
    sentiment_labels: dict[str, str] = field(default_factory=dict)
    topic_threshold: float = 0.5
    hypothesis_template: str = "This text is about {}."

    @classmethod
    def from_config(cls, models: Any) -> ModelSpec:
        """From `resonanz.config.Models` (or any object/dict with these fields)."""
        data = models if isinstance(models, dict) else models.model_dump()
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class ModelSet:
    """The loaded models of one run (each loaded once per process, see hf.cached)."""

    spec: ModelSpec
    device: str
    taxonomy: Taxonomy
    rules: QuestionRules
    _language: LanguageDetector | None = None
    _sentiment: SentimentModel | None = None
    _topics: TopicModel | None = None
    _encoder: Encoder | None = None

    def features(self, texts: list[str], languages: list[str] | None = None) -> BatchFeatures:
        return BatchFeatures(texts, languages, self.device, self.spec.max_length, self.spec.batch_size)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder(
                self.spec.embedding, self.device, self.spec.max_length, self.spec.batch_size
            )
        return self._encoder

    @property
    def language(self) -> LanguageDetector:
        if self._language is None:
            s = self.spec
            self._language = get_language_detector(s.language, self.device, s.max_length, s.batch_size)
        return self._language

    @property
    def sentiment(self) -> SentimentModel:
        if self._sentiment is None:
            s = self.spec
            self._sentiment = get_sentiment_model(
                s.sentiment, self.device, s.max_length, s.batch_size, s.sentiment_labels
            )
        return self._sentiment

    @property
    def topics(self) -> TopicModel:
        if self._topics is None:
            s = self.spec
            if s.topics == "builtin:prototypes":
                self._topics = PrototypeTopics(
                    self.taxonomy, s.embedding, self.encoder.version, self.features([])
                )
            elif s.topics.startswith("builtin:"):
                raise ValueError(
                    f"models.topics: unknown builtin {s.topics!r}; use builtin:prototypes or an NLI model"
                )
            else:
                self._topics = ZeroShotTopics(
                    self.taxonomy,
                    s.topics,
                    self.device,
                    s.max_length,
                    s.batch_size,
                    s.hypothesis_template,
                    s.topic_threshold,
                )
        return self._topics

    def info(self, task: str) -> ModelInfo:
        """Name and version of the model behind a task (what the warehouse records as provenance)."""
        if task == "language":
            return ModelInfo(task, self.spec.language, self.language.version)
        if task == "sentiment":
            return ModelInfo(task, self.spec.sentiment, self.sentiment.version)
        if task == "topics":
            return ModelInfo(task, self.spec.topics, self.topics.version)
        if task == "questions":
            return ModelInfo(task, "builtin:question-rules", self.rules.version)
        if task == "embedding":
            return ModelInfo(task, self.spec.embedding, self.encoder.version)
        raise ValueError(f"unknown task {task!r}")


def load_models(
    spec: ModelSpec | None = None, taxonomy: Taxonomy | None = None, company_terms: tuple[str, ...] = ()
) -> ModelSet:
    """A ModelSet; models load lazily on first use, once per process."""
    spec = spec or ModelSpec()
    set_precision(spec.precision)
    return ModelSet(
        spec, resolve_device(spec.device), taxonomy or Taxonomy(), QuestionRules(tuple(company_terms))
    )
