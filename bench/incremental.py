"""Incremental: a pipeline run with nothing new vs the full first run, on the same demo web.

Usage: python -m bench.incremental [--runs 2] [--prefect server|ephemeral] [--keep]
Serves the demo blogosphere (demo.server.DemoWeb, free ports) and runs `resonanz run --json` with the
demo config twice (more with --runs), each in a fresh process, on a fresh database and HTTP cache.
Between the runs nothing changes: feeds should answer 304, known articles not be refetched, nothing
re-enriched. `--prefect server` (default) runs them against a Prefect server, as scheduled runs under
`resonanz serve` do; `ephemeral` without one, as a bare `resonanz run` does: then every run also starts
Prefect's temporary server (about 8 s). Reports wall time, stage times, statuses and the demo web's
request log per run. Last line: second run ÷ first run (target ≤ 0.25).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from demo.server import DemoWeb
from flows.prefect_server import start_server
from resonanz.commands.demo_run import demo_config_text
from resonanz.config import load_config

from .common import out_dir, run_child, save_result, verdict

TARGET = 0.25


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def prefect_api(mode: str, home: Path) -> Iterator[dict[str, str]]:
    """The environment of the runs: a Prefect server of our own for `server` (stopped afterwards)."""
    env = {"PREFECT_HOME": str(home)}
    if mode == "ephemeral":
        yield env
        return
    os.environ["PREFECT_HOME"] = str(home)
    server = start_server(home / "server.log", port=free_port(), ui=False)
    try:
        yield {**env, "PREFECT_API_URL": server.url}
    finally:
        server.stop()


def pipeline_run(config: Path, db: Path, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """`resonanz run --json` in a child process; (summary, wall seconds)."""
    started = time.perf_counter()
    result = run_child(
        ["-m", "resonanz.cli", "run", "--config", str(config), "--db", str(db), "--json", "-q"],
        timeout=1800,
        env=env,
    )
    seconds = time.perf_counter() - started
    match = re.search(r"^\{.*\}\s*$", result.stdout, re.S | re.M)
    if result.returncode not in (0, 1) or not match:
        raise RuntimeError(f"resonanz run failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return json.loads(match.group(0)), seconds


def describe(summary: dict[str, Any], seconds: float, requests: Counter, crawled: set[str]) -> dict[str, Any]:
    """What one run did: time per stage, statuses per source kind, counts, demo-web requests."""
    sources = (summary.get("collect") or {}).get("sources", [])
    statuses = Counter(f"{'crawl' if s['source_id'] in crawled else 'feed'}:{s['status']}" for s in sources)
    enrich = summary.get("enrich") or {}
    return {
        "wall_s": round(seconds, 2),
        "status": summary.get("status"),
        "stages": summary.get("stages"),
        "documents": summary.get("documents"),
        "statuses": dict(statuses),
        "crawl_elapsed_s": max((s["elapsed_s"] for s in sources if s["source_id"] in crawled), default=0),
        "enriched": enrich.get("enriched"),
        "enrich_s": enrich.get("seconds"),
        "requests": dict(requests),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs in all (the first is the full one)")
    parser.add_argument("--prefect", choices=["server", "ephemeral"], default="server")
    parser.add_argument("--keep", action="store_true", help="keep the database and data of the runs")
    args = parser.parse_args(argv)
    folder = out_dir("incremental")
    for stale in ("resonanz.duckdb", "resonanz.duckdb.wal", ".resonanz"):
        path = folder / stale
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    anchor = date.today()
    config, db = folder / "resonanz.toml", folder / "resonanz.duckdb"
    runs = []
    with (
        DemoWeb(anchor=anchor, base_port=0) as web,
        prefect_api(args.prefect, out_dir("prefect-home")) as env,
    ):
        config.write_text(demo_config_text(web.sites), encoding="utf-8")  # the web's free ports
        crawled = {site.id for site in load_config(config).sites}
        for number in range(args.runs):
            web.clear_log()
            summary, seconds = pipeline_run(config, db, env)
            runs.append(describe(summary, seconds, Counter(str(e.status) for e in web.request_log), crawled))
            print(f"run {number + 1}: {json.dumps(runs[-1])}", flush=True)
    if not args.keep:
        shutil.rmtree(folder / ".resonanz", ignore_errors=True)
    ratio = runs[1]["wall_s"] / runs[0]["wall_s"]
    save_result(
        "incremental",
        {"prefect": args.prefect, "runs": runs, "ratio": round(ratio, 3), "anchor": anchor.isoformat()},
    )
    print(
        f"incremental ({args.prefect} Prefect): no-op run {runs[1]['wall_s']:.1f} s vs full run "
        f"{runs[0]['wall_s']:.1f} s = {ratio:.2f} ({verdict(ratio, TARGET, at_most=True)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
