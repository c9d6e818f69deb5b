"""Memory: peak RSS of enrichment over a large corpus vs a small one (streaming in batches: ratio ≤ 1.5).

Usage: python -m bench.memory [--sizes 5000 50000] [--page-size 1000]
For each size a synthetic warehouse of documents with text and nothing enriched yet (bench.synth), then
`flows.enrich.run_enrichment` with the example config's builtin models, each in its own child process
that reports its own peak RSS (getrusage). Last line: peak RSS(large) ÷ peak RSS(small).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from .common import out_dir, quiet_environment, run_child, save_result, verdict
from .synth import SynthSpec, fill_warehouse

TARGET = 1.5


def prepare(n_docs: int, seed: int) -> Path:
    """A fresh warehouse of n_docs documents, none enriched."""
    db = out_dir("synth") / f"memory-{n_docs}-s{seed}.duckdb"
    db.unlink(missing_ok=True)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    fill_warehouse(db, SynthSpec(n_docs, seed=seed, with_enrichment=False, refresh=False))
    return db


def child(db: Path, device: str, page_size: int) -> dict:
    """Enrich `db` in this process; what it did and its peak RSS."""
    quiet_environment()
    from flows.enrich import run_enrichment, taxonomy_from_config
    from nlp.models import ModelSpec

    from .synth_plan import example_settings

    settings = example_settings()
    spec = ModelSpec.from_config({**settings["models"], "device": device})
    company = settings["company"]
    started = time.perf_counter()
    summary = run_enrichment(
        db,
        spec,
        taxonomy_from_config(settings["topics"]),
        company_terms=[company["name"], *company["brand_keywords"]],
        page_size=page_size,
        progress=lambda *_: None,
    )
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "enriched": summary.enriched,
        "emerging_topics": summary.emerging_topics,
        "question_groups": summary.question_groups,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[5_000, 50_000])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--page-size", type=int, default=1000, help="documents per page (run_enrichment)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.device, args.page_size)))
        return 0
    results = {}
    for n in args.sizes:
        db = prepare(n, args.seed)
        started = time.perf_counter()
        done = run_child(
            [
                "-m",
                "bench.memory",
                "--child",
                str(db),
                "--device",
                args.device,
                "--page-size",
                str(args.page_size),
            ],
            timeout=6 * 3600,
        )
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"enrichment of {n} documents failed (exit {done.returncode})")
        results[n] = {
            **json.loads(done.stdout.strip().splitlines()[-1]),
            "wall_s": round(time.perf_counter() - started, 1),
        }
        rate = n / results[n]["seconds"]
        print(f"{n:>7,} documents: {json.dumps(results[n])} ({rate:.1f} docs/s)", flush=True)
    small, large = args.sizes
    ratio = results[large]["peak_rss_mb"] / results[small]["peak_rss_mb"]
    save_result(
        "memory",
        {
            "sizes": args.sizes,
            "device": args.device,
            "page_size": args.page_size,
            "runs": results,
            "ratio": round(ratio, 3),
        },
    )
    print(
        f"memory: peak RSS {results[large]['peak_rss_mb']:.0f} MB at {large:,} vs "
        f"{results[small]['peak_rss_mb']:.0f} MB at {small:,} documents = {ratio:.2f} "
        f"({verdict(ratio, TARGET, at_most=True)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
