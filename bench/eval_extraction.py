"""Main-text extraction quality on ../shared/data/extraction (scrapinghub article-extraction-benchmark).

Metric as the benchmark's evaluate.py defines it: texts are tokenised into `\\w+` tokens, compared as
multisets of 4-token shingles; per page TP/FP/FN are normalised to sum 1, precision and recall are
averaged over pages, and F1 is the harmonic mean of the two averages. Unigram-token F1 is printed too.

    python -m bench.eval_extraction [--data DIR] [--compare]

`--compare` also scores a few trafilatura option sets (method-level choices, no per-page rules).
The last line printed is the F1 of the pipeline's extraction (crawlers.extract.extract_page).
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "extraction"
_TOKEN = re.compile(r"\w+")

log = logging.getLogger("bench.eval_extraction")


def shingles(text: str, n: int) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def tp_fp_fn(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    """Normalised (TP, FP, FN) of one page over n-token shingles."""
    gold, got = shingles(true, n), shingles(pred, n)
    tp = sum((gold & got).values())
    fp = sum((got - gold).values())
    fn = sum((gold - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def scores(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean precision, mean recall and their harmonic mean, over pages."""
    precision = statistics.mean([_precision(*r) for r in rows if r[0] + r[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*r) for r in rows if r[0] + r[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def load(data: Path) -> tuple[dict[str, dict], dict[str, bytes]]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()) for key in truth}
    return truth, pages


def evaluate(truth: dict[str, dict], pages: dict[str, bytes], extract: Callable[[bytes, str], str]) -> dict:
    """Score an extractor (html bytes, url → text); also time it per page."""
    for html in list(pages.values())[:3]:  # warm-up: imports, caches
        extract(html, "")
    started = time.perf_counter()
    texts = {key: extract(pages[key], truth[key].get("url", "")) for key in truth}
    elapsed = time.perf_counter() - started
    result = scores([tp_fp_fn(truth[k].get("articleBody", ""), texts[k]) for k in truth])
    result["unigram_f1"] = scores([tp_fp_fn(truth[k].get("articleBody", ""), texts[k], 1) for k in truth])[
        "f1"
    ]
    result["ms_per_page"] = 1000 * elapsed / max(1, len(truth))
    return result


def _pipeline(html: bytes, url: str) -> str:
    from crawlers.extract import extract_page

    return extract_page(html, url or "http://example.com/", listed="feed").text


def _trafilatura(**options) -> Callable[[bytes, str], str]:
    import trafilatura

    def run(html: bytes, url: str) -> str:
        doc = trafilatura.bare_extraction(html, url=url or None, with_metadata=True, **options)
        return (doc.text or "") if doc is not None else ""

    return run


VARIANTS = {
    "trafilatura defaults": {},
    "fast": {"fast": True, "include_comments": False},
    "favor_recall": {"favor_recall": True, "include_comments": False},
    "favor_precision": {"favor_precision": True, "include_comments": False},
    "favor_precision, tables": {"favor_precision": True, "include_comments": False, "include_tables": True},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"benchmark folder (default {DEFAULT_DATA})"
    )
    parser.add_argument("--compare", action="store_true", help="also score trafilatura option sets")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not (args.data / "ground-truth.json").exists():
        print(f"no benchmark data at {args.data} (ground-truth.json + html/)", file=sys.stderr)
        return 2
    truth, pages = load(args.data)
    print(f"{len(truth)} pages from {args.data} (scrapinghub article-extraction-benchmark, MIT)")
    if args.compare:
        for name, options in VARIANTS.items():
            r = evaluate(truth, pages, _trafilatura(**options))
            print(
                f"{name:<28} P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f} "
                f"unigram F1={r['unigram_f1']:.3f} {r['ms_per_page']:.1f} ms/page"
            )
    r = evaluate(truth, pages, _pipeline)
    print(
        f"{'pipeline (extract_page)':<28} P={r['precision']:.3f} R={r['recall']:.3f} F1={r['f1']:.3f} "
        f"unigram F1={r['unigram_f1']:.3f} {r['ms_per_page']:.1f} ms/page"
    )
    print(f"extraction F1 {r['f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
