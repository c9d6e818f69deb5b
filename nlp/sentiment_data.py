"""The real sentiment data sets under ../shared/data/sentiment, their splits and what each may be used for.

Roles: `train` shapes the shipped head, `dev` selects and calibrates it (temperature, neutral margin, C),
`test` is only reported (never used for any choice). Only sets whose licence allows training are in `train`
(XLM-T de/en train splits; PotTS, MIT; GoEmotions, Apache-2.0). TweetEval is evaluation-only and overlaps
the English XLM-T source, so it is reported as contaminated. The demo blogosphere is never used here.

PotTS ships as one file: it is split by a hash of the text (stable under reordering, duplicates stay
together): 10 % test, 10 % dev, 80 % train; "mixed" tweets are left out. GoEmotions rows carry several group
ids: "ambiguous" is ignored, a row whose remaining groups are exactly one of negative/neutral/positive gets
that label, other rows (mixed, or ambiguous only) are left out. Of its ~37k usable training rows a fixed
sample of GOEMOTIONS_TRAIN_ROWS (seed 13) is used: embedding all of them takes too long on 2 shared cores
for a `resonanz train` that should finish in minutes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .records import SENTIMENT_LABELS

XLMT = {"de": "sentiment/xlmt-sentiment-german", "en": "sentiment/xlmt-sentiment-english"}
TWEETEVAL = "sentiment/tweeteval-sentiment-english"
POTTS = "sentiment/potts-german/corpus_label_text.tsv"
GOEMOTIONS = "sentiment/goemotions-english"
GOEMOTIONS_GROUPS = {1: "negative", 2: "neutral", 3: "positive"}  # 0 = ambiguous
GOEMOTIONS_TRAIN_ROWS = 4000
SEED = 13


@dataclass(frozen=True)
class SetSpec:
    """One split of one data set: `name` (e.g. goemotions-en), `split` (train/dev/test), language, role."""

    name: str
    split: str
    lang: str
    role: str  # train | dev | test
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}/{self.split}"


SETS = (
    SetSpec("xlmt-de", "train", "de", "train"),
    SetSpec("xlmt-en", "train", "en", "train"),
    SetSpec("potts-de", "train", "de", "train"),
    SetSpec("goemotions-en", "train", "en", "train"),
    SetSpec("xlmt-de", "val", "de", "dev"),
    SetSpec("xlmt-en", "val", "en", "dev"),
    SetSpec("potts-de", "dev", "de", "dev"),
    SetSpec("goemotions-en", "dev", "en", "dev"),
    SetSpec("potts-de", "test", "de", "test"),
    SetSpec("goemotions-en", "test", "en", "test"),
    SetSpec("tweeteval-en", "val", "en", "test", "contaminated: overlaps the XLM-T English training source"),
)


def sets(role: str) -> list[SetSpec]:
    return [s for s in SETS if s.role == role]


@dataclass
class Labelled:
    """Texts with gold labels as indices into SENTIMENT_LABELS."""

    spec: SetSpec
    texts: list[str]
    labels: np.ndarray


def _lines_split(folder: Path, split: str) -> tuple[list[str], list[int]]:
    labels = [int(x) for x in (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()]
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")[: len(labels)]
    return texts, labels  # 0 negative, 1 neutral, 2 positive = SENTIMENT_LABELS order


def potts_part(text: str) -> str:
    """test / dev / train by the text's hash (10 / 10 / 80 %)."""
    bucket = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def _potts(path: Path, split: str) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        label, _, text = line.partition("\t")
        if label in SENTIMENT_LABELS and text.strip() and potts_part(text) == split:
            texts.append(text)
            labels.append(SENTIMENT_LABELS.index(label))
    return texts, labels


def goemotions_label(ids: str) -> int | None:
    groups = {int(x) for x in ids.split(",") if x.strip()} - {0}
    if len(groups) != 1:
        return None
    return SENTIMENT_LABELS.index(GOEMOTIONS_GROUPS[groups.pop()])


def _goemotions(folder: Path, split: str) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for line in (folder / f"{split}.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and (label := goemotions_label(parts[1])) is not None and parts[0].strip():
            texts.append(parts[0])
            labels.append(label)
    if split == "train" and len(texts) > GOEMOTIONS_TRAIN_ROWS:
        keep = np.random.default_rng(SEED).permutation(len(texts))[
            :GOEMOTIONS_TRAIN_ROWS
        ]  # a prefix of one order
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    return texts, labels


def source_files(spec: SetSpec, data_dir: Path) -> list[Path]:
    """The files a split is read from (for the manifest's hashes)."""
    if spec.name in ("xlmt-de", "xlmt-en"):
        folder = data_dir / XLMT[spec.lang]
        return [folder / f"{spec.split}_text.txt", folder / f"{spec.split}_labels.txt"]
    if spec.name == "tweeteval-en":
        return [data_dir / TWEETEVAL / "val_text.txt", data_dir / TWEETEVAL / "val_labels.txt"]
    if spec.name == "potts-de":
        return [data_dir / POTTS]
    return [data_dir / GOEMOTIONS / f"{spec.split}.tsv"]


def load(spec: SetSpec, data_dir: Path) -> Labelled:
    """Read one split (raises FileNotFoundError when the data is absent)."""
    if spec.name in ("xlmt-de", "xlmt-en"):
        texts, labels = _lines_split(data_dir / XLMT[spec.lang], spec.split)
    elif spec.name == "tweeteval-en":
        texts, labels = _lines_split(data_dir / TWEETEVAL, spec.split)
    elif spec.name == "potts-de":
        texts, labels = _potts(data_dir / POTTS, spec.split)
    elif spec.name == "goemotions-en":
        texts, labels = _goemotions(data_dir / GOEMOTIONS, spec.split)
    else:
        raise ValueError(f"unknown sentiment set {spec.name!r}")
    return Labelled(spec, texts, np.asarray(labels, dtype=np.int64))


def file_hashes(data_dir: Path, specs: list[SetSpec] | tuple[SetSpec, ...] = SETS) -> dict[str, str]:
    """sha256 (16 hex) of every input file, by path relative to the data folder."""
    out = {}
    for spec in specs:
        for path in source_files(spec, data_dir):
            rel = str(path.relative_to(data_dir))
            if rel not in out:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return dict(sorted(out.items()))
