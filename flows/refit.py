"""Stage `refit`: once enough editors' corrections came in, refit the sentiment head on them.

When at least `models.refit_after` sentiment corrections were made since the last refit (0: never), the
pipeline refits the builtin head on all standing corrections (`nlp.adapt.refit_head`, always from the
shipped head, so refits never compound), writes it to `Config.refit_head` (replaced atomically) and records
the refit in the warehouse. The enrichment stage that follows loads it (`Config.models_in_use`); its model
version names the corrections it learned from, so every document's sentiment is re-enriched.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from resonanz.config import BUILTIN_SENTIMENT, Config
from warehouse.corrections import corrections_since_refit, record_refit, training_examples
from warehouse.target import Target

log = logging.getLogger(__name__)


class Refitted(Protocol):
    """What a refitter returns (nlp.adapt.RefitResult): the new head's version and what it learned from."""

    version: str
    corrections: int


Refitter = Callable[[Sequence[tuple[str, str]], Path], Refitted]


@dataclass(slots=True)
class RefitSummary:
    """What the refit stage did (part of the run summary)."""

    due: int = 0  # sentiment corrections since the last refit
    threshold: int = 0  # models.refit_after
    refitted: bool = False
    version: str | None = None
    corrections: int = 0  # corrections the new head learned from
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_refitter() -> Refitter | None:
    """`nlp.adapt.refit_head(corrections, out)`, or None while it is not installed."""
    try:
        from nlp.adapt import refit_head
    except ImportError:
        return None
    return refit_head


def refit_if_due(cfg: Config, db: Target, refitter: Refitter | None = None) -> RefitSummary:
    """Refit the builtin sentiment head on the editors' corrections when enough new ones exist."""
    summary = RefitSummary(threshold=cfg.models.refit_after)
    if summary.threshold == 0:
        summary.skipped = "models.refit_after = 0"
        return summary
    if cfg.models.sentiment != BUILTIN_SENTIMENT:
        summary.skipped = f"models.sentiment is {cfg.models.sentiment!r}: only the builtin head is refitted"
        return summary
    summary.due = corrections_since_refit(db)
    if summary.due < summary.threshold:
        summary.skipped = f"{summary.due} of {summary.threshold} new corrections"
        return summary
    return refit_now(cfg, db, refitter, summary)


def refit_now(
    cfg: Config, db: Target, refitter: Refitter | None = None, summary: RefitSummary | None = None
) -> RefitSummary:
    """Refit the builtin head on all standing sentiment corrections now, whatever their number (the
    pipeline's trigger, and `resonanz train --corrections`)."""
    summary = summary or RefitSummary(threshold=cfg.models.refit_after, due=corrections_since_refit(db))
    refit = refitter or default_refitter()
    if refit is None:
        summary.skipped = "nlp.adapt.refit_head is not available in this version"
        log.warning("%d new corrections, but %s", summary.due, summary.skipped)
        return summary
    examples = training_examples(db)
    if not examples:
        summary.skipped = "no sentiment corrections to learn from"
        return summary
    target = cfg.refit_head
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.stem}.partial{target.suffix}")  # numpy keeps a .npz name as is
    result = refit(examples, partial)
    os.replace(partial, target)
    record_refit(db, result.version, result.corrections)
    summary.refitted, summary.version, summary.corrections = True, result.version, result.corrections
    log.info("refitted the sentiment head on %d corrections: %s", result.corrections, result.version)
    return summary
