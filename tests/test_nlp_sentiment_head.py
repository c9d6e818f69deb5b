"""The calibrated builtin sentiment head: neutral margin, calibration, data rules, refit on corrections."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.adapt import adapt_weights, refit_head
from nlp.enrich import classify_texts, enrich_documents
from nlp.hf import softmax
from nlp.models import ModelSpec, load_models
from nlp.records import DocText
from nlp.sentiment import HEAD_FILE, HeadModel, decide, results
from nlp.sentiment_data import goemotions_label, potts_part
from nlp.sentiment_fit import ece, fit_calibration, set_weights


def test_committed_head_is_calibrated_and_needs_evidence_for_a_polar_label():
    head = HeadModel()
    assert 1 / 3 < head.min_polar < 1 and head.corrections == 0
    assert f"-m{head.min_polar:g}-" in head.version and head.coef.shape[0] == 3


def test_decide_keeps_weak_polar_labels_neutral():
    probs = np.asarray([[0.45, 0.30, 0.25], [0.70, 0.20, 0.10], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6]])
    assert decide(probs, 0.5).tolist() == [1, 0, 1, 2]
    assert decide(probs, 0.0).tolist() == probs.argmax(axis=1).tolist()
    first = results(probs, 0.5)[0]
    assert first.label == "neutral" and first.score == 0.30 and first.scores["negative"] == 0.45


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    probs = np.tile([0.75, 0.25, 0.0], (8, 1))
    assert ece(probs, np.asarray([0, 0, 0, 1] * 2)) == pytest.approx(0.0)
    assert ece(np.tile([0.99, 0.01, 0.0], (8, 1)), np.asarray([0, 1] * 4)) == pytest.approx(0.49)


def test_calibration_recovers_a_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 3))
    true = softmax(logits / 2.0, axis=1)
    y = np.asarray([rng.choice(3, p=p) for p in true])
    temperature, bias = fit_calibration(logits, y, np.ones(len(y)))
    assert temperature == pytest.approx(2.0, rel=0.15) and np.abs(bias).max() < 0.2


def test_set_weights_give_each_set_sqrt_of_its_size():
    groups = np.asarray(["a"] * 100 + ["b"] * 4)
    w = set_weights(groups, "sqrt")
    assert w[:100].sum() / w[100:].sum() == pytest.approx(10 / 2)
    assert set_weights(groups, "rows").tolist() == [1.0] * 104


def test_data_rules():
    assert goemotions_label("1") == 0 and goemotions_label("0,3") == 2 and goemotions_label("2") == 1
    assert goemotions_label("1,3") is None and goemotions_label("0") is None
    assert potts_part("ein Tweet") == potts_part("ein Tweet") in {"train", "dev", "test"}


def test_classify_prints_calibrated_scores_and_the_labels_the_pipeline_stores():
    texts = [
        "Danke, das hat uns sehr geholfen!",
        "Nine person-days is a number people can actually plan with.",
        "Das Update hat wieder alles kaputt gemacht.",
        "The webinar is on Tuesday at 10.",
    ]
    models = load_models()
    rows = classify_texts(texts, "sentiment", models)
    stored = list(enrich_documents([DocText(str(i), t, kind="comment") for i, t in enumerate(texts)], models))
    assert [r["label"] for r in rows] == [e.sentiment.label for e in stored]
    for row in rows:
        assert sum(row["scores"].values()) == pytest.approx(1.0, abs=1e-3)
        assert row["score"] == row["scores"][row["label"]]


def test_adapt_weights_move_towards_the_corrections_and_stay_near_the_prior():
    rng = np.random.default_rng(1)
    coef, intercept = np.zeros((3, 4)), np.zeros(3)
    X = rng.normal(size=(60, 4))
    y = np.asarray([0, 1, 2] * 20)
    X[np.arange(60), y] += 3.0  # feature k signals class k
    weak_c, _ = adapt_weights(coef, intercept, X, y, strength=10.0)
    strong_c, _ = adapt_weights(coef, intercept, X, y, strength=0.01)
    assert np.abs(weak_c).max() < np.abs(strong_c).max()
    assert (softmax(X @ strong_c.T, axis=1).argmax(axis=1) == y).mean() > 0.9


def test_refit_head_writes_a_version_that_records_its_corrections(tmp_path):
    corrections = [
        ("Endlich eine klare Preisliste.", "positive"),
        ("Wieder nur ein PDF und ein Gebet.", "negative"),
    ]
    result = refit_head(corrections * 3, tmp_path / "head.npz")
    head = HeadModel(result.path)
    assert head.corrections == result.corrections == 6 and "+corr6-" in head.version
    assert head.min_polar == HeadModel().min_polar and result.base_version == HeadModel(HEAD_FILE).version
    model = load_models(ModelSpec(sentiment=str(result.path))).sentiment
    assert model.version.split("+bfloat16")[0] == head.version  # + the features' precision, if reduced
    with pytest.raises(ValueError, match="unknown sentiment labels"):
        refit_head([("x", "angry")], tmp_path / "bad.npz")
