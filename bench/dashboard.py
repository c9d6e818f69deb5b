"""Dashboard: every query behind the app's pages on synthetic warehouses of two sizes, side by side.

Usage: python -m bench.dashboard [--sizes 100000 1000000] [--reps 20] [--reuse]
Each query runs as the app runs it (its own read-only connection per call); the sizes are measured
interleaved, repetition by repetition, so machine noise hits both alike. Reports p50/p95 per query and
size and the scaling ratio p95(large) / p95(small) per query. Last line: the worst ratio (target ≤ 3).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ui.digest import DigestSettings, Recipient, build_digest
from warehouse import crowd, editorial, health, insights, queries
from warehouse.aggregates import refresh_aggregates
from warehouse.alerts import AlertSettings, detect_alerts
from warehouse.db import query

from .common import out_dir, percentile, save_result, verdict
from .synth import SynthSpec, fill_warehouse
from .synth_plan import example_settings

TARGET = 3.0
Query = Callable[[Path, dict[str, Any]], Any]


@dataclass(frozen=True)
class PageQuery:
    page: str
    name: str
    run: Query
    on_page: bool = True  # False: a warehouse query no app page calls (reported, not part of the target)


def _filters(ctx: dict[str, Any], topic: str | None = None) -> insights.Filters:
    return insights.Filters(ctx["today"] - timedelta(days=89), ctx["today"], topic=topic)


QUERIES: tuple[PageQuery, ...] = (
    PageQuery("all", "aggregate_info", lambda db, c: insights.aggregate_info(db)),
    PageQuery("all", "filter_options", lambda db, c: insights.filter_options(db)),
    PageQuery("overview", "kpis", lambda db, c: insights.kpis(db, _filters(c))),
    PageQuery("overview", "volume (week)", lambda db, c: insights.volume(db, _filters(c), "week")),
    PageQuery("overview", "volume (day, topic)", lambda db, c: insights.volume(db, _filters(c, c["topic"]))),
    PageQuery("overview", "share_by_source", lambda db, c: insights.share_by_source(db, _filters(c))),
    PageQuery("overview", "share_by_topic", lambda db, c: insights.share_by_topic(db, _filters(c))),
    PageQuery("crowd", "crowd_topics", lambda db, c: crowd.crowd_topics(db, 50)),
    PageQuery("crowd", "topic_daily", lambda db, c: crowd.topic_daily(db, c["topic_id"])),
    PageQuery("crowd", "topic_evidence", lambda db, c: crowd.topic_evidence(db, c["topic_id"])),
    PageQuery("crowd", "topic_bloggers", lambda db, c: crowd.topic_bloggers(db, c["topic_id"])),
    PageQuery("feedback", "own_posts", lambda db, c: insights.own_posts(db)),
    PageQuery("feedback", "own_statements", lambda db, c: insights.own_statements(db, c["own_doc"])),
    PageQuery("questions", "question_groups", lambda db, c: insights.question_groups(db, 100)),
    PageQuery("sources", "bloggers", lambda db, c: insights.bloggers(db, 100)),
    PageQuery("sources", "sources_overview", lambda db, c: insights.sources_overview(db)),
    PageQuery("sources", "source_posts", lambda db, c: insights.source_posts(db, c["source_id"])),
    PageQuery("sources", "post_comments", lambda db, c: insights.post_comments(db, c["post_doc"])),
    PageQuery("plan", "list_entries", lambda db, c: editorial.list_entries(db)),
    PageQuery(
        "digest",
        "build_digest",
        lambda db, c: build_digest(db, c["person"], DigestSettings(), AlertSettings(), c["today"]),
    ),
    PageQuery("alerts", "detect_alerts", lambda db, c: detect_alerts(db, AlertSettings(), c["today"])),
    PageQuery("runs", "runs_history", lambda db, c: health.runs_history(db, 50)),
    PageQuery("runs", "failing_sources", lambda db, c: health.failing_sources(db, 3)),
    PageQuery("runs", "run_sources", lambda db, c: health.run_sources(db, c["run_id"])),
    PageQuery("(none)", "queries.overview_kpis", lambda db, c: queries.overview_kpis(db), on_page=False),
    PageQuery(
        "(none)", "queries.latest_documents", lambda db, c: queries.latest_documents(db), on_page=False
    ),
    PageQuery("(none)", "queries.source_health", lambda db, c: queries.source_health(db), on_page=False),
)


def context(db: Path, today: date) -> dict[str, Any]:
    """The ids a user would click on: top crowd topic, biggest source and its busiest post, first own post."""
    first = lambda sql: query(db, sql).iloc[0, 0]  # noqa: E731
    stakeholder = example_settings()["stakeholders"][1]
    return {
        "today": today,
        "topic": first(
            "SELECT topic FROM agg_daily WHERE topic <> '' GROUP BY 1 ORDER BY sum(n) DESC LIMIT 1"
        ),
        "topic_id": first("SELECT topic_id FROM agg_crowd_topics ORDER BY rank LIMIT 1"),
        "source_id": first(
            "SELECT source_id FROM agg_bloggers WHERE author IS NULL ORDER BY posts DESC LIMIT 1"
        ),
        "post_doc": first("SELECT doc_id FROM agg_source_posts ORDER BY comments DESC, rank LIMIT 1"),
        "own_doc": first("SELECT doc_id FROM agg_own_posts ORDER BY comments DESC LIMIT 1"),
        "run_id": first("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1"),
        "person": Recipient(stakeholder["name"], stakeholder["email"], tuple(stakeholder["topics"])),
    }


def prepare(n_docs: int, seed: int, reuse: bool) -> tuple[Path, dict[str, float]]:
    """A synthetic warehouse of n_docs (kept under bench/out/synth/); its aggregates refreshed."""
    db = out_dir("synth") / f"dashboard-{n_docs}-s{seed}.duckdb"
    spec = SynthSpec(n_docs, seed=seed, refresh=False)
    timings: dict[str, float] = {}
    if db.exists() and not reuse:
        db.unlink()
        db.with_name(db.name + ".wal").unlink(missing_ok=True)
    if not db.exists():
        summary = fill_warehouse(db, spec)
        timings["generate_s"] = round(sum(summary.seconds.values()), 2)
    started = time.perf_counter()
    refresh_aggregates(db, example_settings()["company"]["brand_keywords"], today=spec.anchor)
    timings["refresh_aggregates_s"] = round(time.perf_counter() - started, 2)
    return db, timings


def measure(dbs: dict[int, Path], contexts: dict[int, dict], reps: int) -> dict[str, dict[int, list[float]]]:
    """Wall times per query and size; sizes interleaved per repetition, one warm-up call each."""
    times: dict[str, dict[int, list[float]]] = {q.name: {n: [] for n in dbs} for q in QUERIES}
    for rep in range(reps + 1):
        for q in QUERIES:
            for n, db in dbs.items():
                started = time.perf_counter()
                q.run(db, contexts[n])
                if rep:
                    times[q.name][n].append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="reuse generated warehouses of earlier runs")
    args = parser.parse_args(argv)
    small, large = args.sizes
    dbs, prep = {}, {}
    for n in (small, large):
        dbs[n], prep[n] = prepare(n, args.seed, args.reuse)
        print(f"{n:>9,} documents: {prep[n]}", flush=True)
    contexts = {n: context(db, SynthSpec(n).anchor) for n, db in dbs.items()}
    times = measure(dbs, contexts, args.reps)
    rows = []
    print(f"{'page':10} {'query':26} " + " ".join(f"{f'p50/p95 {n:,} (ms)':>24}" for n in dbs) + "   ratio")
    for q in QUERIES:
        p50 = {n: percentile(times[q.name][n], 50) * 1000 for n in dbs}
        p95 = {n: percentile(times[q.name][n], 95) * 1000 for n in dbs}
        ratio = p95[large] / p95[small]
        rows.append(
            {
                "page": q.page,
                "query": q.name,
                "on_page": q.on_page,
                "ratio": round(ratio, 2),
                **{f"p50_{n}": round(p50[n], 2) for n in dbs},
                **{f"p95_{n}": round(p95[n], 2) for n in dbs},
            }
        )
        cells = " ".join(f"{p50[n]:>11.1f} / {p95[n]:>10.1f}" for n in dbs)
        print(f"{q.page:10} {q.name:26} {cells}   {ratio:5.2f}{'' if q.on_page else '  (no page)'}")
    page_rows = [r for r in rows if r["on_page"]]
    worst = max(page_rows, key=lambda r: r["ratio"])
    slowest = max(page_rows, key=lambda r: r[f"p95_{large}"])
    save_result(
        "dashboard",
        {
            "sizes": [small, large],
            "reps": args.reps,
            "prepare": prep,
            "queries": rows,
            "worst_ratio": worst["ratio"],
            "worst_query": worst["query"],
            "slowest_p95_ms": slowest[f"p95_{large}"],
            "slowest_query": slowest["query"],
        },
    )
    print(f"slowest page query at {large:,}: {slowest['query']} p95 {slowest[f'p95_{large}']:.0f} ms")
    print(
        f"dashboard: worst p95 scaling {large:,}/{small:,} = {worst['ratio']:.2f} ({worst['query']}; "
        f"{verdict(worst['ratio'], TARGET, at_most=True)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
