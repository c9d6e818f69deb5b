"""Storage scale-out: DuckLake (PostgreSQL catalog) beside the single DuckDB file, side by side.

Usage: python -m bench.scale_storage [--docs 1000000] [--ingest-docs 4000] [--reps 3] [--query-reps 7] [--reuse]

1. Ingest: the same synthetic documents ingested the way the pipeline does (`ingest_outcome`, one
   fetch outcome of 100 documents per call) into a fresh file and a fresh DuckLake, interleaved
   repetition by repetition (the order alternates). Reports documents per second on each and the
   ratio DuckLake ÷ file (target ≥ 0.5).
2. Reads: the synthetic warehouse of `--docs` documents (bench.synth, shared with bench.dashboard) is
   copied into a DuckLake with `warehouse copy` (timed, verified), then every query behind the app's
   pages (bench.dashboard.QUERIES) runs on both, as the app runs it, interleaved. Reports p50 per
   query and backend, per page the sum of its queries' p50 and the ratio DuckLake ÷ file; the worst
   page is the figure (target ≤ 2).
A throwaway PostgreSQL cluster (bench.services) holds the catalogs; the DuckLake data files and the
file warehouses live under bench/out/scale_storage/.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.records import DocumentRecord, FetchOutcome
from warehouse.db import forget_lakes, init_db
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import finish_run, start_run
from warehouse.target import Warehouse
from warehouse.transfer import copy_warehouse

from .common import out_dir, percentile, save_result, verdict
from .figures import figure
from .services import PostgresCluster

INGEST_TARGET = 0.5
READ_TARGET = 2.0
BATCH = 100  # documents per fetch outcome (one feed fetch)
WORDS = [
    "Kunden",
    "fragen",
    "nach",
    "Preisen",
    "Lizenzen",
    "Support",
    "Datenschutz",
    "Updates",
    "und",
    "der",
    "neuen",
    "App",
    "Version",
]


def documents(n: int, seed: int = 7) -> list[DocumentRecord]:
    """n posts over 20 blogs with ~150 words each (the size of a real post's text)."""
    import random

    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    docs = []
    for i in range(n):
        blog = f"blog-{i % 20:02d}"
        url = f"https://{blog}.example/posts/{i}"
        text = " ".join(rng.choice(WORDS) for _ in range(150))
        docs.append(
            DocumentRecord(
                kind="post",
                source_id=blog,
                url=url,
                canonical_url=url,
                title=f"Beitrag {i}",
                text=f"{i} {text}",
                author=f"Autor {i % 50}",
                published_at=start + timedelta(minutes=i),
            )
        )
    return docs


def ingest(target: object, docs: list[DocumentRecord]) -> float:
    """Seconds to ingest `docs` in fetch outcomes of BATCH documents (sources and the run set up first)."""
    sources = sorted({d.source_id for d in docs})
    sync_sources(target, [SourceSpec(s, s, "feed", f"https://{s}.example/feed") for s in sources])
    run = start_run(target, "bench-ingest")
    started = time.perf_counter()
    for i in range(0, len(docs), BATCH):
        chunk = docs[i : i + BATCH]
        ingest_outcome(target, FetchOutcome(chunk[0].source_id, "u", "ok", 200, documents=chunk), run)
    seconds = time.perf_counter() - started
    finish_run(target, run, "ok")
    return seconds


def new_lake(pg: PostgresCluster, folder: Path, name: str) -> Warehouse:
    from warehouse.db import init_lake

    files = folder / f"{name}-files"
    shutil.rmtree(files, ignore_errors=True)
    lake = Warehouse.lake(pg.create_database(name), files)
    init_lake(lake)
    return Warehouse.lake(lake.location)


def bench_ingest(pg: PostgresCluster, folder: Path, n_docs: int, reps: int) -> dict:
    docs = documents(n_docs)
    rows = []
    print(f"ingest: {n_docs:,} documents in outcomes of {BATCH}, {reps} repetitions (order alternates)")
    print(f"{'rep':>4} {'file docs/s':>12} {'DuckLake docs/s':>16} {'ratio':>7}")
    for rep in range(reps):
        file = folder / f"ingest-{rep}.duckdb"
        file.unlink(missing_ok=True)
        init_db(file)
        lake = new_lake(pg, folder, f"ingest_{rep}_{uuid.uuid4().hex[:6]}")
        order = [("file", file), ("lake", lake)]
        seconds = dict(
            (name, ingest(target, docs)) for name, target in (order if rep % 2 == 0 else order[::-1])
        )
        forget_lakes()
        rate = {k: n_docs / v for k, v in seconds.items()}
        ratio = rate["lake"] / rate["file"]
        rows.append(
            {
                "rep": rep,
                "file_docs_s": round(rate["file"], 1),
                "lake_docs_s": round(rate["lake"], 1),
                "ratio": round(ratio, 3),
            }
        )
        print(f"{rep:>4} {rate['file']:>12.1f} {rate['lake']:>16.1f} {ratio:>7.2f}", flush=True)
    file_rate = statistics.median(r["file_docs_s"] for r in rows)
    lake_rate = statistics.median(r["lake_docs_s"] for r in rows)
    ratio = statistics.median(r["ratio"] for r in rows)
    print(f"ingest median: file {file_rate:.1f} docs/s, DuckLake {lake_rate:.1f} docs/s, ratio {ratio:.2f}")
    return {"docs": n_docs, "reps": rows, "file_docs_s": file_rate, "lake_docs_s": lake_rate, "ratio": ratio}


def bench_reads(pg: PostgresCluster, folder: Path, n_docs: int, reps: int, seed: int, reuse: bool) -> dict:
    from .dashboard import QUERIES, context, prepare
    from .synth import SynthSpec

    file, prep = prepare(n_docs, seed, reuse)
    print(f"reads: {n_docs:,}-document synthetic warehouse {file.name} ({prep})", flush=True)
    files = folder / "reads-lake-files"
    shutil.rmtree(files, ignore_errors=True)
    lake = Warehouse.lake(pg.create_database(f"reads_{uuid.uuid4().hex[:6]}"), files)
    started = time.perf_counter()
    copied = copy_warehouse(file, lake)
    copy_s = time.perf_counter() - started
    lake = Warehouse.lake(lake.location)
    print(
        f"copied into the DuckLake in {copy_s:.1f} s: {copied.rows:,} rows, {len(copied.tables)} tables, verified",
        flush=True,
    )
    ctx = context(file, SynthSpec(n_docs).anchor)
    backends = {"file": file, "lake": lake}
    times: dict[str, dict[str, list[float]]] = {q.name: {b: [] for b in backends} for q in QUERIES}
    for rep in range(reps + 1):  # the first repetition warms up (attach, caches) and is not counted
        for q in QUERIES:
            names = list(backends) if rep % 2 == 0 else list(backends)[::-1]
            for name in names:
                started = time.perf_counter()
                q.run(backends[name], ctx)
                if rep:
                    times[q.name][name].append(time.perf_counter() - started)
    queries, pages = [], {}
    print(f"{'page':10} {'query':26} {'file p50 ms':>12} {'DuckLake p50 ms':>16} {'ratio':>7}")
    for q in QUERIES:
        p50 = {b: percentile(times[q.name][b], 50) * 1000 for b in backends}
        ratio = p50["lake"] / p50["file"]
        queries.append(
            {
                "page": q.page,
                "query": q.name,
                "on_page": q.on_page,
                "file_ms": round(p50["file"], 2),
                "lake_ms": round(p50["lake"], 2),
                "ratio": round(ratio, 2),
            }
        )
        print(f"{q.page:10} {q.name:26} {p50['file']:>12.1f} {p50['lake']:>16.1f} {ratio:>7.2f}")
        if q.on_page:
            page = pages.setdefault(q.page, {"file_ms": 0.0, "lake_ms": 0.0})
            page["file_ms"] += p50["file"]
            page["lake_ms"] += p50["lake"]
    print(f"{'page':10} {'file ms (sum of p50)':>22} {'DuckLake ms':>12} {'ratio':>7}")
    for name, page in pages.items():
        page["ratio"] = round(page["lake_ms"] / page["file_ms"], 2)
        print(f"{name:10} {page['file_ms']:>22.1f} {page['lake_ms']:>12.1f} {page['ratio']:>7.2f}")
    worst = max(pages, key=lambda p: pages[p]["ratio"])
    forget_lakes()
    return {
        "docs": n_docs,
        "copy_s": round(copy_s, 1),
        "copied_rows": copied.rows,
        "queries": queries,
        "pages": pages,
        "worst_page": worst,
        "worst_ratio": pages[worst]["ratio"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--docs", type=int, default=1_000_000, help="documents of the read benchmark's warehouse"
    )
    parser.add_argument(
        "--ingest-docs", type=int, default=4000, help="documents ingested per backend and repetition"
    )
    parser.add_argument("--reps", type=int, default=3, help="ingest repetitions")
    parser.add_argument("--query-reps", type=int, default=7, help="repetitions of every app query")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the synthetic warehouse of an earlier run"
    )
    parser.add_argument("--skip-reads", action="store_true")
    args = parser.parse_args(argv)
    folder = out_dir("scale_storage")
    with PostgresCluster() as pg:
        ingest_result = bench_ingest(pg, folder, args.ingest_docs, args.reps)
        reads = (
            None
            if args.skip_reads
            else bench_reads(pg, folder, args.docs, args.query_reps, args.seed, args.reuse)
        )
    save_result("scale_storage", {"ingest": ingest_result, "reads": reads})
    ingest_ratio = ingest_result["ratio"]
    figure("scale_storage.ingest_ratio", f"{ingest_ratio:.2f}")
    print(
        f"ingest DuckLake ÷ file per document = {ingest_ratio:.2f} "
        f"({verdict(ingest_ratio, INGEST_TARGET, at_most=False)})"
    )
    met = ingest_ratio >= INGEST_TARGET
    summary = f"scale_storage: ingest DuckLake ÷ file {ingest_ratio:.2f}"
    if reads:
        figure("scale_storage.read_docs", str(reads["docs"]))
        figure("scale_storage.worst_page_ratio", f"{reads['worst_ratio']:.2f}")
        met = met and reads["worst_ratio"] <= READ_TARGET
        summary += (
            f", worst page at {reads['docs']:,} documents {reads['worst_ratio']:.2f} ({reads['worst_page']})"
        )
    targets = f"≥ {INGEST_TARGET:g}" + (f" and ≤ {READ_TARGET:g}" if reads else "")
    print(f"{summary} (targets {targets}: {'met' if met else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
