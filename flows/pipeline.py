"""The `pipeline` flow that `resonanz run` starts: collect → refit (when enough editors' corrections came in)
→ enrich → aggregates, with run history and a run lock."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from prefect import flow

from resonanz.config import Config, load_config
from warehouse.aggregates import refresh_aggregates
from warehouse.runs import close_abandoned_runs, finish_run, start_run
from warehouse.target import Warehouse, as_warehouse

from .collect import CollectSummary, collect
from .gates import aggregates_gate, enrichment_gate
from .interrupt import active_run, interrupted_reason, stopping
from .lock import run_lock
from .maintenance import after_run
from .plan import collect_plan
from .refit import refit_if_due

log = logging.getLogger(__name__)
T = TypeVar("T")
SKIPPED = "nothing it reads changed since it last completed"


@dataclass(slots=True)
class RunSummary:
    """What one pipeline run did; printed by the CLI and stored in `runs.summary`."""

    run_id: str
    status: str  # ok | partial | failed | interrupted
    db: str
    collect: CollectSummary | None = None
    refit: dict[str, Any] = field(default_factory=dict)
    enrich: dict[str, Any] = field(default_factory=dict)
    operations: dict[str, Any] = field(default_factory=dict)
    aggregates: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.collect is not None:
            totals = self.collect.totals
            data["documents"] = {
                "new": totals.new,
                "updated": totals.updated,
                "unchanged": totals.unchanged,
                "near_duplicates": totals.near_duplicates,
            }
            data["failed_sources"] = self.collect.failed
        return data


def _status(summary: RunSummary) -> str:
    if summary.error:
        return "failed"
    if summary.collect and summary.collect.failed:
        return "partial"
    return "ok"


def _timed(summary: RunSummary, stage: str, step: Callable[[], T]) -> T:
    started = time.monotonic()
    try:
        return step()
    finally:
        summary.stages[f"{stage}_s"] = round(time.monotonic() - started, 3)


def run_pipeline(
    config_path: str | None = None, db: str | None = None, *, enrich: bool = True, force_enrich: bool = False
) -> RunSummary:
    """Run the whole pipeline once (plain function; the Prefect flow below wraps it)."""
    cfg = load_config(config_path)
    db_path = as_warehouse(db) if db else cfg.db
    with run_lock(db_path, redis_url=cfg.scale.redis_url or None):
        close_abandoned_runs(db_path)
        run_id = start_run(db_path, "pipeline")
        summary = RunSummary(run_id=run_id, status="running", db=str(db_path))
        try:
            with active_run(db_path, run_id):
                _stages(summary, cfg, db_path, enrich, force_enrich)
        except BaseException as exc:
            if isinstance(exc, Exception) and not stopping():
                summary.error = f"{type(exc).__name__}: {exc}"
                log.exception("pipeline run %s failed", run_id)
            else:  # SIGINT, SIGTERM (Prefect's TerminationSignal; DuckDB's "Query interrupted"): what is stored stays
                summary.status = "interrupted"
                summary.error = interrupted_reason(exc)
                if isinstance(exc, Exception):
                    raise KeyboardInterrupt(summary.error) from exc
                raise
        finally:
            if summary.status != "interrupted":
                summary.status = _status(summary)
            finish_run(db_path, run_id, summary.status, summary.to_dict(), summary.error)
    return summary


def _stages(summary: RunSummary, cfg: Config, db_path: Warehouse, enrich: bool, force_enrich: bool) -> None:
    run_id = summary.run_id
    summary.collect = _timed(summary, "collect", lambda: _collect(cfg, db_path, run_id))
    if enrich:
        summary.refit = _timed(summary, "refit", lambda: _refit(cfg, db_path))
        refitted = bool(summary.refit.get("refitted"))
        summary.enrich = _timed(
            summary, "enrich", lambda: _enrich(cfg, db_path, force_enrich, run_id, refitted)
        )
    summary.aggregates = _timed(summary, "aggregates", lambda: _refresh(cfg, db_path))
    summary.operations = _timed(summary, "maintenance", lambda: after_run(cfg, db_path))


def _collect(cfg: Config, db_path: Warehouse, run_id: str) -> CollectSummary:
    """All sources in this run, or split over `[scale] collect_shards` flow runs of the work pool's workers."""
    from .shard import collect_sharded, sharding

    if sharding(cfg):
        return collect_sharded(cfg, db_path, run_id)
    return collect(collect_plan(cfg, db_path), run_id)


def _refit(cfg: Config, db_path: Warehouse) -> dict[str, Any]:
    """Refit the sentiment head on editors' corrections when enough are new; a failure is reported, not raised."""
    try:
        return refit_if_due(cfg, db_path).to_dict()
    except Exception as exc:
        log.exception("refitting the sentiment head on corrections failed")
        return {"refitted": False, "error": f"{type(exc).__name__}: {exc}"}


def _enrich(
    cfg: Config, db_path: Warehouse, force: bool, run_id: str, refitted: bool = False
) -> dict[str, Any]:
    """The enrich flow, skipped (no model loaded, nothing regrouped) when none of its inputs changed
    (a head refitted in this run always re-enriches: its version changed)."""
    gate = enrichment_gate(cfg, db_path)
    if not force and not refitted and gate.unchanged():
        log.info("enrichment skipped: %s", SKIPPED)
        return {"enriched": dict.fromkeys(gate.detail.get("tasks", ()), 0), "skipped": SKIPPED}
    from .enrich import enrich as enrich_flow  # imports torch and the models: only when there is work

    result = enrich_flow(config=cfg, db=str(db_path), force=force, run_id=run_id)
    gate.completed({"tasks": list(result.get("enriched", {}))})
    return result


def _refresh(cfg: Config, db_path: Warehouse) -> dict[str, Any]:
    """Rebuild the app's aggregates unless their inputs are unchanged; a failure is reported, not raised."""
    gate = aggregates_gate(cfg, db_path)
    if gate.unchanged():
        return {"skipped": SKIPPED}
    try:
        result = asdict(refresh_aggregates(db_path, brand_keywords=cfg.company.brand_keywords))
    except Exception as exc:
        log.exception("refreshing the app's aggregates failed")
        return {"error": f"{type(exc).__name__}: {exc}"}
    gate.completed()
    return result


@flow(name="pipeline", validate_parameters=False)
def pipeline(
    config_path: str | None = None, db: str | None = None, enrich: bool = True, force_enrich: bool = False
) -> RunSummary:
    """Collect and enrich once; one failing source never fails the run."""
    return run_pipeline(config_path, db, enrich=enrich, force_enrich=force_enrich)
