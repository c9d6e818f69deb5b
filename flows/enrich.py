"""Flow `enrich`: language, sentiment, questions, embeddings, then topics; emerging topics and question groups."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from prefect import flow

from nlp.clustering import ClusterParams
from nlp.enrich import calibrate_topics, enrich_documents
from nlp.grouping import (
    EMERGING_PARAMS,
    embed_texts,
    emerging_params,
    find_emerging_topics,
    group_questions,
    mask_terms,
    phrase_embedder,
    recent_share,
)
from nlp.models import ModelSet, ModelSpec, load_models
from nlp.records import ClusterDoc, ModelInfo, Taxonomy
from warehouse.enrichment import (
    PendingDoc,
    embedding_sample,
    pending_pages,
    register_models,
    write_enrichments,
)
from warehouse.grouping import (
    all_questions,
    known_clusters,
    recent_external_docs,
    write_emerging,
    write_question_groups,
)
from warehouse.target import Target

if TYPE_CHECKING:
    from .enrich_dask import DaskOptions

log = logging.getLogger(__name__)

FIRST_PASS = ("language", "sentiment", "questions", "embedding")
Progress = Callable[[str, int], None]


@dataclass
class EnrichSummary:
    """What one enrichment run did."""

    enriched: dict[str, int] = field(default_factory=dict)  # task → documents (re-)enriched
    models: dict[str, str] = field(default_factory=dict)  # task → "model@version"
    emerging_topics: int = 0
    new_emerging_topics: int = 0
    emerging_outlier_share: float = 0.0
    emerging_outliers: int = 0  # posts of the window that fit no topic worth showing (the outlier bucket)
    emerging_posts: int = 0  # posts clustered (all external posts of the window: nothing is capped)
    question_groups: int = 0
    questions: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _log_progress(task: str, done: int) -> None:
    log.info("enrich: %s — %d documents so far", task, done)


def _run_pass(
    db: Target,
    infos: Sequence[ModelInfo],
    force: bool,
    page_size: int,
    run_id: str | None,
    progress: Progress,
    calibration: Any = None,
    embedding_version: str | None = None,
    *,
    models: ModelSet,
) -> Counter:
    """One pass in this process: pending pages enriched and written one after the other."""
    counts: Counter = Counter()
    done = 0
    for page in pending_pages(db, infos, force, page_size, embedding_version):
        counts += enrich_page(db, models, infos, page, run_id, calibration)
        done += len(page)
        progress("+".join(i.task for i in infos), done)
    return counts


def enrich_page(
    db: Target,
    models: ModelSet,
    infos: Sequence[ModelInfo],
    page: Sequence[PendingDoc],
    run_id: str | None,
    calibration: Any = None,
) -> Counter:
    """Enrich one page of pending documents (each for the tasks it lacks) and write the results in one transaction."""
    counts: Counter = Counter()
    by_tasks: dict[frozenset[str], list] = {}
    for item in page:
        by_tasks.setdefault(item.tasks, []).append(item.doc)
    results = []
    for tasks, docs in by_tasks.items():
        results += enrich_documents(docs, models, models.spec.batch_size * 8, sorted(tasks), calibration)
        counts.update({t: len(docs) for t in tasks})
    write_enrichments(db, results, infos, {p.doc.doc_id: p.content_hash for p in page}, run_id)
    return counts


def run_enrichment(
    db: Target,
    spec: ModelSpec,
    taxonomy: Taxonomy,
    company_terms: Sequence[str] = (),
    force: bool = False,
    run_id: str | None = None,
    emerging_days: int = 56,
    page_size: int = 1000,
    progress: Progress = _log_progress,
    emerging: ClusterParams = EMERGING_PARAMS,
    dask: DaskOptions | None = None,
) -> EnrichSummary:
    """Enrich what is pending for the current models (all with `force`), then regroup topics and questions.

    With `dask`, the passes run as batches on a Dask cluster (flows/enrich_dask.py); the regrouping
    (emerging topics, question groups) always runs here, on the stored embeddings.
    """
    started = time.monotonic()
    models = load_models(spec, taxonomy, tuple(company_terms))
    first = [models.info(t) for t in FIRST_PASS]
    topics = models.info("topics")
    register_models(db, [*first, topics])
    summary = EnrichSummary(models={i.task: f"{i.name}@{i.version}" for i in [*first, topics]})
    with passes(dask, models) as run_pass:
        counts = enrich_pending(db, models, run_pass, force, page_size, run_id, progress)
    summary.enriched = {t: counts.get(t, 0) for t in (*FIRST_PASS, "topics")}
    _update_emerging(db, models, emerging_days, run_id, summary, emerging)
    _update_question_groups(db, models, summary)
    summary.seconds = round(time.monotonic() - started, 2)
    log.info(
        "enrich: done in %.1f s — %s; %d emerging topics, %d question groups",
        summary.seconds,
        ", ".join(f"{task} {n}" for task, n in summary.enriched.items()),
        summary.emerging_topics,
        summary.question_groups,
    )
    return summary


def enrich_pending(
    db: Target,
    models: ModelSet,
    run_pass: Callable[..., Counter],
    force: bool = False,
    page_size: int = 1000,
    run_id: str | None = None,
    progress: Progress = _log_progress,
) -> Counter:
    """The two passes over pending documents (language … embedding, then topics on the stored embeddings)."""
    counts = run_pass(db, [models.info(t) for t in FIRST_PASS], force, page_size, run_id, progress)
    embedding_version = models.info("embedding").version
    if models.taxonomy.topics:
        calibration = calibrate_topics(models, embedding_sample(db, embedding_version))
        topics = [models.info("topics")]
        counts += run_pass(db, topics, force, page_size, run_id, progress, calibration, embedding_version)
    return counts


def passes(dask: DaskOptions | None, models: ModelSet) -> contextlib.AbstractContextManager:
    """The pass function: in this process, or on a Dask cluster with the models loaded on every worker."""
    if dask is None:
        return contextlib.nullcontext(functools.partial(_run_pass, models=models))
    from .enrich_dask import dask_passes

    return dask_passes(dask, models.spec, models.taxonomy, models.rules.company_terms)


def _update_emerging(
    db: Target,
    models: ModelSet,
    days: int,
    run_id: str | None,
    summary: EnrichSummary,
    params: ClusterParams = EMERGING_PARAMS,
) -> None:
    version = models.info("embedding").version
    docs = recent_external_docs(db, days, version)
    result = find_emerging_topics(
        docs, known_clusters(db, "emerging_topics"), params, phrase_embedder(models)
    )
    day = {d.item_id: d.day for d in docs}
    latest = max((date.fromisoformat(d) for d in day.values() if d), default=date.today())
    shares = {c.cluster_id: recent_share(c, day, latest) for c in result.clusters}
    write_emerging(db, result, docs, shares, run_id, version)
    summary.emerging_topics = len(result.clusters)
    summary.new_emerging_topics = sum(c.is_new for c in result.clusters)
    summary.emerging_outlier_share = round(result.outlier_share, 3)
    summary.emerging_outliers = len(result.outliers)
    summary.emerging_posts = result.n_items


def _update_question_groups(db: Target, models: ModelSet, summary: EnrichSummary) -> None:
    questions = all_questions(db)
    vectors = embed_texts([mask_terms(q[1], models.rules.company_terms) for q in questions], models)
    items = [ClusterDoc(q[0], q[1], v, url=q[2]) for q, v in zip(questions, vectors, strict=True)]
    result = group_questions(items, known_clusters(db, "question_groups"))
    write_question_groups(db, result, questions)
    summary.question_groups = len(result.clusters)
    summary.questions = len(questions)


def dask_options(config: Any) -> DaskOptions | None:
    """`[scale] dask` of the config as DaskOptions; None (the in-process stage) when it is off."""
    if not config.scale.dask:
        return None
    from .enrich_dask import DaskOptions

    return DaskOptions.from_config(config.scale)


def taxonomy_from_config(topics: Sequence[Any]) -> Taxonomy:
    """config.topics (pydantic Topic models or dicts) → Taxonomy."""
    return Taxonomy.from_dicts([t if isinstance(t, dict) else t.model_dump() for t in topics])


@flow(name="enrich")
def enrich(
    config: Any, db: str | None = None, force: bool = False, run_id: str | None = None
) -> dict[str, Any]:
    """Prefect flow: enrich the documents of `config`'s database (call after `collect`)."""
    summary = run_enrichment(
        db or config.db,
        ModelSpec.from_config(config.models_in_use),
        taxonomy_from_config(config.topics),
        company_terms=[config.company.name, *config.company.brand_keywords],
        force=force,
        run_id=run_id,
        emerging_days=config.models.emerging_days,
        emerging=emerging_params(config.models.emerging_min_posts, config.models.emerging_min_blogs),
        dask=dask_options(config),
    )
    return summary.to_dict()
