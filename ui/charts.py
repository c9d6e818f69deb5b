"""Altair charts of the app (data in, chart out; no scraped text is rendered as markup)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from warehouse.rates import wilson

SENTIMENT_COLORS = alt.Scale(
    domain=["negative", "neutral", "positive", "unknown"], range=["#d62728", "#9aa5b1", "#2ca02c", "#c7ccd1"]
)


def volume_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars: documents per day (or week) by sentiment."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("documents:Q", title="Documents"),
            color=alt.Color("sentiment:N", scale=SENTIMENT_COLORS, legend=alt.Legend(orient="bottom")),
            tooltip=["day:T", "sentiment:N", "documents:Q"],
        )
        .properties(height=260)
    )


MIN_LABELLED = 5


def negative_share_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Line: share of negative documents among the labelled ones per bucket, with its 95% Wilson interval as
    a band (buckets with few labelled documents left out)."""
    labelled = frame[frame["sentiment"] != "unknown"]
    totals = labelled.groupby("day", as_index=False)["documents"].sum()
    negative = labelled[labelled["sentiment"] == "negative"].groupby("day", as_index=False)["documents"].sum()
    merged = totals.merge(negative, on="day", how="left", suffixes=("", "_neg")).fillna(0)
    merged = merged[merged["documents"] >= MIN_LABELLED].copy()
    rates = [
        wilson(int(k), int(n)) for k, n in zip(merged["documents_neg"], merged["documents"], strict=True)
    ]
    merged["negative_share"] = [r.share for r in rates]
    merged["low"] = [r.low for r in rates]
    merged["high"] = [r.high for r in rates]
    base = alt.Chart(merged).encode(x=alt.X("day:T", title=None))
    band = base.mark_area(opacity=0.2, color="#d62728").encode(
        y=alt.Y("low:Q", title="Negative share (95% interval)", axis=alt.Axis(format="%")), y2="high:Q"
    )
    line = base.mark_line(point=True, color="#d62728").encode(
        y=alt.Y("negative_share:Q"),
        tooltip=[
            "day:T",
            alt.Tooltip("negative_share:Q", format=".0%"),
            alt.Tooltip("low:Q", format=".0%", title="95% low"),
            alt.Tooltip("high:Q", format=".0%", title="95% high"),
            "documents:Q",
        ],
    )
    return (band + line).properties(height=180)


def share_chart(frame: pd.DataFrame, label: str) -> alt.Chart:
    """Horizontal bars: share of voice per `label` (source or topic)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X("share:Q", title="Share of voice", axis=alt.Axis(format="%")),
            tooltip=[f"{label}:N", "documents:Q", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(height=max(120, 24 * len(frame)))
    )


def sparkline(frame: pd.DataFrame) -> alt.Chart:
    """A small area chart of documents per day (posts + comments)."""
    data = frame.assign(documents=frame["posts"] + frame["comments"])
    return (
        alt.Chart(data)
        .mark_area(line=True, opacity=0.3)
        .encode(
            x=alt.X("day:T", title=None, axis=None),
            y=alt.Y("documents:Q", title=None, axis=None),
            tooltip=["day:T", "posts:Q", "comments:Q"],
        )
        .properties(height=60)
    )
