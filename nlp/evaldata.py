"""Readers for the evaluation data (../shared/data) and the demo content, used by bench/ and tests."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SENTIMENT_SETS = {
    "xlmt-de": ("sentiment/xlmt-sentiment-german", "de"),
    "xlmt-en": ("sentiment/xlmt-sentiment-english", "en"),
    "tweeteval-en": ("sentiment/tweeteval-sentiment-english", "en"),
}
GNAD = "topics/10kgnad/dev.csv"
TRAIN_SETS = {"de": "sentiment/xlmt-sentiment-german", "en": "sentiment/xlmt-sentiment-english"}
PROJECT_DIR = Path(__file__).resolve().parents[1]


def default_data_dir() -> Path:
    """$RESONANZ_SHARED_DATA, else ../shared/data beside the project."""
    env = os.environ.get("RESONANZ_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass
class Split:
    texts: list[str]
    labels: np.ndarray
    lang: str


def read_split(data_dir: Path, lang: str, split: str) -> Split:
    folder = data_dir / TRAIN_SETS.get(lang, lang)
    labels = [int(x) for x in (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()]
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")[: len(labels)]
    return Split(texts, np.asarray(labels), lang)


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str
    lang: str = ""


def sentiment_val(name: str, data_dir: Path | None = None) -> list[Labelled]:
    """A validation split as (text, negative|neutral|positive, lang)."""
    folder, lang = SENTIMENT_SETS[name]
    split = read_split(data_dir or default_data_dir(), folder, "val")
    names = ("negative", "neutral", "positive")
    return [Labelled(t, names[int(y)], lang) for t, y in zip(split.texts, split.labels, strict=True)]


def gnad_dev(data_dir: Path | None = None) -> list[Labelled]:
    """10kGNAD dev articles (German news, 9 categories); evaluation only (CC BY-NC-SA)."""
    path = (data_dir or default_data_dir()) / GNAD
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            Labelled(row[1], row[0], "de") for row in csv.reader(handle, delimiter=";", quotechar="'") if row
        ]


@dataclass(frozen=True)
class DemoText:
    """A demo post or comment with the content authors' labels."""

    text: str
    kind: str
    blog: str
    lang: str
    own: bool
    theme: str
    days_ago: int
    sentiment: str | None = None
    question: bool = False
    post: str = ""  # the post's slug


def demo_texts(content_dir: Path | None = None) -> Iterator[DemoText]:
    """Posts (title + body) and comments of demo/content/*.json, with their labels."""
    for file in sorted((content_dir or PROJECT_DIR / "demo" / "content").glob("*.json")):
        blog = json.loads(file.read_text(encoding="utf-8"))
        for post in blog.get("posts", []):
            body = " ".join(p.removeprefix("## ").removeprefix("- ") for p in post.get("body", []))
            common = dict(
                blog=blog["slug"],
                lang=blog.get("lang", ""),
                own=bool(blog.get("own")),
                theme=post.get("theme", ""),
                post=post.get("slug", ""),
            )
            yield DemoText(
                f"{post.get('title', '')}. {body}", "post", days_ago=int(post.get("days_ago", 0)), **common
            )
            for comment in post.get("comments", []):
                yield DemoText(
                    comment.get("text", ""),
                    "comment",
                    days_ago=int(post.get("days_ago", 0)),
                    sentiment=comment.get("sentiment"),
                    question=bool(comment.get("question")),
                    **common,
                )


def demo_comments(content_dir: Path | None = None, own: bool | None = None) -> list[DemoText]:
    """The demo comments that carry a sentiment label; `own` selects the own blog (True) or the others."""
    return [
        d
        for d in demo_texts(content_dir)
        if d.kind == "comment" and d.sentiment and (own is None or d.own == own)
    ]
