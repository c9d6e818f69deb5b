"""Transformers models (hub id or local directory): loaded once per process, run in length-sorted batches."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)

_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = threading.Lock()
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
_precision = "auto"  # the process-wide setting (models.precision), applied by load_models


def cached(key: tuple, build: Callable[[], Any]) -> Any:
    """The per-process model cache: build each (kind, name, device, …) once."""
    with _CACHE_LOCK:
        if key not in _CACHE:
            log.info("loading %s", " ".join(map(str, key)))
            _CACHE[key] = build()
        return _CACHE[key]


def clear_cache() -> None:
    """Forget all loaded models (tests, or to free memory)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def quiet_transformers() -> None:
    """No tqdm bars ("Loading weights", downloads) in pipeline logs; warnings still go to logging."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def resolve_device(device: str = "auto") -> str:
    """'auto' → 'cuda' when a GPU is visible, else 'cpu'; a requested but absent GPU is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"models.device = {device!r} but no CUDA device is visible; use 'auto' or 'cpu'")
    return device


def set_precision(precision: str) -> None:
    """Compute precision of transformers forward passes in this process (`models.precision`)."""
    global _precision
    if precision not in PRECISIONS:
        raise ValueError(f"models.precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    _precision = precision


@functools.cache
def _cpu_has_bf16() -> bool:
    """Read once per process: model lookups (hf.cached keys) resolve the precision on every batch."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(device: str, precision: str | None = None) -> str:
    """'auto' → bfloat16 on CPUs with native bf16 (AVX512-BF16/AMX), float16 on CUDA, else float32.

    Speed and agreement with float32 on the default path: bench/enrich_speed.py (bench/RESULTS.md)."""
    precision = precision or _precision
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        return "float16"
    return "bfloat16" if _cpu_has_bf16() else "float32"


def autocast(device: str, precision: str) -> Any:
    """torch.autocast for a reduced precision, or a no-op context for float32."""
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=getattr(torch, precision))


def versioned(version: str, precision: str) -> str:
    """Results of another precision are other results: the precision is part of the model version."""
    return version if precision == "float32" else f"{version}+{precision}"


def model_revision(name: str, config: Any = None) -> str:
    """A version string for a hub id (its commit) or a local directory (hash of its config and weights' sizes)."""
    path = Path(name).expanduser()
    if path.is_dir():
        digest = hashlib.sha256()
        for file in sorted(path.iterdir()):
            if file.is_file():
                digest.update(f"{file.name}:{file.stat().st_size}".encode())
                if file.suffix in (".json", ".txt") and file.stat().st_size < 2_000_000:
                    digest.update(file.read_bytes())
        return "dir-" + digest.hexdigest()[:12]
    commit = getattr(config, "_commit_hash", None)
    return commit[:12] if commit else "unknown"


@dataclass
class Batch:
    """Indices into the caller's list and the padded model inputs for them."""

    index: list[int]
    inputs: dict[str, torch.Tensor]


def length_sorted_batches(
    tokenizer: Any,
    texts: Sequence[str] | Sequence[tuple[str, str]],
    batch_size: int,
    max_length: int,
    device: str,
) -> Iterator[Batch]:
    """Tokenize once (truncated), sort by length, pad per batch: little padding, same results."""
    if not texts:
        return
    if isinstance(texts[0], tuple):
        firsts, seconds = zip(*texts, strict=True)
        encoded = tokenizer(list(firsts), list(seconds), truncation="only_first", max_length=max_length)
    else:
        encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    lengths = [len(ids) for ids in encoded["input_ids"]]
    order = sorted(range(len(lengths)), key=lengths.__getitem__, reverse=True)
    keys = [k for k in encoded if k in ("input_ids", "attention_mask", "token_type_ids")]
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        features = [{k: encoded[k][i] for k in keys} for i in index]
        padded = tokenizer.pad(features, return_tensors="pt")
        yield Batch(index, {k: v.to(device, non_blocking=True) for k, v in padded.items()})


class SequenceClassifier:
    """AutoModelForSequenceClassification: logits → probabilities over `labels`, batched."""

    def __init__(
        self, name: str, device: str = "cpu", max_length: int = 256, precision: str | None = None
    ) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        quiet_transformers()
        self.name = name
        self.device = resolve_device(device)
        self.precision = resolve_precision(self.device, precision)
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(name)
        self.model = AutoModelForSequenceClassification.from_pretrained(name).to(self.device).eval()
        config = self.model.config
        self.labels = [config.id2label[i] for i in range(config.num_labels)]
        self.version = versioned(model_revision(name, config), self.precision)

    def logits(self, texts: Sequence[str] | Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Raw logits, one row per input, in input order."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with torch.inference_mode(), autocast(self.device, self.precision):
            for batch in length_sorted_batches(
                self.tokenizer, texts, batch_size, self.max_length, self.device
            ):
                out[batch.index] = self.model(**batch.inputs).logits.float().cpu().numpy()
        return out

    def probabilities(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return softmax(self.logits(texts, batch_size))


class MeanPoolingEncoder:
    """AutoModel with attention-masked mean pooling, L2-normalised (sentence-transformers style)."""

    def __init__(
        self,
        name: str,
        device: str = "cpu",
        max_length: int = 256,
        batch_size: int = 32,
        precision: str | None = None,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        quiet_transformers()
        self.name = name
        self.device = resolve_device(device)
        self.precision = resolve_precision(self.device, precision)
        self.max_length = max_length
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(name)
        self.model = AutoModel.from_pretrained(name).to(self.device).eval()
        self.dim = int(self.model.config.hidden_size)
        self.version = versioned(model_revision(name, self.model.config), self.precision)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode(), autocast(self.device, self.precision):
            for batch in length_sorted_batches(
                self.tokenizer, texts, self.batch_size, self.max_length, self.device
            ):
                hidden = self.model(**batch.inputs).last_hidden_state
                hidden = hidden.float()
                mask = batch.inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[batch.index] = torch.nn.functional.normalize(pooled, dim=-1).float().cpu().numpy()
        return out


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)


def sequence_classifier(name: str, device: str = "auto", max_length: int = 256) -> SequenceClassifier:
    """The process-wide instance for (name, device, max_length)."""
    device = resolve_device(device)
    precision = resolve_precision(device)
    return cached(
        ("seq-cls", name, device, max_length, precision),
        lambda: SequenceClassifier(name, device, max_length, precision),
    )


def mean_pooling_encoder(
    name: str, device: str = "auto", max_length: int = 256, batch_size: int = 32
) -> MeanPoolingEncoder:
    device = resolve_device(device)
    precision = resolve_precision(device)
    return cached(
        ("encoder", name, device, max_length, batch_size, precision),
        lambda: MeanPoolingEncoder(name, device, max_length, batch_size, precision),
    )
