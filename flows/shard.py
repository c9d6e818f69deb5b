"""Collection sharded over Prefect flow runs that the workers of a `process` work pool pick up.

With `[scale] collect_shards = N` the pipeline run of a deployment (`resonanz serve --work-pool P`)
starts N runs of the `collect-shard` deployment and waits for them; each collects the feeds and sites
whose source id hashes to its shard (a stable split: a source stays on its shard, and so does its HTTP
cache under `<data_dir>/shard-K`), records itself in the run history as `<pipeline run>-sKofN` and
holds a lock of its own (in Redis with `redis_url`, so the same shard never runs twice at once on
two hosts). A shard's crawl joins the frontier `resonanz:crawl:<pipeline run>:<shard>`: with
`crawl_processes` > 1 its processes share it, and every crawler on the Redis shares per-host politeness.
The pipeline then goes on (enrichment, aggregates) over everything the shards stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import replace
from typing import Any

from prefect import flow

from resonanz.config import Config, load_config
from warehouse.db import query
from warehouse.runs import finish_run, start_run
from warehouse.target import Warehouse, as_warehouse

from .collect import CollectSummary, SourceResult, collect
from .lock import run_lock
from .plan import CollectPlan, collect_plan

log = logging.getLogger(__name__)

SHARD_FLOW = "collect-shard"
SHARD_DEPLOYMENT = "resonanz-collect-shard"
POLL_S = 2.0
WAIT_S = 4 * 3600.0  # a shard run not final by then (its worker host died?) is recorded as failed
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def shard_of(source_id: str, shards: int) -> int:
    """The shard of a source: a stable hash of its id (the same on every host and run)."""
    return int(hashlib.sha1(source_id.encode()).hexdigest()[:8], 16) % shards


def shard_run_id(round_id: str, shard: int, shards: int) -> str:
    return f"{round_id}-s{shard}of{shards}"


def shard_plan(plan: CollectPlan, shard: int, shards: int, round_id: str) -> CollectPlan:
    """The part of a plan for one shard: its feeds and sites (all sources stay known, none is retired)."""
    work_dir = plan.work_dir / f"shard-{shard}"
    crawl = replace(
        plan.crawl,
        cache_dir=work_dir / "httpcache",
        frontier_key=f"resonanz:crawl:{round_id}:{shard}" if plan.crawl.redis_url else None,
    )
    return replace(
        plan,
        feeds=[f for f in plan.feeds if shard_of(f.source_id, shards) == shard],
        sites=[s for s in plan.sites if shard_of(s.source_id, shards) == shard],
        crawl=crawl,
        work_dir=work_dir,
    )


def run_shard(cfg: Config, db: Warehouse, shard: int, shards: int, round_id: str) -> CollectSummary:
    """Collect one shard under its own lock, recorded in the run history (plain function)."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not one of 0..{shards - 1}")
    with run_lock(db, redis_url=cfg.scale.redis_url or None, scope=f"shard-{shard}-of-{shards}"):
        run_id = start_run(db, SHARD_FLOW, run_id=shard_run_id(round_id, shard, shards))
        summary, status, error = CollectSummary(), "failed", None
        try:
            summary = collect(shard_plan(collect_plan(cfg, db), shard, shards, round_id), run_id)
            status = "partial" if summary.failed else "ok"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            data = {"sources": [_source_dict(s) for s in summary.sources], "elapsed_s": summary.elapsed_s}
            finish_run(db, run_id, status, data, error)
    return summary


def _source_dict(result: SourceResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in SourceResult.__slots__}


@flow(name=SHARD_FLOW, validate_parameters=False)
def collect_shard(
    config_path: str | None = None, db: str | None = None, shard: int = 0, shards: int = 1, round_id: str = ""
) -> dict[str, Any]:
    """Collect the sources of one shard (started by the pipeline; the work pool's workers run it)."""
    cfg = load_config(config_path)
    target = as_warehouse(db) if db else cfg.db
    summary = run_shard(cfg, target, shard, shards, round_id or time.strftime("%Y%m%dT%H%M%S"))
    return {"shard": shard, "sources": len(summary.sources), "failed": summary.failed}


def sharding(cfg: Config) -> bool:
    """Whether to fan out: `collect_shards` > 1 and this pipeline runs from a deployment (workers exist)."""
    if cfg.scale.collect_shards <= 1:
        return False
    from prefect.runtime import deployment

    return bool(deployment.id)


def collect_sharded(cfg: Config, db: Warehouse, round_id: str) -> CollectSummary:
    """Start one `collect-shard` run per shard, wait for all, and add up what they recorded."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    shards = cfg.scale.collect_shards
    started = time.monotonic()
    runs = [
        run_deployment(
            f"{SHARD_FLOW}/{SHARD_DEPLOYMENT}",
            parameters={
                "config_path": cfg.path,
                "db": str(db),
                "shard": k,
                "shards": shards,
                "round_id": round_id,
            },
            timeout=0,  # start them all; wait below
        )
        for k in range(shards)
    ]
    log.info("collection split over %d shard runs: %s", shards, ", ".join(str(r.id) for r in runs))
    states: dict[int, str] = {}
    deadline = started + WAIT_S
    with get_client(sync_client=True) as client:
        while len(states) < shards:
            for k, run in enumerate(runs):
                if k not in states:
                    state = client.read_flow_run(run.id).state
                    if state is not None and state.type.value in FINAL:
                        states[k] = state.type.value
                    elif time.monotonic() > deadline:
                        states[k] = f"{state.type.value if state else 'UNKNOWN'} after {WAIT_S / 3600:g} h"
            if len(states) < shards:
                time.sleep(POLL_S)
    summary = _gathered(db, round_id, shards, states)
    summary.elapsed_s = round(time.monotonic() - started, 3)
    return summary


def _gathered(db: Warehouse, round_id: str, shards: int, states: dict[int, str]) -> CollectSummary:
    """The shards' source results from the run history; a shard that recorded nothing fails its sources."""
    ids = [shard_run_id(round_id, k, shards) for k in range(shards)]
    rows = query(db, "SELECT run_id, summary FROM runs WHERE run_id IN $ids", {"ids": ids})
    recorded = {r.run_id: json.loads(r.summary or "{}") for r in rows.itertuples()}
    summary = CollectSummary()
    for k, run_id in enumerate(ids):
        sources = recorded.get(run_id, {}).get("sources")
        if sources is None:
            summary.sources.append(
                SourceResult(f"shard-{k}", "error", None, f"shard run {states.get(k)}", 0, 0, 0, 0, 0.0)
            )
            continue
        summary.sources += [SourceResult(**s) for s in sources]
    return summary
