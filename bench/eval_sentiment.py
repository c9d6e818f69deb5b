"""Sentiment macro-F1 of the configured model on the shared validation splits (and the demo comments).

Usage: python bench/eval_sentiment.py [--model builtin:sentiment-head|HF-ID|DIR]
Demo comments (labels by the demo's authors, B2B blog comments): the external blogs are the dev set the
builtin blend was selected on (not an independent figure); the own blog is held out; the own pricing post
is the issue's acceptance case. The last line is the figure: German and English macro-F1 on the XLM-T val
splits.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.metrics import f1_score

from bench.figures import figure
from nlp.enrich import enrich_documents
from nlp.evaldata import default_data_dir, demo_comments, sentiment_val
from nlp.models import ModelSpec, load_models
from nlp.records import DocText


def predict(texts: list[str], models) -> list[str]:
    docs = [DocText(str(i), t, kind="comment") for i, t in enumerate(texts)]
    return [e.sentiment.label for e in enrich_documents(docs, models, tasks=("sentiment",))]


PRICING_POST = "neues-lizenzmodell-kontorone-2027"  # own post whose comments are mostly negative
DEMO_SETS = {
    "demo-external": (False, "dev: the builtin blend was selected on these"),
    "demo-own": (True, "held out"),
}


def report_demo(models) -> dict[str, float]:
    """Macro-F1 on the external (dev) and own (held-out) demo comments; label counts on the pricing post."""
    comments = demo_comments()
    scores: dict[str, float] = {}
    if not comments:
        return scores
    pred = predict([d.text for d in comments], models)
    for name, (own, note) in DEMO_SETS.items():
        idx = [i for i, d in enumerate(comments) if d.own == own]
        if idx:
            gold = [comments[i].sentiment for i in idx]
            f1 = scores[name] = f1_score(gold, [pred[i] for i in idx], average="macro")
            print(f"{name:14s} n={len(idx):5d} macro-F1 {f1:.3f}  ({note})")
    idx = [i for i, d in enumerate(comments) if d.post == PRICING_POST]
    if idx:
        gold = Counter(comments[i].sentiment for i in idx)
        print(
            f"{'pricing-post':14s} n={len(idx):5d} labelled {dict(gold)} "
            f"predicted {dict(Counter(pred[i] for i in idx))}"
        )
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:sentiment-head")
    args = parser.parse_args()
    if not (default_data_dir() / "sentiment").is_dir():
        print(f"no evaluation data under {default_data_dir()}")
        return 1
    models = load_models(ModelSpec(sentiment=args.model))
    scores = {}
    for name in ("xlmt-de", "xlmt-en", "tweeteval-en"):
        rows = sentiment_val(name)
        pred = predict([r.text for r in rows], models)
        scores[name] = f1_score([r.label for r in rows], pred, average="macro")
        note = "  (CONTAMINATED: overlaps the xlmt-english training source)" if name == "tweeteval-en" else ""
        print(f"{name:14s} n={len(rows):5d} macro-F1 {scores[name]:.3f}{note}")
    demo = report_demo(models)
    figure("sentiment.xlmt_de", f"{scores['xlmt-de']:.2f}")
    figure("sentiment.xlmt_en", f"{scores['xlmt-en']:.2f}")
    if "demo-own" in demo:
        figure("sentiment.demo_own", f"{demo['demo-own']:.2f}")
    print(f"model {args.model} ({models.info('sentiment').version})")
    print(f"sentiment macro-F1 (xlmt val): de {scores['xlmt-de']:.3f} en {scores['xlmt-en']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
