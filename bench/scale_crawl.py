"""Crawl scale-out: throughput of 1, 2 and 4 crawler processes sharing one Redis frontier on a latency-bound web.

Usage: python -m bench.scale_crawl [--pages 1500 --blogs 48 --latency 0.15 --delay 0.25 --concurrency 1]
The synthetic web (bench.staticweb) answers every request after `--latency` seconds, like servers across
the internet; politeness is a `--delay` gap between request starts to one host, kept across all processes
by the shared frontier (crawlers/scraping/frontier.py); each process has `--concurrency` requests in flight.
Each run crawls the whole web from the home pages with a fresh frontier and HTTP cache, on a throwaway
redis-server (unix socket). Throughput = pages fetched (server log, robots.txt aside) ÷ wall time of
crawl_sites, start-up of the crawler processes included. The server log also tells whether any URL was
fetched twice. Last lines: `fig:` figures, efficiency = thr(4) ÷ (4 × thr(1)) (target ≥ 0.8).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import time
from pathlib import Path

import psutil

from bench.services import RedisServer
from crawlers.crawl import CrawlSettings, SiteSpec, crawl_sites

from .common import available_cores, out_dir, save_result, verdict
from .figures import figure
from .staticweb import Served, render_web, serve_web

TARGET = 0.8


def settings(args: argparse.Namespace, cache: Path, redis_url: str | None, processes: int) -> CrawlSettings:
    return CrawlSettings(
        autothrottle=False,
        download_delay=args.delay,
        concurrency=args.concurrency,
        concurrency_per_domain=2,
        extract_workers=0,  # extraction in each crawler process: the process is the unit that scales
        timeout_s=60,
        cache_dir=cache,
        redis_url=redis_url,
        processes=processes,
        frontier_key=f"bench:{processes}:{time.time_ns()}" if redis_url else None,
    )


def _service_cpu(pids: list[int]) -> float:
    """CPU seconds of the web server and redis-server so far (they run the whole bench)."""
    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


def one_run(
    served: Served, args: argparse.Namespace, redis_url: str | None, processes: int, services: list[int]
) -> dict:
    """Crawl the whole web once; pages/s and the server's count of URLs fetched more than once."""
    work = out_dir("scale-crawl-work", f"p{processes}{'' if redis_url else '-plain'}")
    shutil.rmtree(work, ignore_errors=True)
    sites = [
        SiteSpec(slug, [base + "/"], max_pages=100_000, max_depth=4)
        for slug, base in zip(served.web.slugs, served.base_urls, strict=True)
    ]
    served.reset()
    started, cpu, service_cpu = time.perf_counter(), _children_cpu(), _service_cpu(services)
    outcomes = crawl_sites(
        sites,
        work_dir=work,
        known_urls=(),
        settings=settings(args, work / "cache", redis_url, processes),
        timeout_s=1800,
    )
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    service_cpu = _service_cpu(services) - service_cpu
    fetched = served.fetched()
    pages = {url: n for url, n in fetched.items() if not url.endswith("/robots.txt")}
    twice = sorted(url for url, n in pages.items() if n > 1)
    robots = sum(n for url, n in fetched.items() if url.endswith("/robots.txt"))
    failed = [o.source_id for o in outcomes if o.status in ("error", "partial")]
    shutil.rmtree(work, ignore_errors=True)
    return {
        "processes": processes,
        "shared_frontier": bool(redis_url),
        "seconds": round(seconds, 2),
        "pages": sum(pages.values()),
        "distinct_urls": len(pages),
        "fetched_twice": len(twice),
        "examples_twice": twice[:5],
        "robots_fetches": robots,
        "documents": sum(len(o.documents) for o in outcomes),
        "failed_sites": failed,
        "pages_per_s": round(sum(pages.values()) / seconds, 2),
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_page": round(cpu / max(1, sum(pages.values())) * 1000, 1),
        "service_cpu_s": round(service_cpu, 1),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(run: dict, blogs: int) -> None:
    kind = "shared Redis frontier" if run["shared_frontier"] else "no frontier (plain, for reference)"
    print(
        f"{run['processes']} process(es), {kind}: {run['pages']} pages ({run['distinct_urls']} URLs, "
        f"{run['documents']} documents) in {run['seconds']:.1f} s = {run['pages_per_s']:.1f} pages/s; "
        f"URLs fetched more than once: {run['fetched_twice']} {run['examples_twice'] or ''}; "
        f"robots.txt fetches: {run['robots_fetches']} for {blogs} hosts; failed sites: {run['failed_sites']}; "
        f"crawler CPU {run['cpu_s']:.0f} s = {run['cpu_ms_per_page']:.0f} ms per page, "
        f"{run['cpu_s'] / run['seconds']:.2f} cores busy on average (+ {run['service_cpu_s'] / run['seconds']:.2f} "
        "for the web server and Redis)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1500, help="article pages of the synthetic web")
    parser.add_argument("--blogs", type=int, default=48, help="hosts (one blog each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.15, help="seconds per response")
    parser.add_argument("--delay", type=float, default=0.25, help="politeness: gap per host (s)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="requests in flight per process (1: CPU stays far from the limit)",
    )
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--plain", action="store_true", help="also crawl once without Redis (reference)")
    args = parser.parse_args(argv)
    web_file = render_web(args.pages, args.seed, n_blogs=args.blogs)
    cores_before = available_cores()
    runs = []
    with RedisServer() as redis, serve_web(web_file, latency_s=args.latency) as served:
        blogs = len(served.web.slugs)
        print(
            f"synthetic web: {blogs} hosts, {args.pages} article pages, {args.latency * 1000:.0f} ms per "
            f"response, {args.delay:g} s per-host gap, {args.concurrency} requests in flight per process",
            flush=True,
        )
        services = [served.process.pid, redis.process.pid]
        if args.plain:
            report(one_run(served, args, None, 1, services), blogs)
        for processes in args.processes:
            runs.append(one_run(served, args, redis.url, processes, services))
            report(runs[-1], blogs)
    cores = min(cores_before, available_cores())
    print(f"cores available to this run (of {os.cpu_count()}): {cores:.2f}")
    by_n = {r["processes"]: r["pages_per_s"] for r in runs}
    base = by_n.get(1)
    for n, rate in by_n.items():
        if base and n > 1:
            print(
                f"{n} processes: {rate:.1f} pages/s vs {n} x {base:.1f} = {rate / (n * base):.2f} efficiency"
            )
    twice = sum(r["fetched_twice"] for r in runs)
    print(f"no URL fetched twice: {'yes' if twice == 0 else f'NO ({twice} URLs)'}")
    top = max(by_n)
    efficiency = by_n[top] / (top * base) if base and top > 1 else 0.0
    save_result(
        "scale_crawl",
        {"args": vars(args), "runs": runs, "cores_available": cores, "efficiency": round(efficiency, 3)},
    )
    for n, rate in by_n.items():
        figure(f"scale_crawl.pages_per_s_{n}", f"{rate:.1f}")
    figure("scale_crawl.efficiency", f"{efficiency:.2f}")
    figure("scale_crawl.fetched_twice", str(twice))
    print(
        f"scale_crawl: thr({top}) / ({top} x thr(1)) = {efficiency:.2f} "
        f"({verdict(efficiency, TARGET, at_most=False)}); no URL fetched twice: {twice == 0}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
