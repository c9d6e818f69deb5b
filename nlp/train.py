"""Build the offline heads: `python -m nlp.train` (or `resonanz train`).

Sentiment (nlp/artifacts/sentiment_head.npz): multinomial logistic regression on USE-m v3 ⊕ MiniLM ⊕ VADER
features of the training splits of nlp.sentiment_data (XLM-T de/en train, PotTS train part, GoEmotions
train). Selected on the dev splits only (XLM-T val de/en, PotTS dev part, GoEmotions dev), each dev set
counting equally: the regularisation C and the training-set weighting by the best mean dev macro-F1 after
calibration; a temperature and class biases fitted on the dev sets (weighted NLL) are folded into the
coefficients; the neutral margin `min_polar` (a negative/positive label needs at least this probability) is
the dev-best. Test splits, TweetEval and the demo blogosphere are never read here.
Background: the mean embedding of a mixed German/English corpus (nlp/background.py; never demo or
evaluation text), used to centre topic scores when a batch is too small to calibrate on itself. Artifacts go
to nlp/artifacts/ with a manifest of data hashes; an up-to-date build is skipped unless forced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

import numpy as np

from .background import build_background
from .evaldata import default_data_dir
from .hf import softmax
from .sentiment import HEAD_FILE
from .sentiment_data import file_hashes, load, sets
from .sentiment_fit import (
    C_GRID,
    PARTS,
    SET_WEIGHTINGS,
    choose_min_polar,
    feature_matrix,
    fit_calibration,
    fit_logistic,
    metrics,
    set_weights,
)
from .topics import BACKGROUND_FILE

log = logging.getLogger(__name__)

SEED = 13
RECIPE = "head-6"  # bump when the recipe changes
MANIFEST = HEAD_FILE.parent / "manifest.json"


def _stack(specs, data_dir: Path, cache_dir: Path | None):
    data = [load(s, data_dir) for s in specs]
    return data, [feature_matrix(d, cache_dir) for d in data]


def _candidate(coef, intercept, dev, dev_X) -> dict:
    """Calibrate a fitted head on the dev sets (each set weighing equally), choose min_polar, score it."""
    logits = [X @ coef.T + intercept for X in dev_X]
    y = np.concatenate([d.labels for d in dev])
    weights = np.concatenate([np.full(len(d.labels), 1.0 / len(d.labels)) for d in dev])
    temperature, bias = fit_calibration(np.vstack(logits), y, weights)
    probs = {d.spec.key: softmax(z / temperature + bias, axis=1) for d, z in zip(dev, logits, strict=True)}
    labels = {d.spec.key: d.labels for d in dev}
    min_polar, table = choose_min_polar(probs, labels)
    per_set = {k: metrics(probs[k], labels[k], min_polar) for k in probs}
    return {
        "coef": coef / temperature,
        "intercept": intercept / temperature + bias,
        "temperature": round(temperature, 4),
        "bias": [round(float(b), 4) for b in bias],
        "min_polar": min_polar,
        "min_polar_table": table,
        "dev": per_set,
        "dev_mean_macro_f1": round(float(np.mean([m["macro_f1"] for m in per_set.values()])), 4),
    }


def train_sentiment(data_dir: Path, cache_dir: Path | None = None) -> dict:
    """Fit the head for each (C, weighting), calibrate on dev, keep the dev-best, write it."""
    train, train_X = _stack(sets("train"), data_dir, cache_dir)
    dev, dev_X = _stack(sets("dev"), data_dir, cache_dir)
    X = np.vstack(train_X)
    y = np.concatenate([d.labels for d in train])
    groups = np.concatenate([[d.spec.name] * len(d.labels) for d in train])
    best, table = None, {}
    for weighting in SET_WEIGHTINGS:
        for c in C_GRID:
            coef, intercept = fit_logistic(X, y, c, set_weights(groups, weighting), SEED)
            cand = _candidate(coef, intercept, dev, dev_X)
            key = f"C{c:g}-{weighting}"
            table[key] = {"dev_mean_macro_f1": cand["dev_mean_macro_f1"], "min_polar": cand["min_polar"]}
            log.info("%s: dev mean macro-F1 %s", key, cand["dev_mean_macro_f1"])
            if best is None or cand["dev_mean_macro_f1"] > best["dev_mean_macro_f1"]:
                best = {**cand, "C": c, "weighting": weighting}
    assert best is not None
    train_hash = hashlib.sha256(json.dumps(file_hashes(data_dir, sets("train"))).encode()).hexdigest()[:12]
    version = (
        f"{RECIPE}-C{best['C']:g}-{best['weighting']}-T{best['temperature']:.2f}"
        f"-m{best['min_polar']:g}-{train_hash}"
    )
    write_head(HEAD_FILE, best["coef"], best["intercept"], version, best["min_polar"])
    return {
        "version": version,
        "features": list(PARTS),
        "fitted_on": {d.spec.key: _counts(d.labels) for d in train},
        "selected_on": {d.spec.key: _counts(d.labels) for d in dev},
        "rule": "max mean dev macro-F1 over (C, weighting); temperature + class biases by weighted dev NLL; "
        "min_polar by mean dev macro-F1 (ties: larger)",
        "C": best["C"],
        "weighting": best["weighting"],
        "temperature": best["temperature"],
        "bias": best["bias"],
        "min_polar": best["min_polar"],
        "min_polar_table": best["min_polar_table"],
        "candidates": table,
        "dev": best["dev"],
    }


def _counts(labels: np.ndarray) -> dict[str, int]:
    return {"n": len(labels), **{k: int((labels == i).sum()) for i, k in enumerate(("neg", "neu", "pos"))}}


def write_head(
    path: Path, coef, intercept, version: str, min_polar: float, corrections: int = 0, base: str = ""
) -> None:
    """Save a calibrated head (coefficients in SENTIMENT_LABELS order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        coef=np.asarray(coef, dtype=np.float32),
        intercept=np.asarray(intercept, dtype=np.float32),
        parts=np.asarray(PARTS),
        classes=np.arange(3),
        version=np.asarray(version),
        min_polar=np.asarray(min_polar),
        corrections=np.asarray(corrections),
        base_version=np.asarray(base),
    )


def inputs_hash(data_dir: Path) -> str:
    hashes = file_hashes(data_dir, sets("train") + sets("dev"))
    return hashlib.sha256((RECIPE + json.dumps(hashes)).encode()).hexdigest()[:16]


def train(data_dir: Path | None = None, force: bool = False, cache_dir: Path | None = None) -> dict:
    """Build all artifacts unless the manifest says they are up to date; returns the manifest."""
    data_dir = data_dir or default_data_dir()
    if not (data_dir / "sentiment").is_dir():
        raise FileNotFoundError(f"training data not found under {data_dir} (set RESONANZ_SHARED_DATA)")
    key = inputs_hash(data_dir)
    if not force and MANIFEST.exists() and HEAD_FILE.exists() and BACKGROUND_FILE.exists():
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
        if manifest.get("inputs_hash") == key:
            log.info("artifacts are up to date (inputs %s); use --force to rebuild", key)
            return manifest
    np.random.seed(SEED)
    manifest = {
        "inputs_hash": key,
        "seed": SEED,
        "sentiment_head": train_sentiment(data_dir, cache_dir),
        "background": build_background(data_dir),
        "data": file_hashes(data_dir, sets("train") + sets("dev")),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.train", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="shared data folder (default: ../shared/data)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    parser.add_argument("--cache", type=Path, default=None, help="reuse/store text features in this folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    manifest = train(args.data, args.force, args.cache)
    json.dump(manifest, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
