"""Per-batch features, each computed once and shared by the tasks that need it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .encoders import COMPOSITES, get_encoder, normalize
from .hf import cached

# Emoji and pictographs: VADER's emoji lexicon is language-independent, so it is used on these
# characters of non-English texts too (its word lexicon only on English texts).
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
VADER_DIM = 4


def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return cached(("vader",), SentimentIntensityAnalyzer)


def vader_features(texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    """[neg, neu, pos, compound] of English texts, then the same of the emoji of other texts (8 columns)."""
    analyzer = _vader()
    out = np.zeros((len(texts), 2 * VADER_DIM), dtype=np.float32)
    for i, (text, lang) in enumerate(zip(texts, languages, strict=True)):
        if lang == "en":
            scores, offset = analyzer.polarity_scores(text[:5000]), 0
        else:
            emoji = " ".join(_EMOJI.findall(text))
            if not emoji:
                continue
            scores, offset = analyzer.polarity_scores(emoji), VADER_DIM
        out[i, offset : offset + VADER_DIM] = (
            scores["neg"],
            scores["neu"],
            scores["pos"],
            scores["compound"],
        )
    return out


@dataclass
class BatchFeatures:
    """Texts of one batch and the embeddings computed for them so far."""

    texts: list[str]
    languages: list[str] | None = None
    device: str = "auto"
    max_length: int = 256
    batch_size: int = 32
    _cache: dict[str, np.ndarray] = field(default_factory=dict)

    def embedding(self, spec: str) -> np.ndarray:
        """The batch encoded with `spec` (see encoders.get_encoder); computed once."""
        if spec not in self._cache and spec in COMPOSITES:
            self._cache[spec] = normalize(np.hstack([self.embedding(part) for part in COMPOSITES[spec]]))
        if spec not in self._cache:
            encoder = get_encoder(spec, self.device, self.max_length, self.batch_size)
            self._cache[spec] = encoder.encode(self.texts)
        return self._cache[spec]

    def put(self, spec: str, vectors: np.ndarray) -> None:
        """Provide precomputed embeddings (e.g. stored in the warehouse)."""
        self._cache[spec] = vectors

    def vader(self) -> np.ndarray:
        if "vader" not in self._cache:
            self._cache["vader"] = vader_features(self.texts, self.languages or ["other"] * len(self.texts))
        return self._cache["vader"]

    def stack(self, parts: Sequence[str]) -> np.ndarray:
        """Concatenated feature blocks: encoder specs and/or 'vader'."""
        return np.hstack([self.vader() if p == "vader" else self.embedding(p) for p in parts])
