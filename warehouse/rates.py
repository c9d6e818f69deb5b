"""Shares with their uncertainty: the Wilson score interval of a rate k of n, and the negative-swing rule.

A share of 3 negative comments out of 5 is not "60 %" to a reader who must act on it: it is anything
from about 23 % to 88 % (95 % Wilson interval). Pages and digests show negative shares with this interval;
a post (or topic) is flagged as a negative swing only when the interval lies wholly above its baseline
and it has at least `alerts.min_documents` labelled documents.

Wilson (1927): centre (p̂ + z²/2n) / (1 + z²/n), half-width z·sqrt(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n),
with z the normal quantile of the confidence level (1.96 for 95 %). Unlike p̂ ± z·sqrt(p̂(1−p̂)/n) it
stays inside [0, 1] and is not zero-width at 0 of n or n of n (the bounds are clamped to hold p̂ against
rounding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal quantile of a confidence level (0.95 → 1.96)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


@dataclass(frozen=True, slots=True)
class Rate:
    """k of n, its share and the Wilson interval around it (None without any n)."""

    k: int
    n: int
    share: float | None
    low: float | None
    high: float | None

    def text(self) -> str:
        """'28% (24–32%)', or '—' without documents."""
        return interval_text(self.share, self.low, self.high)

    def excludes(self, baseline: float | None) -> bool:
        """Whether the interval lies wholly above `baseline` (False without documents or a baseline)."""
        return self.low is not None and baseline is not None and self.low > baseline


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def interval_text(share: float | None, low: float | None = None, high: float | None = None) -> str:
    """'28% (24–32%)'; '28%' without an interval; '—' without a share (None or NaN)."""
    if _missing(share):
        return "—"
    if _missing(low) or _missing(high):
        return f"{share:.0%}"
    return f"{share:.0%} ({low * 100:.0f}–{high:.0%})"


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> Rate:
    """The share k/n with its Wilson score interval."""
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"a rate needs 0 <= k <= n, got {k} of {n}")
    if n == 0:
        return Rate(k, n, None, None, None)
    z = z_value(confidence)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Rate(k, n, p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def wilson_sql(k: str, n: str, z: str = "$z") -> tuple[str, str]:
    """SQL expressions (low, high) of the Wilson interval of columns/expressions k of n (NULL when n = 0)."""
    p = f"(({k})::DOUBLE / nullif({n}, 0))"
    denominator = f"(1 + {z} * {z} / nullif({n}, 0))"
    centre = f"(({p} + {z} * {z} / (2 * nullif({n}, 0))) / {denominator})"
    half = f"({z} * sqrt({p} * (1 - {p}) / nullif({n}, 0) + {z} * {z} / (4 * nullif({n}, 0) ^ 2)) / {denominator})"
    low = f"least({p}, greatest(0.0, {centre} - {half}))"
    high = f"greatest({p}, least(1.0, {centre} + {half}))"
    return f"CASE WHEN ({n}) > 0 THEN {low} END", f"CASE WHEN ({n}) > 0 THEN {high} END"


def negative_swing(rate: Rate, baseline: float | None, min_documents: int, min_delta: float = 0.0) -> bool:
    """The swing rule: at least `min_documents` labelled, interval above the baseline, share ≥ baseline + delta."""
    if rate.share is None or baseline is None or rate.n < min_documents:
        return False
    return rate.excludes(baseline) and rate.share - baseline >= min_delta
