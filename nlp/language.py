"""Language identification: de / en / other, with a packaged detector or a transformers classifier."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.metadata import version as package_version
from typing import Protocol

from .hf import cached, sequence_classifier
from .records import LanguageResult

TARGETS = ("de", "en")
# Restricting lingua to the languages a German/English blogosphere actually meets keeps it fast and
# more accurate than all 75 (measured in bench/eval_language.py); others map to "other".
CANDIDATES = ("de", "en", "fr", "es", "it", "nl", "pt", "pl", "tr")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 3


class LanguageDetector(Protocol):
    name: str
    version: str

    def detect(self, texts: Sequence[str]) -> list[LanguageResult]: ...


def _too_short(text: str) -> bool:
    return len(_LETTERS.findall(text)) < MIN_LETTERS


class LinguaDetector:
    """lingua-language-detector restricted to CANDIDATES (high-accuracy mode, models preloaded once)."""

    name = "lingua"

    def __init__(self, candidates: Sequence[str] = CANDIDATES) -> None:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        codes = [getattr(IsoCode639_1, c.upper()) for c in candidates]
        self._detector = (
            LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()
        )
        self.version = f"lingua-{package_version('lingua-language-detector')}-{'.'.join(candidates)}"

    def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        values = self._detector.compute_language_confidence_values_in_parallel([t[:2000] for t in texts])
        out = []
        for text, confidences in zip(texts, values, strict=True):
            if _too_short(text) or not confidences:
                out.append(LanguageResult("other", 0.0))
                continue
            best = confidences[0]
            code = best.language.iso_code_639_1.name.lower()
            out.append(LanguageResult(code if code in TARGETS else "other", round(float(best.value), 4)))
        return out


class HFLanguageDetector:
    """A transformers text classifier whose labels are language codes (e.g. `papluca/xlm-roberta-base-language-detection`)."""

    def __init__(self, name: str, device: str, max_length: int, batch_size: int) -> None:
        self._model = sequence_classifier(name, device, max_length)
        self.batch_size = batch_size
        self.name = name
        self.version = self._model.version
        self._codes = [label.lower().split("_")[0].split("-")[0][:2] for label in self._model.labels]

    def detect(self, texts: Sequence[str]) -> list[LanguageResult]:
        probs = self._model.probabilities(list(texts), self.batch_size)
        out = []
        for text, row in zip(texts, probs, strict=True):
            best = int(row.argmax())
            code = self._codes[best]
            label = code if code in TARGETS and not _too_short(text) else "other"
            out.append(LanguageResult(label, round(float(row[best]), 4)))
        return out


def get_language_detector(
    spec: str, device: str = "auto", max_length: int = 256, batch_size: int = 32
) -> LanguageDetector:
    """`builtin:lingua`, or a hub id / local directory of a language-classification model."""
    if spec == "builtin:lingua":
        return cached(("lingua", CANDIDATES), LinguaDetector)
    if spec.startswith("builtin:"):
        raise ValueError(
            f"models.language: unknown builtin {spec!r}; use builtin:lingua or a model id/directory"
        )
    return HFLanguageDetector(spec, device, max_length, batch_size)
