"""Seeded synthetic warehouses for the benchmarks: N documents over a year, enriched, written set-based.

    summary = fill_warehouse(db, SynthSpec(n_docs=100_000, seed=1))
    python -m bench.synth 1000000 --db bench/out/synth-1m.duckdb

The plan (who posts what when, in which language, with which labels) is numpy (`bench.synth_plan`);
the rows are made by joining those frames with the demo-content text pool in DuckDB
(`bench.synth_sql`): sources, documents, nlp results, emerging topics and question groups, a year of
runs and fetch_log, the editorial plan, then the app's aggregates via `refresh_aggregates`.
Embeddings are not written (the app never reads them; the enrichment benches compute real ones).
"""

from __future__ import annotations

import argparse
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.aggregates import refresh_aggregates
from warehouse.db import init_db

from .synth_plan import SynthSpec, plan_corpus
from .synth_sql import write_corpus

log = logging.getLogger(__name__)

__all__ = ["SynthSpec", "SynthSummary", "fill_warehouse"]
COUNTED = (
    "sources",
    "documents",
    "doc_language",
    "doc_sentiment",
    "doc_topics",
    "doc_questions",
    "nlp_status",
    "emerging_topics",
    "emerging_topic_docs",
    "question_groups",
    "question_group_members",
    "runs",
    "fetch_log",
    "editorial_plan",
)


@dataclass
class SynthSummary:
    """Rows written per table and seconds per phase."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def fill_warehouse(db: str | Path, spec: SynthSpec) -> SynthSummary:
    """Create `db` (it must not exist yet) and fill it as `spec` says."""
    db = Path(db)
    if db.exists():
        raise FileExistsError(f"{db} exists: the synthetic generator only fills a new database")
    summary = SynthSummary()
    started = time.perf_counter()
    corpus = plan_corpus(spec)
    summary.seconds["plan"] = round(time.perf_counter() - started, 2)
    init_db(db)
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    try:
        write_corpus(con, corpus, spec)
        con.execute("CHECKPOINT")
        summary.rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}
    finally:
        con.close()
    summary.seconds["write"] = round(time.perf_counter() - started, 2)
    if spec.refresh:
        started = time.perf_counter()
        refresh_aggregates(db, corpus.brand, today=spec.anchor)
        summary.seconds["aggregates"] = round(time.perf_counter() - started, 2)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_docs", type=int)
    parser.add_argument("--db", type=Path, required=True, help="a new DuckDB file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-enrichment", action="store_true", help="documents only (nothing enriched)")
    args = parser.parse_args(argv)
    spec = SynthSpec(
        args.n_docs, seed=args.seed, with_enrichment=not args.no_enrichment, refresh=not args.no_enrichment
    )
    summary = fill_warehouse(args.db, spec)
    print(summary.rows)
    print(f"{args.n_docs} synthetic documents in {sum(summary.seconds.values()):.1f} s {summary.seconds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
