"""The published sentiment dev figures (bench/data/sentiment_figures.json) hold for the committed head.

Recomputes macro-F1 on every dev set through the pipeline's path and fails if any drops by more than 0.02
below the published figure (or the published file belongs to another head). Needs ../shared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.eval_sentiment import FIGURES, pipeline_probs
from nlp.models import load_models
from nlp.sentiment import HeadModel
from nlp.sentiment_data import load, sets
from nlp.sentiment_fit import metrics

MAX_DROP = 0.02


@pytest.mark.slow
def test_dev_figures_hold(shared_dir: Path):
    published = json.loads(FIGURES.read_text(encoding="utf-8"))
    models = load_models()
    # the head file's version (a +bfloat16 suffix only says which precision computed the features)
    assert published["version"].split("+")[0] == HeadModel().version, "re-run bench/eval_sentiment.py --write"
    assert set(published["dev"]) == {s.key for s in sets("dev")}
    measured = {}
    for spec in sets("dev"):
        data = load(spec, shared_dir / "data")
        probs = pipeline_probs(data.texts, models)
        measured[spec.key] = metrics(probs, data.labels, models.sentiment.min_polar)["macro_f1"]
    print("dev macro-F1 measured vs published:", {k: (measured[k], published["dev"][k]) for k in measured})
    for key, figure in published["dev"].items():
        assert measured[key] >= figure - MAX_DROP, f"{key}: {measured[key]} < published {figure} - {MAX_DROP}"
