"""Spike alerts: topic volume and negative sentiment, the recent window against a trailing baseline.

For every series (each taxonomy topic, each emerging topic, and comments on the own blog):

volume    mean μ and variance σ² of documents per day over the `baseline_days` before the recent
          window (days without documents count as 0); expected = μ·recent_days;
          z = (recent − expected) / sqrt(recent_days · max(σ², μ, 1/baseline_days)).
          Alert when z ≥ threshold and recent ≥ min_documents.
negative  share p₁ of negative documents in the recent window against p₀ in the baseline, with the
          95% Wilson interval [low, high] of p₁ (warehouse.rates); z = (p₁ − p₀) / sqrt(p̂(1 − p̂)/n₁) with
          p̂ = p₀ clamped to [0.05, 0.95]. Alert only when the interval lies wholly above p₀ (low > p₀),
          p₁ − p₀ ≥ negative_share_delta, z ≥ threshold and n₁ ≥ min_documents (labelled documents).

Reads only agg_daily and agg_emerging_daily.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import pandas as pd

from .db import query
from .rates import interval_text, wilson_sql, z_value
from .target import Target


@dataclass(frozen=True, slots=True)
class AlertSettings:
    """Thresholds (the `[alerts]` config section)."""

    recent_days: int = 7
    baseline_days: int = 56
    threshold: float = 2.0
    min_documents: int = 5
    negative_share_delta: float = 0.15


@dataclass(frozen=True, slots=True)
class Alert:
    """One spike: which series, what rose, by how much."""

    kind: str  # volume | negative
    scope: str  # taxonomy | emerging | own blog
    topic: str  # topic name (emerging: its label)
    topic_id: str
    recent: float  # documents (volume) or negative share (negative) in the recent window
    baseline: float  # expected documents or baseline negative share
    z: float
    documents: int  # documents in the recent window
    severity: str  # high | medium
    low: float | None = None  # negative: the 95% Wilson interval of the recent share
    high: float | None = None

    @property
    def message(self) -> str:
        if self.kind == "volume":
            return (
                f"{self.topic}: {self.documents} documents in the recent window, "
                f"{self.baseline:.1f} expected (z = {self.z:.1f})"
            )
        return (
            f"{self.topic}: negative share {interval_text(self.recent, self.low, self.high)} vs "
            f"{self.baseline:.0%} before ({self.documents} documents, z = {self.z:.1f})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message}


_SQL = """
WITH series AS (
    SELECT 'taxonomy' AS scope, topic AS topic_id, topic, day, sum(n) AS n,
           sum(n) FILTER (WHERE sentiment = 'negative') AS neg, sum(n) FILTER (WHERE sentiment <> 'unknown') AS lab
    FROM agg_daily WHERE topic <> '' AND day > $first AND day <= $today GROUP BY ALL
    UNION ALL
    SELECT 'own blog', 'own-blog', 'Comments on the own blog', day, sum(n),
           sum(n) FILTER (WHERE sentiment = 'negative'), sum(n) FILTER (WHERE sentiment <> 'unknown')
    FROM agg_daily WHERE topic = '' AND own AND kind = 'comment' AND day > $first AND day <= $today GROUP BY ALL
    UNION ALL
    SELECT 'emerging', e.topic_id, coalesce(c.label, e.topic_id), e.day, e.posts + e.comments, e.negative,
           NULL
    FROM agg_emerging_daily e LEFT JOIN agg_crowd_topics c USING (topic_id)
    WHERE e.day > $first AND e.day <= $today
), windows AS (
    SELECT scope, topic_id, any_value(topic) AS topic,
           coalesce(sum(n) FILTER (WHERE day > $split), 0) AS recent,
           coalesce(sum(n) FILTER (WHERE day <= $split), 0) / $baseline_days AS mean,
           coalesce(sum(n * n) FILTER (WHERE day <= $split), 0) / $baseline_days AS mean_sq,
           coalesce(sum(neg) FILTER (WHERE day > $split), 0) AS recent_neg,
           sum(lab) FILTER (WHERE day > $split) AS recent_lab,
           coalesce(sum(neg) FILTER (WHERE day <= $split), 0) AS base_neg,
           sum(lab) FILTER (WHERE day <= $split) AS base_lab
    FROM series GROUP BY scope, topic_id
), scored AS (
    SELECT *, mean * $recent_days AS expected,
           (recent - mean * $recent_days)
               / sqrt($recent_days * greatest(mean_sq - mean * mean, mean, 1.0 / $baseline_days)) AS z_volume,
           recent_neg / nullif(recent_lab, 0) AS p1, base_neg / nullif(base_lab, 0) AS p0
    FROM windows
)
SELECT 'volume' AS kind, scope, topic, topic_id, recent::DOUBLE AS recent, expected AS baseline, z_volume AS z,
       recent::INTEGER AS documents, NULL::DOUBLE AS low, NULL::DOUBLE AS high
FROM scored WHERE recent >= $min_docs AND z_volume >= $threshold
UNION ALL
SELECT 'negative', scope, topic, topic_id, p1, p0,
       (p1 - p0) / sqrt(least(greatest(p0, 0.05), 0.95) * (1 - least(greatest(p0, 0.05), 0.95)) / recent_lab),
       recent_lab::INTEGER, low, high
FROM (SELECT *, {low} AS low, {high} AS high FROM scored)
WHERE recent_lab >= $min_docs AND p0 IS NOT NULL AND p1 - p0 >= $delta AND low > p0
  AND (p1 - p0) / sqrt(least(greatest(p0, 0.05), 0.95) * (1 - least(greatest(p0, 0.05), 0.95)) / recent_lab)
      >= $threshold
ORDER BY z DESC
"""
_LOW, _HIGH = wilson_sql("recent_neg", "recent_lab")


def detect_alerts(db: Target, settings: AlertSettings, today: date) -> list[Alert]:
    """Volume and negative-sentiment spikes up to `today`, strongest first."""
    split = date.fromordinal(today.toordinal() - settings.recent_days)
    first = date.fromordinal(split.toordinal() - settings.baseline_days)
    frame = query(
        db,
        _SQL.format(low=_LOW, high=_HIGH),
        {
            "z": z_value(),
            "today": today,
            "split": split,
            "first": first,
            "recent_days": settings.recent_days,
            "baseline_days": settings.baseline_days,
            "threshold": settings.threshold,
            "min_docs": settings.min_documents,
            "delta": settings.negative_share_delta,
        },
    )
    return [
        Alert(
            kind=row.kind,
            scope=row.scope,
            topic=row.topic,
            topic_id=row.topic_id,
            recent=float(row.recent),
            baseline=float(row.baseline),
            z=round(float(row.z), 2),
            documents=int(row.documents),
            severity="high" if row.z >= 2 * settings.threshold else "medium",
            low=None if pd.isna(row.low) else float(row.low),
            high=None if pd.isna(row.high) else float(row.high),
        )
        for row in frame.itertuples(index=False)
    ]
