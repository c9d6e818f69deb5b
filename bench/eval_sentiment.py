"""Sentiment quality of the configured model on real data: dev sets, test sets, and the demo storyline.

Usage: python bench/eval_sentiment.py [--model builtin:sentiment-head|HEAD.npz|HF-ID|DIR] [--only dev]
       [--write] [--cache DIR]

Per set (nlp.sentiment_data): macro-F1, accuracy, negative precision/recall, predicted vs true negative
share, expected calibration error (top label, 15 bins). Dev sets selected and calibrated the builtin head
(so their ECE is in-sample); test sets are reported separately and were never used for any choice; TweetEval
overlaps the English training source. Texts go through the pipeline's own path (nlp.enrich), so the labels
are those `resonanz enrich` stores and `resonanz classify` prints; `--cache DIR` reuses stored features
(nlp.sentiment_fit) for a quick re-run of the builtin head instead. Demo comments are integration data: only
the storyline (which own post draws the most negative comments) is printed, never used for a choice.
`--write` stores the dev figures in bench/data/sentiment_figures.json (guarded by tests/test_sentiment_quality.py).
The last line is the figure: macro-F1 per dev set.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench.figures import figure
from nlp.enrich import enrich_documents
from nlp.evaldata import default_data_dir, demo_comments
from nlp.hf import softmax
from nlp.models import ModelSpec, load_models
from nlp.records import SENTIMENT_LABELS, DocText
from nlp.sentiment_data import SETS, file_hashes, load
from nlp.sentiment_fit import feature_matrix, metrics

FIGURES = Path(__file__).resolve().parent / "data" / "sentiment_figures.json"
COLUMNS = ("macro_f1", "accuracy", "neg_precision", "neg_recall", "neg_share_pred", "neg_share_true", "ece")


def pipeline_probs(texts: list[str], models) -> np.ndarray:
    """Calibrated probabilities and labels exactly as the pipeline computes them."""
    docs = [DocText(str(i), t, kind="comment") for i, t in enumerate(texts)]
    rows = [e.sentiment for e in enrich_documents(docs, models, tasks=("sentiment",))]
    return np.asarray([[r.scores[k] for k in SENTIMENT_LABELS] for r in rows])


def evaluate(models, roles: tuple[str, ...], cache: Path | None) -> dict[str, dict]:
    out = {}
    for spec in SETS:
        if spec.role not in roles:
            continue
        data = load(spec, default_data_dir())
        if cache is not None:
            X = feature_matrix(data, cache)
            probs = softmax(models.sentiment.logits(X), axis=1)
        else:
            probs = pipeline_probs(data.texts, models)
        out[spec.key] = {"role": spec.role, **metrics(probs, data.labels, models.sentiment.min_polar)}
        row = out[spec.key]
        note = f"  ({spec.note})" if spec.note else ""
        print(
            f"{spec.role:4s} {spec.key:20s} n={row['n']:5d} "
            + " ".join(f"{c} {row[c]:.3f}" for c in COLUMNS)
            + note,
            flush=True,
        )
    return out


def report_demo(models) -> str | None:
    """Negative comments per own-blog post (predicted vs the demo authors' labels); the most negative post."""
    comments = [c for c in demo_comments() if c.own]
    if not comments:
        return None
    docs = [DocText(str(i), c.text, kind="comment") for i, c in enumerate(comments)]
    labels = [e.sentiment.label for e in enrich_documents(docs, models, tasks=("sentiment",))]
    pred = Counter(c.post for c, label in zip(comments, labels, strict=True) if label == "negative")
    gold = Counter(c.post for c in comments if c.sentiment == "negative")
    for post, n in pred.most_common(3):
        print(f"demo own post {post}: predicted negative {n}, labelled negative {gold[post]}")
    top = pred.most_common(1)[0][0] if pred else None
    print(
        f"demo storyline: most negative own post (predicted) = {top}; (labelled) = {gold.most_common(1)[0][0]}"
    )
    return top


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:sentiment-head")
    parser.add_argument("--only", choices=["dev", "test"], help="evaluate only these sets")
    parser.add_argument("--write", action="store_true", help=f"store the dev figures in {FIGURES.name}")
    parser.add_argument("--cache", type=Path, help="reuse stored features (builtin head only)")
    args = parser.parse_args()
    if not (default_data_dir() / "sentiment").is_dir():
        print(f"no evaluation data under {default_data_dir()}")
        return 1
    models = load_models(ModelSpec(sentiment=args.model))
    roles = (args.only,) if args.only else ("dev", "test")
    figures = evaluate(models, roles, args.cache)
    if not args.only:
        top = report_demo(models)
        figure("sentiment.demo.most_negative_own_post", str(top))
    version = models.info("sentiment").version
    print(f"model {args.model} ({version}), min_polar {models.sentiment.min_polar:g}")
    if args.write:
        dev = {k: v for k, v in figures.items() if v["role"] == "dev"}
        FIGURES.write_text(
            json.dumps(
                {
                    "model": args.model,
                    "version": version,
                    "script": "python bench/eval_sentiment.py --write",
                    "inputs": file_hashes(default_data_dir(), [s for s in SETS if s.key in figures]),
                    "sets": figures,
                    "dev": {k: v["macro_f1"] for k, v in dev.items()},
                },
                indent=2,
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {FIGURES}")
    for key, row in figures.items():
        name = key.split("/")[0].replace("-", "_")
        figure(f"sentiment.{row['role']}.{name}", f"{row['macro_f1']:.3f}")
        figure(f"sentiment.{row['role']}.{name}.ece", f"{row['ece']:.3f}")
    dev_f1 = " ".join(f"{k} {v['macro_f1']:.3f}" for k, v in figures.items() if v["role"] == "dev")
    print(f"sentiment macro-F1 (dev): {dev_f1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
