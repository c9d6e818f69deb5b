"""How likely two unrelated questions link by chance: the cosine distribution of random question pairs.

Usage: python -m bench.question_threshold [--n 1500]

Question sentences (nlp.questions rules) from the training-licensed tweets and Reddit comments in
../shared/data (XLM-T de/en train, PotTS, GoEmotions train), a fixed random sample, USE-m embeddings; prints
percentiles of the cosine over all pairs. The question groups link at a mean cosine of 0.55 (average-linkage
distance 0.45): compare with the 99.9th percentile here, the similarity that one pair in a thousand unrelated
questions reaches by chance. No demo text is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from nlp.encoders import get_encoder
from nlp.evaldata import default_data_dir, read_split
from nlp.grouping import QUESTION_PARAMS
from nlp.questions import QuestionRules


def questions(data_dir: Path) -> list[str]:
    texts = read_split(data_dir, "de", "train").texts + read_split(data_dir, "en", "train").texts
    sentiment = data_dir / "sentiment"
    reddit = (sentiment / "goemotions-english" / "train.tsv").read_text(encoding="utf-8").splitlines()
    texts += [line.split("\t")[0] for line in reddit]
    potts = (sentiment / "potts-german" / "corpus_label_text.tsv").read_text(encoding="utf-8").splitlines()
    texts += [line.split("\t", 1)[1] for line in potts if "\t" in line]
    rules = QuestionRules()
    return sorted({q for text in texts for q in rules.questions(text)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1500, help="questions sampled")
    args = parser.parse_args(argv)
    found = questions(default_data_dir())
    rng = np.random.default_rng(0)
    sample = [found[i] for i in rng.choice(len(found), min(args.n, len(found)), replace=False)]
    vectors = get_encoder("builtin:use").encode(sample)
    similarity = (vectors @ vectors.T)[np.triu_indices(len(sample), 1)]
    print(
        f"{len(sample)} of {len(found)} questions from tweets and Reddit comments, {len(similarity):,} pairs"
    )
    for p in (50, 90, 99, 99.9):
        print(f"  {p:>5}th percentile of the cosine: {np.percentile(similarity, p):.3f}")
    link = 1 - QUESTION_PARAMS.distance_threshold
    share = float(np.mean(similarity >= link))
    print(f"question groups link at mean cosine {link:.2f}: reached by {share:.2%} of unrelated pairs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
