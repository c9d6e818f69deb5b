"""Crawl per CPU: CPU-seconds per article page of crawl + extraction vs extraction alone, same pages.

Usage: python -m bench.crawl [--pages 5000] [--workers N] [--concurrency 16 --per-domain 4] [--profile]
The web is pre-rendered (bench.staticweb) and served by a static server in its own process.
`crawlers.extract.extract_page` runs over every article page in a plain loop (one process) before and
after `crawlers.crawl.crawl_sites` crawls the whole web from the home pages (robots.txt, sitemaps, feeds,
listings, articles) with a fresh HTTP cache, AutoThrottle off and no delay. CPU time is counted in every
process of the crawl (the crawl process and its extraction workers, split) and of the loop, so the figure
does not depend on how many cores the crawl could use. `--profile` runs the crawl under cProfile (its CPU
figures are then inflated) and prints the top functions of the crawl process and of the workers.
Last line: crawl CPU per article page ÷ extraction-alone CPU per article page (target ≤ 1.43).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import resource
import shutil
import time
from pathlib import Path

from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites
from crawlers.extract import extract_page
from crawlers.records import FetchOutcome

from .common import available_cores, out_dir, save_result, verdict
from .figures import figure
from .staticweb import Served, Web, render_web, serve_web

TARGET = 1.43  # crawl CPU per page ≤ 1.43 × extraction alone, i.e. ≥ 0.7 of its pages per CPU-second


def bench_settings(workers: int | None, concurrency: int, per_domain: int) -> CrawlSettings:
    """Politeness off for a local bench: no AutoThrottle, no delay."""
    return CrawlSettings(
        autothrottle=False,
        download_delay=0.0,
        concurrency=concurrency,
        concurrency_per_domain=per_domain,
        extract_workers=workers,
        timeout_s=60,
    )


def site_specs(served: Served) -> list[SiteSpec]:
    return [
        SiteSpec(source_id=slug, start_urls=[base + "/"], max_pages=100_000, max_depth=4)
        for slug, base in zip(served.web.slugs, served.base_urls, strict=True)
    ]


def extraction_loop(web: Web) -> tuple[int, float, float]:
    """extract_page over every article page in a plain loop; (pages with text, seconds, CPU seconds)."""
    pages = []
    for k, paths in enumerate(web.articles):
        site = web.pages[k]
        pages += [(web.base_url(k) + path, site[path]) for path in paths if path in site]
    started, cpu = time.perf_counter(), time.process_time()
    found = sum(
        bool(extract_page(body, url, content_type=kind, listed="sitemap").text)
        for url, (kind, _, body) in pages
    )
    return found, time.perf_counter() - started, time.process_time() - cpu


def crawl(
    served: Served, work_dir: Path, settings: CrawlSettings, known: set[str] | None = None
) -> tuple[list[FetchOutcome], float, float]:
    """One crawl of the whole web; (outcomes, seconds, CPU seconds of the crawl process and its workers)."""
    started, before = time.perf_counter(), _children_cpu()
    outcomes = crawl_sites(
        site_specs(served), work_dir=work_dir, known_urls=known or set(), settings=settings, timeout_s=1800
    )
    return outcomes, time.perf_counter() - started, _children_cpu() - before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def summarize(outcomes: list[FetchOutcome]) -> dict[str, int]:
    """Totals over the sites: pages, articles extracted, documents, statuses."""
    totals = {"pages": 0, "articles": 0, "extracted": 0, "documents": 0, "errors": 0, "not_modified": 0}
    for o in outcomes:
        totals["pages"] += o.pages
        totals["articles"] += int(o.meta.get("articles", 0))
        totals["extracted"] += int(o.meta.get("extracted", 0))
        totals["documents"] += len(o.documents)
        totals["errors"] += o.status in ("error", "partial")
        totals["not_modified"] += o.status == "not_modified"
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=None, help="extraction processes (default: one per core)"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-domain", type=int, default=4)
    parser.add_argument("--profile", action="store_true", help="cProfile the crawl (inflates its CPU)")
    args = parser.parse_args(argv)
    web_file = render_web(args.pages, args.seed)
    work_dir = out_dir("crawl-work")
    shutil.rmtree(work_dir, ignore_errors=True)
    stats_dir = out_dir("crawl-stats")
    for old in stats_dir.iterdir():
        old.unlink()
    os.environ["RESONANZ_CRAWL_STATS"] = str(stats_dir)
    if args.profile:
        os.environ["RESONANZ_CRAWL_PROFILE"] = "1"
    cores_before = available_cores()
    loops = []
    with serve_web(web_file) as served:
        loops.append(extraction_loop(served.web))  # before and after the crawl: machine drift hits both sides
        print(f"extraction alone: {loops[0][0]} article pages in {loops[0][1]:.1f} s", flush=True)
        settings = bench_settings(args.workers, args.concurrency, args.per_domain)
        outcomes, crawl_s, crawl_cpu = crawl(served, work_dir, settings)
        totals = summarize(outcomes)
        server = served.stats()
        loops.append(extraction_loop(served.web))
    extracted = loops[0][0]
    loop_s, loop_cpu = sum(x[1] for x in loops) / 2, sum(x[2] for x in loops) / 2
    loop_rate = extracted / loop_s
    print(
        f"extraction alone: {extracted} article pages in {loops[0][1]:.1f} s before and {loops[1][1]:.1f} s after "
        f"the crawl = {loop_rate:.1f} pages/s"
    )
    cores = min(cores_before, available_cores())
    split = json.loads((stats_dir / "cpu.json").read_text(encoding="utf-8"))
    articles = totals["articles"]
    crawl_ms, loop_ms = crawl_cpu / articles * 1000, loop_cpu / extracted * 1000
    ratio = crawl_ms / loop_ms
    crawl_rate = articles / crawl_s
    print(
        f"crawl + extraction: {articles} article pages ({totals['pages']} pages, "
        f"{server['requests']} requests) in {crawl_s:.1f} s = {crawl_rate:.1f} pages/s "
        f"(wall clock, {cores:.2f} cores available of {os.cpu_count()}); {totals}"
    )
    print(
        f"CPU per article page: crawl {crawl_ms:.2f} ms (crawl process {split['crawl_process_s'] / articles * 1000:.2f}"
        f" + extraction workers {split['workers_s'] / articles * 1000:.2f}) vs extraction alone {loop_ms:.2f} ms"
    )
    if args.profile:
        print(profile_summary(stats_dir))
    save_result(
        "crawl",
        {
            "pages": args.pages,
            "settings": {
                "workers": args.workers,
                "concurrency": args.concurrency,
                "per_domain": args.per_domain,
            },
            "profiled": args.profile,
            "extract_alone_s": round(loop_s, 2),
            "extract_alone_pages_per_s": round(loop_rate, 1),
            "crawl_s": round(crawl_s, 2),
            "crawl_pages_per_s": round(crawl_rate, 1),
            "extract_alone_cpu_s": round(loop_cpu, 2),
            "crawl_cpu_s": round(crawl_cpu, 2),
            "crawl_cpu_split_s": split,
            "cpu_ms_per_page": {"crawl": round(crawl_ms, 2), "extraction_alone": round(loop_ms, 2)},
            "ratio": round(ratio, 3),
            "totals": totals,
            "server": server,
            "cores_available": cores,
        },
    )
    if not args.profile:
        figure("crawl.cpu_ms_per_page", f"{crawl_ms:.1f}")
        figure("crawl.extract_cpu_ms_per_page", f"{loop_ms:.1f}")
        figure("crawl.cpu_ratio", f"{ratio:.2f}")
    print(
        f"crawl: CPU per article page {crawl_ms:.1f} ms vs extraction alone {loop_ms:.1f} ms = {ratio:.2f}"
        f"{' (profiled)' if args.profile else ''} ({verdict(ratio, TARGET, at_most=True)})"
    )
    return 0


def profile_summary(stats_dir: Path, top: int = 25) -> str:
    """The top functions by own time of the crawl process, and of all workers together."""
    out = io.StringIO()
    for label, pattern in (("crawl process", "crawl-*.prof"), ("extraction workers", "worker-*.prof")):
        files = sorted(str(p) for p in stats_dir.glob(pattern))
        if not files:
            out.write(f"no profile of the {label}\n")
            continue
        stats = pstats.Stats(*files, stream=out)
        out.write(f"--- {label} ({len(files)} profile(s)), top {top} by own time ---\n")
        stats.sort_stats("tottime").print_stats(top)
    (stats_dir / "profile.txt").write_text(out.getvalue(), encoding="utf-8")
    return out.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
