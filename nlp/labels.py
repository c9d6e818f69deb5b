"""Readable cluster labels: key phrases from the cluster's own documents, chosen by relevance and diversity.

For each cluster:
1. candidates — n-grams of 1–3 words inside a clause (never across punctuation) of the documents in the
   cluster's dominant language; no word may be a stop word, number, date word or one of the filler words in
   `artifacts/label_stopwords.txt`; German candidates must end on a capitalised word (a noun);
2. the candidates found in at least `min_doc_share` of the cluster's documents (fewer when none is: at least two
   documents) are ranked by class-based TF-IDF against the other clusters (BERTopic's c-TF-IDF), the best
   `candidates` kept;
3. those are re-ranked by relevance — the mean of their cosine to the cluster's centroid (KeyBERT's relevance,
   same encoder as the documents) and their c-TF-IDF score, each scaled to the best in the pool — and picked
   with maximal marginal relevance (MMR), so the second phrase adds something new;
4. label = "First phrase: second, third" in the phrases' most frequent spelling, at most `max_chars`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .keywords import stop_words

_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"“”„‚‘’«»/|…–—•·]+|\s-\s|\n")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*[^\W_]|[^\W\d_]", re.UNICODE)
_DIGIT = re.compile(r"\d")

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class LabelParams:
    """How labels are built (see the module docstring)."""

    max_words: int = 3  # words per key phrase
    candidates: int = 30  # c-TF-IDF candidates re-ranked by embedding relevance
    phrases: int = 3  # key phrases in a label
    diversity: float = 0.3  # MMR: 0 = relevance only, 1 = novelty only
    min_doc_share: float = 0.3  # a phrase must occur in this share of the cluster's documents
    max_chars: int = 70


def label_stop_words() -> frozenset[str]:
    """Stop words (German, English) plus numbers, date words and filler words: never in a label."""
    return stop_words()


def banned_word(word: str) -> bool:
    """A word no label may contain: a stop, number, date or filler word, anything with a digit, too short."""
    low = word.lower().strip("'’-")
    if _DIGIT.search(low) or low in label_stop_words():
        return True
    return len(low) < 3 and not (len(word) >= 2 and word.isupper())  # "EU", "KI" pass; "ab", "x" do not


def clean_label(label: str) -> list[str]:
    """The words of a label that break the label rules (empty: the label is fine)."""
    return [w for w in _WORD.findall(label) if banned_word(w)]


def phrases_of(text: str, max_words: int = 3) -> list[tuple[str, str]]:
    """(lowercase key, surface form) of every candidate n-gram in `text`; German-style: last word capitalised."""
    out = []
    for clause in _CLAUSE.split(text):
        run: list[str] = []
        for word in [*_WORD.findall(clause), ""]:  # "" flushes the last run
            if word and not banned_word(word):
                run.append(word)
                continue
            for i in range(len(run)):
                for j in range(i + 1, min(i + max_words, len(run)) + 1):
                    surface = " ".join(run[i:j])
                    out.append((surface.lower(), surface))
            run = []
    return out


def dominant_language(langs: Sequence[str | None]) -> str | None:
    known = [lang for lang in langs if lang]
    return Counter(known).most_common(1)[0][0] if known else None


@dataclass
class _Stats:
    counts: Counter  # phrase -> occurrences in the cluster's dominant-language documents
    docs: Counter  # phrase -> dominant-language documents of the cluster containing it
    surface: dict[str, Counter]
    n_docs: int  # dominant-language documents
    lang: str | None


def _cluster_stats(texts: Sequence[str], langs: Sequence[str | None], max_words: int) -> _Stats:
    lang = dominant_language(langs)
    counts: Counter = Counter()
    docs: Counter = Counter()
    surface: dict[str, Counter] = {}
    n_docs = 0
    for text, doc_lang in zip(texts, langs, strict=True):
        if lang and doc_lang and doc_lang != lang:
            continue
        found = phrases_of(text, max_words)
        docs.update({key for key, _ in found})
        n_docs += 1
        for key, form in found:
            counts[key] += 1
            surface.setdefault(key, Counter())[form] += 1
    return _Stats(counts, docs, surface, n_docs, lang)


def _noun_like(form: str, lang: str | None) -> bool:
    """German: ends on a capitalised word (a noun). Otherwise: does not end on a participle or adverb."""
    last = form.split()[-1]
    if lang == "de":
        return last[:1].isupper()
    return last.isupper() or not last.lower().endswith(("ed", "ly"))


def _candidates(stats: _Stats, totals: Counter, mean_words: float, params: LabelParams) -> dict[str, float]:
    """Phrases frequent enough in the cluster → c-TF-IDF score, the best `candidates` of them."""
    keys = [
        k
        for k in stats.counts
        if _noun_like(stats.surface[k].most_common(1)[0][0], stats.lang) and stats.docs[k] >= 2
    ]
    if not keys:
        keys = list(stats.counts)
    needed = params.min_doc_share * stats.n_docs
    frequent = [k for k in keys if stats.docs[k] >= needed] or keys
    size = max(sum(stats.counts.values()), 1)
    scored = {k: (stats.counts[k] / size) * np.log(1 + mean_words / max(totals[k], 1)) for k in frequent}
    best = sorted(scored, key=lambda k: (-scored[k], -k.count(" "), k))[: params.candidates]
    return {k: scored[k] for k in best}


def mmr(relevance: np.ndarray, similarity: np.ndarray, top_n: int, diversity: float) -> list[int]:
    """Maximal marginal relevance: indices picked one by one by (1−d)·relevance − d·max similarity to picked."""
    if not len(relevance):
        return []
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(top_n, len(relevance)):
        redundancy = similarity[:, chosen].max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return chosen


def _overlaps(a: str, b: str) -> bool:
    wa, wb = set(a.split()), set(b.split())
    return bool(wa & wb) or a in b or b in a


def _compose(forms: Sequence[str], max_chars: int) -> str:
    if not forms:
        return ""
    first = forms[0][:1].upper() + forms[0][1:]
    label = first
    for i, form in enumerate(forms[1:]):
        candidate = f"{label}{': ' if i == 0 else ', '}{form}"
        if len(candidate) > max_chars:
            break
        label = candidate
    return label


def cluster_labels(
    texts: Sequence[Sequence[str]],
    langs: Sequence[Sequence[str | None]],
    centroids: np.ndarray,
    embed: Embed | None,
    params: LabelParams = LabelParams(),
    background: Sequence[str] = (),
) -> list[tuple[str, tuple[str, ...]]]:
    """(label, key phrases) per cluster; `background` texts (outliers) count only towards overall frequencies.

    Without `embed` the phrases are ranked by c-TF-IDF alone (no relevance step).
    """
    stats = [_cluster_stats(t, lg, params.max_words) for t, lg in zip(texts, langs, strict=True)]
    totals: Counter = Counter()
    for s in stats:
        totals.update(s.counts)
    for text in background:
        totals.update(key for key, _ in phrases_of(text, params.max_words))
    mean_words = np.mean([sum(s.counts.values()) for s in stats]) if stats else 1.0
    pools = [_candidates(s, totals, mean_words, params) for s in stats]
    vocab = sorted({k for pool in pools for k in pool})
    vectors = _embed_phrases(vocab, stats, embed)
    index = {k: i for i, k in enumerate(vocab)}
    out = []
    for s, pool, centroid in zip(stats, pools, centroids, strict=True):
        picked = _pick(
            pool, vectors[[index[k] for k in pool]] if vectors is not None else None, centroid, params
        )
        forms = [s.surface[k].most_common(1)[0][0] for k in picked]
        out.append((_compose(forms, params.max_chars), tuple(forms)))
    return out


def _embed_phrases(vocab: list[str], stats: Sequence[_Stats], embed: Embed | None) -> np.ndarray | None:
    if embed is None or not vocab:
        return None
    forms = {}
    for s in stats:
        for k, c in s.surface.items():
            if k in forms or k not in vocab:
                continue
            forms[k] = c.most_common(1)[0][0]
    vectors = np.asarray(embed([forms.get(k, k) for k in vocab]), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _pick(
    pool: dict[str, float], vectors: np.ndarray | None, centroid: np.ndarray, params: LabelParams
) -> list[str]:
    """MMR over the pool; relevance = mean of the cosine to the centroid and the c-TF-IDF score, each scaled to
    the pool's best (so neither scale dominates); c-TF-IDF order alone without vectors. No two phrases share a word."""
    keys = list(pool)
    if not keys:
        return []
    ctfidf = np.asarray([pool[k] for k in keys])
    ctfidf = ctfidf / max(float(ctfidf.max()), 1e-12)
    if vectors is None:
        order = list(np.argsort(-ctfidf, kind="stable"))
    else:
        cosine = np.clip(vectors @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12)), 0, None)
        relevance = 0.5 * cosine / max(float(cosine.max()), 1e-12) + 0.5 * ctfidf
        order = mmr(relevance, vectors @ vectors.T, len(keys), params.diversity)
    chosen: list[str] = []
    for i in order:
        if not any(_overlaps(keys[i], c) for c in chosen):
            chosen.append(keys[i])
        if len(chosen) == params.phrases:
            break
    return chosen


def label_support(label: str, texts: Sequence[str]) -> float:
    """The smallest share of `texts` that contains a word of the label (1.0: every word is in every text)."""
    words = {w.lower() for w in _WORD.findall(label)}
    if not texts or not words:
        return 0.0
    found = [{w.lower() for w in _WORD.findall(text)} for text in texts]
    return min(sum(w in f for f in found) for w in words) / len(texts)
