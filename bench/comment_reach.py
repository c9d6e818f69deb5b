"""Structured comment sources and unreachable threads: what they find and what they cost.

    python -m bench.comment_reach [--data DIR] [--no-demo]

1. Real pages (../shared/data/comments, 282 blog pages of 2012 with human-annotated comment text):
   per page, the CPU time of the issue-13 additions to a page scan (`embeds.detect_embed`,
   `structured.discover`, `structured.comments_paginated`) beside `extract_page` itself, interleaved;
   which pages name a comment system the crawler cannot read, and among the pages whose annotated
   comments the HTML rules did not find at all, how many are now reported instead of silent zeros.
2. The demo's WordPress blog crawled three times (REST API, comment feeds, HTML only): comments,
   requests and crawl seconds per method, and whether the three give the same records.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bench.eval_comments import DEFAULT_DATA, load
from bench.figures import figure
from crawlers.embeds import detect_embed
from crawlers.extract import extract_page
from crawlers.structured import comments_paginated, discover
from crawlers.text import decode_html, parse_html


def real_pages(data: Path) -> None:
    gold, _, pages = load(data)
    base_s = added_s = 0.0
    systems: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    missed = missed_reported = paginated = 0
    for row in gold:
        body, url = pages[row["id"]], row["url"]
        t0 = time.process_time()
        page = extract_page(body, url)
        t1 = time.process_time()
        tree = parse_html(decode_html(body, None)[0])  # a fresh tree: extract_page removed its comments
        t2 = time.process_time()
        system = detect_embed(tree, comments_found=len(page.comments)) if tree is not None else None
        found = discover(tree, url) if tree is not None else []
        paginated += bool(tree is not None and comments_paginated(tree))
        t3 = time.process_time()
        base_s += t1 - t0
        added_s += t3 - t2
        systems[system or "-"] += 1
        methods.update({s.method for s in found} or {"html only"})
        if (row.get("comments_text") or "").strip() and not page.comments:
            missed += 1
            missed_reported += system is not None
    n = len(gold)
    print(f"real pages: {n}")
    print(f"  extract_page            {1000 * base_s / n:7.2f} CPU ms/page")
    print(f"  embed + discover + pages {1000 * added_s / n:6.2f} CPU ms/page (issue-13 additions)")
    print(
        "  comment system not reachable: "
        + ", ".join(f"{k} {v}" for k, v in systems.most_common() if k != "-")
    )
    print("  structured sources named (pages): " + ", ".join(f"{k} {v}" for k, v in methods.most_common()))
    print(f"  pages linking further comment pages (no deletions concluded): {paginated}")
    print(
        f"  annotated comments, none found by the HTML rules: {missed} pages; reported unreachable: {missed_reported}"
    )
    figure("comments.reach_added_cost", f"{added_s / base_s:.3f}")


def _crawl(spec, slug: str) -> tuple[dict, Counter, int, float]:
    from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites
    from demo.server import DemoWeb

    with DemoWeb(base_port=0, specs={slug: spec}) as web, tempfile.TemporaryDirectory() as tmp:
        settings = CrawlSettings(download_delay=0, autothrottle=False, cache_dir=Path(tmp) / "cache")
        site = SiteSpec(slug, [web.sites[slug] + "/"], max_pages=60, max_depth=3)
        started = time.monotonic()
        (outcome,) = crawl_sites([site], work_dir=Path(tmp), known_urls=(), settings=settings, timeout_s=120)
        took = time.monotonic() - started
        base = web.sites[slug]
        requests = sum(1 for r in web.request_log if r.site == slug)
    records = {
        d.canonical_url.replace(base, ""): (
            d.author,
            d.published_at,
            d.text,
            d.meta.get("reply_to", "").replace(base, ""),
        )
        for d in outcome.documents
        if d.kind == "comment"
    }
    return records, Counter(c.method for c in outcome.comment_checks), requests, took


def demo_blog() -> None:
    from demo.sites import spec_for

    slug = "mittelstand-digital"
    spec = spec_for(slug)
    runs = {
        "rest": spec,
        "feed": replace(spec, wp_api=False),
        "html": replace(spec, wp_api=False, comment_feeds=False),
    }
    results = {name: _crawl(s, slug) for name, s in runs.items()}
    print(f"demo blog {slug}:")
    for name, (records, methods, requests, took) in results.items():
        same = "same records as html" if records == results["html"][0] else "RECORDS DIFFER from html"
        print(
            f"  {name:<5} {len(records):3d} comments  methods {dict(methods)}  {requests} requests  {took:.1f} s  {same}"
        )
    figure(
        "comments.demo_methods_agree", str(all(r[0] == results["html"][0] for r in results.values())).lower()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args()
    if not args.no_demo:
        demo_blog()
    if (args.data / "gold.jsonl").exists():
        real_pages(args.data)
    else:
        print(f"no data at {args.data}: real-page part skipped")


if __name__ == "__main__":
    main()
