"""Language-ID accuracy (de / en / other) on the shared evaluation texts, with speed; py3langid compared if installed.

Usage: python bench/eval_language.py
Texts: XLM-T German and English val tweets, TweetEval English val, 10kGNAD dev (German). Last line: the figure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import figure
from nlp.evaldata import default_data_dir, gnad_dev, sentiment_val
from nlp.language import CANDIDATES, get_language_detector


def py3langid_predict(texts: list[str]) -> list[str] | None:
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        return None
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(CANDIDATES))
    return [lang if lang in ("de", "en") else "other" for lang, _ in map(ident.classify, texts)]


def main() -> int:
    if not (default_data_dir() / "sentiment").is_dir():
        print(f"no evaluation data under {default_data_dir()}")
        return 1
    rows = [r for name in ("xlmt-de", "xlmt-en", "tweeteval-en") for r in sentiment_val(name)] + gnad_dev()
    texts, gold = [r.text for r in rows], [r.lang for r in rows]
    detector = get_language_detector("builtin:lingua")
    detector.detect(texts[:10])
    started = time.perf_counter()
    predicted = [r.label for r in detector.detect(texts)]
    elapsed = time.perf_counter() - started
    accuracy = sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(gold)
    started = time.perf_counter()
    other = py3langid_predict(texts)
    if other is not None:
        other_acc = sum(p == g for p, g in zip(other, gold, strict=True)) / len(gold)
        print(
            f"py3langid ({len(CANDIDATES)} languages): accuracy {other_acc:.4f}, {len(texts) / (time.perf_counter() - started):.0f} texts/s"
        )
    print(f"lingua ({len(CANDIDATES)} languages): {len(texts)} texts, {len(texts) / elapsed:.0f} texts/s")
    figure("language.accuracy", f"{accuracy:.3f}")
    print(f"language-ID accuracy: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
