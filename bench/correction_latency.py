"""How long an editor waits for a correction: set + undo (each with its aggregate rebuild) vs a plain refresh.

    python -m bench.correction_latency [--sizes 10000 100000] [--reps 3] [--reuse]

A correction commits together with a rebuild of the app's aggregates (warehouse/corrections.py), so
the app shows it at once; its cost therefore grows with the warehouse like `refresh_aggregates`. On
synthetic warehouses (bench/synth.py) this prints, per size, the median seconds of a refresh alone,
of `set_sentiment` and of `undo`, and the ratio correction ÷ refresh side by side (interleaved reps).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

from warehouse.aggregates import refresh_aggregates
from warehouse.corrections import set_sentiment, undo
from warehouse.db import query

from .dashboard import prepare
from .figures import figure


def _comment(db: Path) -> tuple[str, str]:
    row = query(db, "SELECT doc_id, label FROM doc_sentiment ORDER BY doc_id LIMIT 1").iloc[0]
    other = "negative" if row["label"] != "negative" else "positive"
    return str(row["doc_id"]), other


def measure(db: Path, reps: int) -> dict[str, list[float]]:
    """Interleaved: refresh, set, undo per repetition (after one warm-up round)."""
    doc_id, label = _comment(db)
    today = date.fromisoformat(query(db, "SELECT value FROM agg_meta WHERE key = 'as_of'")["value"].iloc[0])
    meta = query(db, "SELECT value FROM agg_meta WHERE key = 'brand_keywords'")["value"]
    brand = json.loads(meta.iloc[0]) if len(meta) else []
    times: dict[str, list[float]] = {"refresh": [], "set": [], "undo": []}
    for rep in range(reps + 1):
        steps = {
            "refresh": lambda: refresh_aggregates(db, brand, today=today),
            "set": lambda: set_sentiment(db, doc_id, label, "bench"),
            "undo": lambda: undo(db, doc_id, "sentiment", "bench"),
        }
        for name, step in steps.items():
            started = time.perf_counter()
            step()
            if rep:
                times[name].append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="reuse generated warehouses of earlier runs")
    args = parser.parse_args(argv)
    print(
        f"{'documents':>10} {'refresh s':>10} {'set s':>8} {'undo s':>8} {'set/refresh':>12} {'undo/refresh':>13}"
    )
    for n in args.sizes:
        db, _ = prepare(n, args.seed, args.reuse)
        times = {k: statistics.median(v) for k, v in measure(db, args.reps).items()}
        ratio_set, ratio_undo = times["set"] / times["refresh"], times["undo"] / times["refresh"]
        print(
            f"{n:>10,} {times['refresh']:>10.2f} {times['set']:>8.2f} {times['undo']:>8.2f} "
            f"{ratio_set:>11.2f}x {ratio_undo:>12.2f}x"
        )
        figure(f"correction_set_s_{n}", f"{times['set']:.2f}")
        figure(f"correction_set_vs_refresh_{n}", f"{ratio_set:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
