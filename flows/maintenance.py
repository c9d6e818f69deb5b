"""Upkeep at the end of each pipeline run: retention purge and flagging sources that keep failing."""

from __future__ import annotations

import logging
from typing import Any

from resonanz.config import Config
from warehouse.health import failing_sources
from warehouse.privacy import purge_expired
from warehouse.target import Target

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
