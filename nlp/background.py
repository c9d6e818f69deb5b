"""The topic background: the mean embedding of unlabelled everyday text, used to centre builtin topic scores.

`python -m nlp.background` rebuilds `nlp/artifacts/background.npz` alone (and its entry in the manifest);
`python -m nlp.train` rebuilds it together with the sentiment head.

Sources (all training-licensed, none of them evaluation or demo text): the German and English XLM-T train
tweets, a fixed sample of PotTS German tweets and of GoEmotions English Reddit comments, and the English news
articles of the extraction benchmark. Each source's mean counts once, so no single corpus dominates. Neither
10kGNAD (evaluation only) nor the demo blogosphere (integration data) is ever used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from pathlib import Path

import numpy as np

from .evaldata import TRAIN_SETS, default_data_dir, read_split
from .features import BatchFeatures
from .topics import BACKGROUND_FILE

log = logging.getLogger(__name__)

BACKGROUND_SPECS = ("builtin:use-minilm", "builtin:use")
SAMPLE = 2000  # texts drawn from each large source (fixed seed)
SEED = 13


def _sample(texts: list[str], seed: int = SEED) -> list[str]:
    if len(texts) <= SAMPLE:
        return texts
    picked = np.random.default_rng(seed).choice(len(texts), SAMPLE, replace=False)
    return [texts[i] for i in sorted(picked)]


def background_texts(data_dir: Path) -> dict[str, list[str]]:
    """German and English texts of several kinds: tweets, Reddit comments, news articles."""
    sources = {f"tweets-{lang}": read_split(data_dir, lang, "train").texts for lang in TRAIN_SETS}
    potts = data_dir / "sentiment" / "potts-german" / "corpus_label_text.tsv"
    if potts.exists():
        lines = potts.read_text(encoding="utf-8").splitlines()
        sources["potts-de"] = _sample([line.split("\t", 1)[1] for line in lines if "\t" in line])
    reddit = data_dir / "sentiment" / "goemotions-english" / "train.tsv"
    if reddit.exists():
        lines = reddit.read_text(encoding="utf-8").splitlines()
        sources["goemotions-en"] = _sample([line.split("\t", 1)[0] for line in lines if line.strip()])
    truth = data_dir / "extraction" / "ground-truth.json"
    if truth.exists():
        sources["news-en"] = [
            v["articleBody"] for v in json.loads(truth.read_text(encoding="utf-8")).values()
        ]
    return sources


def build_background(data_dir: Path) -> dict:
    """Mean embedding per source kind, averaged over kinds; returns the manifest entry."""
    sources = background_texts(data_dir)
    means: dict[str, np.ndarray] = {}
    for spec in BACKGROUND_SPECS:
        per_source = []
        for name, texts in sources.items():
            log.info("background: %s, %s (%d texts)", spec, name, len(texts))
            per_source.append(BatchFeatures(texts).embedding(spec).mean(axis=0))
        means[spec] = np.mean(per_source, axis=0).astype(np.float32)
    np.savez_compressed(BACKGROUND_FILE, **means)
    digest = hashlib.sha256("\x1e".join("\x1f".join(t) for t in sources.values()).encode()).hexdigest()[:12]
    return {"sources": {k: len(v) for k, v in sources.items()}, "data_hash": digest, "seed": SEED}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.background", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=None, help="shared data folder (default: ../shared/data)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data_dir = args.data or default_data_dir()
    if not (data_dir / TRAIN_SETS["de"]).is_dir():
        raise SystemExit(f"training data not found under {data_dir} (set RESONANZ_SHARED_DATA)")
    entry = build_background(data_dir)
    manifest_file = BACKGROUND_FILE.parent / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.exists() else {}
    manifest["background"] = entry
    manifest_file.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    json.dump(entry, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
