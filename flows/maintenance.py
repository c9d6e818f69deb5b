"""Upkeep: after each pipeline run (retention purge, flagging sources that keep failing) and the
scheduled DuckLake compaction (`[warehouse] compact`, deployed by `resonanz serve`)."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from prefect import flow

from resonanz.config import Config, load_config
from warehouse.admin import compact
from warehouse.health import failing_sources
from warehouse.privacy import purge_expired
from warehouse.target import Target, as_warehouse

log = logging.getLogger(__name__)


def after_run(cfg: Config, db: Target) -> dict[str, Any]:
    """Purge raw text past `privacy.retention_days` (if > 0) and report failing sources.

    Returns a JSON-ready dict for the run summary: `retention` (what was emptied) when retention
    is on, and `failing_sources` (ids failing `operations.failure_threshold` fetches in a row).
    """
    result: dict[str, Any] = {}
    days = cfg.privacy.retention_days
    if days > 0:
        purged = purge_expired(db, days)
        result["retention"] = {
            "days": days,
            "cutoff": purged.cutoff.isoformat(),
            "documents": purged.documents,
            "versions": purged.versions,
        }
    threshold = cfg.operations.failure_threshold
    failing = failing_sources(db, threshold)
    result["failing_sources"] = failing["source_id"].tolist()
    for row in failing.itertuples(index=False):
        log.warning(
            "source %s has failed %d runs in a row (threshold %d), last error: %s",
            row.source_id,
            row.consecutive_failures,
            threshold,
            row.last_error,
        )
    return result


@flow(name="compact-warehouse", validate_parameters=False)
def compact_flow(config_path: str | None = None, db: str | None = None) -> dict[str, Any]:
    """Compact the DuckLake (merge small files, expire snapshots past `keep_snapshots_days`); a file: nothing."""
    cfg = load_config(config_path)
    target = as_warehouse(db) if db else cfg.db
    if not target.is_lake:
        log.info("%s is a DuckDB file: nothing to compact", target.name)
        return {}
    result = compact(target, cfg.warehouse.keep_snapshots_days)
    log.info(
        "compacted %s: %d snapshots expired, %d files deleted, %d data files",
        target.name,
        len(result.expired_snapshots),
        len(result.deleted_files),
        result.data_files,
    )
    return asdict(result)
