"""models.precision is part of the version of every model it affects, so switching it re-enriches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_nlp_flow import TAXONOMY, _docs, _ingest

from flows.enrich import run_enrichment
from nlp.encoders import runs_transformers
from nlp.hf import set_precision
from nlp.models import ModelSpec, load_models
from nlp.sentiment import HEAD_FILE, get_sentiment_model
from nlp.tiny import build_tiny_bert

TASKS = ("language", "sentiment", "topics", "questions", "embedding")


@pytest.fixture(autouse=True)
def auto_precision() -> Iterator[None]:
    """The precision is a process-wide setting: leave it as the other tests expect it."""
    yield
    set_precision("auto")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny-precision")
    return {
        "cls": str(build_tiny_bert(root / "cls", ["negative", "neutral", "positive"])),
        "nli": str(build_tiny_bert(root / "nli", ["contradiction", "neutral", "entailment"], seed=2)),
    }


def _versions(spec: ModelSpec) -> dict[str, str]:
    models = load_models(spec, TAXONOMY)
    return {task: models.info(task).version for task in TASKS}


def test_feature_specs_that_run_transformers():
    assert runs_transformers("builtin:minilm") and runs_transformers("builtin:use-minilm")
    assert runs_transformers("org/some-encoder")
    assert not runs_transformers("builtin:use") and not runs_transformers("vader")


def test_default_sentiment_head_version_carries_the_precision():
    """The default head reads MiniLM features: their precision is part of its version."""
    with np.load(HEAD_FILE, allow_pickle=False) as data:
        stored, parts = str(data["version"]), [str(p) for p in data["parts"]]
    assert any(runs_transformers(p) for p in parts)  # the committed head uses MiniLM
    set_precision("float32")
    fp32 = get_sentiment_model("builtin:sentiment-head", "cpu").version
    set_precision("bfloat16")
    bf16 = get_sentiment_model("builtin:sentiment-head", "cpu").version
    assert (fp32, bf16) == (stored, f"{stored}+bfloat16")


def test_every_model_it_affects_and_only_those(tiny):
    transformers = {"sentiment": tiny["cls"], "embedding": tiny["cls"], "topics": tiny["nli"]}
    common = {"device": "cpu", "max_length": 64}
    for models, changed in (
        (transformers, {"sentiment", "embedding", "topics"}),  # NLI topics, mean-pooled encoder
        ({}, {"sentiment"}),  # the defaults: lingua, USE-m (numpy) and the head over USE-m + MiniLM
    ):
        fp32 = _versions(ModelSpec(**models, **common, precision="float32"))
        bf16 = _versions(ModelSpec(**models, **common, precision="bfloat16"))
        differs = {task for task in TASKS if fp32[task] != bf16[task]}
        assert differs == changed, (fp32, bf16)
        assert all("+bfloat16" in bf16[task] for task in changed)


def test_a_precision_change_re_enriches(tmp_db: Path, tiny):
    _ingest(tmp_db, _docs())
    spec = {"embedding": tiny["cls"], "sentiment": tiny["cls"], "device": "cpu", "max_length": 64}
    first = run_enrichment(tmp_db, ModelSpec(**spec, precision="float32"), TAXONOMY)
    assert set(first.enriched.values()) == {4}
    assert (
        sum(run_enrichment(tmp_db, ModelSpec(**spec, precision="float32"), TAXONOMY).enriched.values()) == 0
    )
    switched = run_enrichment(tmp_db, ModelSpec(**spec, precision="bfloat16"), TAXONOMY)
    # topics are builtin prototypes over the (re-computed) tiny embeddings: their version carries it too
    assert switched.enriched == {"language": 0, "sentiment": 4, "questions": 0, "embedding": 4, "topics": 4}
    assert switched.models["sentiment"].endswith("+bfloat16")
    again = run_enrichment(tmp_db, ModelSpec(**spec, precision="bfloat16"), TAXONOMY)
    assert sum(again.enriched.values()) == 0


def test_the_default_head_re_enriches_on_a_precision_change(tmp_db: Path):
    _ingest(tmp_db, _docs())
    run_enrichment(tmp_db, ModelSpec(precision="float32"), TAXONOMY)
    switched = run_enrichment(tmp_db, ModelSpec(precision="bfloat16"), TAXONOMY)
    assert switched.enriched == {"language": 0, "sentiment": 4, "questions": 0, "embedding": 0, "topics": 0}
