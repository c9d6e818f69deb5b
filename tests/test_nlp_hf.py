"""The transformers path (hub id or local directory) with tiny random-weights BERTs built here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.enrich import classify_texts, enrich_documents
from nlp.hf import sequence_classifier
from nlp.models import ModelSpec, load_models
from nlp.records import DocText, Taxonomy
from nlp.sentiment import label_matrix
from nlp.tiny import build_tiny_bert

TEXTS = [
    "Das ist großartig!",
    "This update broke everything and support never answered at all.",
    "ok",
    "Preise?",
]
TAXONOMY = Taxonomy.from_dicts(
    [{"name": "E-Rechnung", "description": "XRechnung, ZUGFeRD"}, {"name": "Preise", "keywords": ["pricing"]}]
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {
        "sentiment": build_tiny_bert(root / "sentiment", ["negative", "neutral", "positive"]),
        "stars": build_tiny_bert(
            root / "stars", [f"{i} star{'s' if i > 1 else ''}" for i in range(1, 6)], seed=1
        ),
        "nli": build_tiny_bert(root / "nli", ["contradiction", "neutral", "entailment"], seed=2),
    }


def test_length_sorted_batches_keep_input_order(tiny):
    model = sequence_classifier(str(tiny["sentiment"]), "cpu", 64)
    batched = model.logits(TEXTS, batch_size=3)
    single = np.vstack([model.logits([t], batch_size=1) for t in TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-4)


def test_models_load_once_per_process(tiny):
    assert sequence_classifier(str(tiny["sentiment"]), "cpu", 64) is sequence_classifier(
        str(tiny["sentiment"]), "cpu", 64
    )


def test_sentiment_through_the_pipeline_code(tiny):
    models = load_models(ModelSpec(sentiment=str(tiny["sentiment"]), device="cpu", max_length=64))
    rows = classify_texts(TEXTS, "sentiment", models)
    assert [set(r) for r in rows] == [{"label", "score", "scores"}] * len(TEXTS)
    assert all(r["label"] in ("negative", "neutral", "positive") for r in rows)
    assert all(abs(sum(r["scores"].values()) - 1) < 1e-3 for r in rows)
    assert models.info("sentiment").version.startswith("dir-")


def test_star_ratings_map_onto_three_classes(tiny):
    models = load_models(ModelSpec(sentiment=str(tiny["stars"]), device="cpu", max_length=64))
    (result,) = list(enrich_documents([DocText("a", "gut")], models, tasks=("sentiment",)))
    assert result.sentiment.label in ("negative", "neutral", "positive")


def test_label_matrix():
    matrix = label_matrix(["LABEL_0", "LABEL_1", "LABEL_2"])
    np.testing.assert_array_equal(matrix, np.eye(3))
    stars = label_matrix(["1 star", "2 stars", "3 stars", "4 stars", "5 stars"])
    assert stars.argmax(axis=1).tolist() == [0, 0, 1, 2, 2]
    assert label_matrix(["joy", "grumpy"], {"grumpy": "negative"}).argmax(axis=1).tolist() == [2, 0]
    with pytest.raises(ValueError, match="sentiment_labels"):
        label_matrix(["weird"])


def test_zero_shot_topics_through_the_pipeline_code(tiny):
    models = load_models(ModelSpec(topics=str(tiny["nli"]), device="cpu", max_length=64), TAXONOMY)
    rows = classify_texts(TEXTS, "topics", models)
    assert all(r["label"] in TAXONOMY.names and set(r["scores"]) == set(TAXONOMY.names) for r in rows)
    assert models.info("topics").version.endswith(TAXONOMY.version)


def test_zero_shot_needs_an_entailment_label(tiny):
    models = load_models(ModelSpec(topics=str(tiny["sentiment"]), device="cpu"), TAXONOMY)
    with pytest.raises(ValueError, match="entailment"):
        _ = models.topics


def test_mean_pooling_encoder_from_a_local_directory(tiny):
    models = load_models(ModelSpec(embedding=str(tiny["sentiment"]), device="cpu", max_length=64))
    (result,) = list(enrich_documents([DocText("a", "Hallo Welt")], models, tasks=("embedding",)))
    assert result.embedding.shape == (32,)
    assert abs(float(np.linalg.norm(result.embedding)) - 1) < 1e-4
