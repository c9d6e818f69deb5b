"""The stage's entry: documents in, enrichments out, streamed in batches."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any

import numpy as np

from .models import ModelSet, ModelSpec, load_models
from .records import DocText, Enrichment, Taxonomy
from .sentiment import results as sentiment_results
from .topics import PrototypeTopics, TopicCalibration

log = logging.getLogger(__name__)

ALL_TASKS = ("language", "sentiment", "topics", "questions", "embedding")
CLASSIFY_TASKS = ("language", "sentiment", "topics", "questions")


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _enrich_batch(
    docs: list[DocText], models: ModelSet, tasks: Sequence[str], calibration: TopicCalibration | None
) -> list[Enrichment]:
    texts = [d.full_text for d in docs]
    need_language = "language" in tasks or ("sentiment" in tasks and models.sentiment.needs_language)
    languages = models.language.detect(texts) if need_language else None
    features = models.features(texts, [r.label for r in languages] if languages else None)
    if docs and all(d.embedding is not None for d in docs):
        features.put(models.spec.embedding, np.stack([d.embedding for d in docs]))
    sentiment = None
    if "sentiment" in tasks:
        sentiment = sentiment_results(models.sentiment.predict(features), models.sentiment.min_polar)
    topics = models.topics.scores(features, calibration) if "topics" in tasks else None
    questions = models.rules.detect_all(docs) if "questions" in tasks else None
    vectors = features.embedding(models.spec.embedding) if "embedding" in tasks else None
    return [
        Enrichment(
            doc.doc_id,
            language=languages[i] if languages and "language" in tasks else None,
            sentiment=sentiment[i] if sentiment else None,
            topics=topics[i] if topics is not None else None,
            questions=questions[i] if questions else None,
            embedding=vectors[i] if vectors is not None else None,
        )
        for i, doc in enumerate(docs)
    ]


def enrich_documents(
    docs: Iterable[DocText],
    models: ModelSet,
    batch_size: int = 256,
    tasks: Sequence[str] = ALL_TASKS,
    calibration: TopicCalibration | None = None,
) -> Iterator[Enrichment]:
    """Enrich documents batch by batch (memory stays flat); results in input order.

    Args:
        tasks: any of language, sentiment, topics, questions, embedding.
        calibration: corpus statistics for builtin topic scoring (see `calibrate_topics`); None uses the
            committed background.
    """
    unknown = set(tasks) - set(ALL_TASKS)
    if unknown:
        raise ValueError(f"unknown enrichment task(s) {sorted(unknown)}; known: {', '.join(ALL_TASKS)}")
    done = 0
    for batch in batched(docs, batch_size):
        yield from _enrich_batch(batch, models, tasks, calibration)
        done += len(batch)
        log.debug("enriched %d documents", done)


_SHARED: dict[tuple, ModelSet] = {}
_SHARED_LOCK = threading.Lock()
WARM_UP = DocText("warm-up", "Wie lange dauert die Umstellung? Thanks, this works well.", kind="comment")


def shared_models(spec: ModelSpec, taxonomy: Taxonomy, company_terms: Sequence[str] = ()) -> ModelSet:
    """This process's one ModelSet for these settings, loaded and warmed up on first use.

    A Dask worker (or any long-lived process) enriching batch after batch calls this per batch: models,
    topic prototypes and the precision setting are set up once per process, not per batch.
    """
    key = (repr(spec), taxonomy, tuple(company_terms))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = warm_up(load_models(spec, taxonomy, tuple(company_terms)))
        return _SHARED[key]


def warm_up(models: ModelSet) -> ModelSet:
    """Load every model of the set now (they load lazily) with one forward pass of each task."""
    tasks = [t for t in ALL_TASKS if t != "topics" or models.taxonomy.topics]
    list(enrich_documents([WARM_UP], models, 1, tasks))
    return models


def calibrate_topics(models: ModelSet, sample: np.ndarray | None) -> TopicCalibration | None:
    """Corpus calibration for builtin topics from a sample of document embeddings (None for NLI models)."""
    topics = models.topics
    return topics.calibrate(sample) if isinstance(topics, PrototypeTopics) else None


def classify_texts(
    texts: Sequence[str],
    task: str,
    models: ModelSet,
    batch_size: int = 256,
    corpus_sample: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Ad-hoc texts → one JSON-ready dict per text with `label` and scores (the pipeline's code path).

    Empty (blank) texts get an empty dict. Builtin topics calibrate as the pipeline does: on
    `corpus_sample` (stored embeddings of the project's documents) when given, else on the texts
    themselves when there are enough of them, else on the committed background.
    """
    if task not in CLASSIFY_TASKS:
        raise ValueError(f"unknown task {task!r}; use one of {', '.join(CLASSIFY_TASKS)}")
    docs = [DocText(doc_id=str(i), text=t, kind="comment") for i, t in enumerate(texts) if t.strip()]
    calibration = None
    if task == "topics":
        if not models.taxonomy.topics:
            raise ValueError("topics need a taxonomy: pass --taxonomy FILE.toml or configure [[topics]]")
        if isinstance(models.topics, PrototypeTopics):
            vectors = [e.embedding for e in enrich_documents(docs, models, batch_size, ("embedding",))]
            docs = [replace(d, embedding=v) for d, v in zip(docs, vectors, strict=True)]
            sample = corpus_sample if corpus_sample is not None else (np.vstack(vectors) if vectors else None)
            calibration = calibrate_topics(models, sample)
    out: list[dict[str, Any]] = [{} for _ in texts]
    for enrichment in enrich_documents(docs, models, batch_size, (task,), calibration):
        out[int(enrichment.doc_id)] = _as_dict(enrichment, task)
    return out


def _as_dict(e: Enrichment, task: str) -> dict[str, Any]:
    if task == "language" and e.language:
        return {"label": e.language.label, "score": e.language.score}
    if task == "sentiment" and e.sentiment:
        return {"label": e.sentiment.label, "score": e.sentiment.score, "scores": e.sentiment.scores}
    if task == "topics" and e.topics is not None:
        assigned = [t for t in e.topics if t.assigned]
        return {
            "label": max(assigned, key=lambda t: t.score).topic if assigned else None,
            "assigned": [t.topic for t in assigned],
            "scores": {t.topic: t.score for t in e.topics},
        }
    if task == "questions" and e.questions:
        return {
            "label": "question" if e.questions.is_question else "none",
            "questions": list(e.questions.questions),
        }
    raise ValueError(f"no {task} result for document {e.doc_id}")
