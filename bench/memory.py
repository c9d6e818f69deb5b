"""Memory: the enrichment stage's fixed baseline (models loaded, no data) and its data-dependent peak, per size.

Usage: python -m bench.memory [--sizes 5000 50000] [--page-size 1000] [--device cpu|cuda]
For each size a synthetic warehouse of documents with text and nothing enriched yet (bench.synth), then, in a
child process of its own: every default model loaded and run once on two short texts (the baseline: peak RSS
with models loaded and no data), then `flows.enrich.run_enrichment` with the example config's builtin models.
A sampler thread records the RSS peak of each phase (first pass, topics pass, emerging topics, question
groups). The data part = peak RSS − baseline. Every document must be enriched by every task, every external
post of the window clustered and every question grouped (no document left out), else the run fails.
Last line: data part(large) ÷ data part(small) (target ≤ 1.5), with both baselines.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path

from .common import out_dir, quiet_environment, run_child, save_result, verdict
from .figures import figure
from .synth import SynthSpec, fill_warehouse

TARGET = 1.5
MB = 2**20


def prepare(n_docs: int, seed: int) -> Path:
    """A fresh warehouse of n_docs documents, none enriched."""
    db = out_dir("synth") / f"memory-{n_docs}-s{seed}.duckdb"
    db.unlink(missing_ok=True)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    fill_warehouse(db, SynthSpec(n_docs, seed=seed, with_enrichment=False, refresh=False))
    return db


class RssSampler:
    """Peak RSS per phase, sampled every 10 ms by a daemon thread."""

    def __init__(self) -> None:
        import psutil

        self._process, self.phase, self.peaks = psutil.Process(), "start", {}
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            rss = self._process.memory_info().rss
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            time.sleep(0.01)


def _phased(sampler: RssSampler, name: str, function):
    def wrapper(*args, **kwargs):
        sampler.phase = name
        return function(*args, **kwargs)

    return wrapper


def child(db: Path, device: str, page_size: int) -> dict:
    """Baseline, then enrich `db` in this process; what it did, peaks and the completeness checks."""
    quiet_environment()
    import flows.enrich as stage
    from nlp.enrich import ALL_TASKS, enrich_documents
    from nlp.models import ModelSpec, load_models
    from nlp.records import DocText
    from warehouse.db import query

    from .synth_plan import example_settings

    sampler = RssSampler()
    settings = example_settings()
    spec = ModelSpec.from_config({**settings["models"], "device": device})
    company = settings["company"]
    terms = [company["name"], *company["brand_keywords"]]
    taxonomy = stage.taxonomy_from_config(settings["topics"])
    sampler.phase = "baseline"  # every model loaded (process-wide cache, reused by the run) and run once
    models = load_models(spec, taxonomy, tuple(terms))
    two = [DocText("a", "Wann kommt die neue Version? Ich warte."), DocText("b", "Great post, thanks!")]
    assert len(list(enrich_documents(two, models, tasks=ALL_TASKS))) == 2
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stage._update_emerging = _phased(sampler, "emerging", stage._update_emerging)
    stage._update_question_groups = _phased(sampler, "questions", stage._update_question_groups)

    def progress(tasks: str, done: int) -> None:
        sampler.phase = "topics pass" if tasks == "topics" else "first pass"

    started = time.perf_counter()
    sampler.phase = "first pass"
    summary = stage.run_enrichment(
        db, spec, taxonomy, company_terms=terms, page_size=page_size, progress=progress
    )
    seconds = time.perf_counter() - started
    time.sleep(0.05)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    counts = query(
        db,
        """SELECT (SELECT count(*) FROM documents) docs,
                  (SELECT count(*) FROM doc_questions) questions""",
    ).iloc[0]
    missing = {t: int(counts["docs"]) - n for t, n in summary.enriched.items() if n != int(counts["docs"])}
    return {
        "seconds": round(seconds, 1),
        "documents": int(counts["docs"]),
        "enriched": summary.enriched,
        "not_enriched": missing,
        "emerging_posts_clustered": summary.emerging_posts,
        "questions_grouped": summary.questions,
        "questions_stored": int(counts["questions"]),
        "emerging_topics": summary.emerging_topics,
        "question_groups": summary.question_groups,
        "baseline_mb": round(baseline / MB, 1),
        "peak_rss_mb": round(peak / MB, 1),
        "data_mb": round((peak - baseline) / MB, 1),
        "phase_peaks_above_baseline_mb": {
            k: round((v - baseline) / MB, 1)
            for k, v in sampler.peaks.items()
            if k not in ("start", "baseline")
        },
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
        command = ["-m", "bench.memory", "--child", str(db), "--device", args.device]
        done = run_child([*command, "--page-size", str(args.page_size)], timeout=6 * 3600)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"enrichment of {n} documents failed (exit {done.returncode})")
        run = results[n] = {
            **json.loads(done.stdout.strip().splitlines()[-1]),
            "wall_s": round(time.perf_counter() - started, 1),
        }
        # the synthetic warehouse has a fixed own blog: `documents` is what was enriched, not --sizes
        print(
            f"--sizes {n:,}: {json.dumps(run)} ({run['documents'] / run['seconds']:.1f} docs/s)", flush=True
        )
        left_out = run["not_enriched"] or run["questions_grouped"] != run["questions_stored"]
        if left_out:
            raise SystemExit(f"documents left out at {n:,}: {run['not_enriched']}, questions {run}")
    small, large = (results[n] for n in args.sizes)
    ratio = large["data_mb"] / small["data_mb"]
    save_result(
        "memory",
        {
            "sizes": args.sizes,
            "device": args.device,
            "page_size": args.page_size,
            "runs": results,
            "ratio": ratio,
        },
    )
    figure("memory.baseline_mb", f"{large['baseline_mb']:.0f}")
    figure("memory.data_mb_small", f"{small['data_mb']:.0f}")
    figure("memory.data_mb_large", f"{large['data_mb']:.0f}")
    figure("memory.data_ratio", f"{ratio:.2f}")
    print(
        f"memory: data part {large['data_mb']:.0f} MB at {large['documents']:,} vs {small['data_mb']:.0f} MB at "
        f"{small['documents']:,} documents = {ratio:.2f} (baseline, models loaded: {small['baseline_mb']:.0f} / "
        f"{large['baseline_mb']:.0f} MB; every document enriched; {verdict(ratio, TARGET, at_most=True)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
