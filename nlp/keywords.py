"""Cluster keywords with c-TF-IDF (BERTopic's class-based TF-IDF), German and English stop words removed."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

STOPWORDS_DE = Path(__file__).parent / "artifacts" / "stopwords_de.txt"
LABEL_WORDS = Path(__file__).parent / "artifacts" / "label_stopwords.txt"  # numbers, dates, filler words
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w\-]{2,}\b"


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """sklearn's English list, the committed German list, and number, date and filler words (de + en)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = [
        word
        for path in (STOPWORDS_DE, LABEL_WORDS)
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
        for word in line.split()
    ]
    return frozenset(ENGLISH_STOP_WORDS) | frozenset(words)


def ctfidf_keywords(
    classes: Sequence[Sequence[str]], background: Sequence[str] = (), top_n: int = 8
) -> list[list[str]]:
    """Top terms per class: tf within the class × log(1 + mean words per class / term frequency overall).

    `background` (e.g. outlier documents) counts towards the overall frequencies only.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    joined = [" ".join(texts) for texts in classes]
    if not joined:
        return []
    corpus = [*joined, " ".join(background)] if background else joined
    vectorizer = CountVectorizer(
        stop_words=sorted(stop_words()), token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), lowercase=True
    )
    try:
        counts = vectorizer.fit_transform(corpus).toarray().astype(np.float64)
    except ValueError:  # only stop words
        return [[] for _ in joined]
    terms = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    idf = np.log(1 + counts.sum(axis=1).mean() / np.maximum(counts.sum(axis=0), 1))
    scores = tf[: len(joined)] * idf
    words = np.asarray([len(t.split()) for t in terms])
    out = []
    for row in scores:
        order = np.lexsort((-words, -np.round(row, 12)))  # by score, phrases first on ties
        ranked = [terms[i] for i in order if row[i] > 0]
        out.append(_dedupe(ranked, top_n))
    return out


def _dedupe(ranked: list[str], top_n: int) -> list[str]:
    """Skip a term already covered by a chosen bigram or contained in it."""
    chosen: list[str] = []
    for term in ranked:
        if any(term in c.split() or c in term.split() for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == top_n:
            break
    return chosen
