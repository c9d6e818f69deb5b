"""Altair charts of the app (data in, chart out; no scraped text is rendered as markup)."""

from __future__ import annotations

import altair as alt
import pandas as pd

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


def negative_share_chart(frame: pd.DataFrame) -> alt.Chart:
    """Line: share of negative documents among the labelled ones, per bucket (buckets with few left out)."""
    labelled = frame[frame["sentiment"] != "unknown"]
    totals = labelled.groupby("day", as_index=False)["documents"].sum()
    negative = labelled[labelled["sentiment"] == "negative"].groupby("day", as_index=False)["documents"].sum()
    merged = totals.merge(negative, on="day", how="left", suffixes=("", "_neg")).fillna(0)
    merged = merged[merged["documents"] >= MIN_LABELLED]
    merged["negative_share"] = merged["documents_neg"] / merged["documents"]
    return (
        alt.Chart(merged)
        .mark_line(point=True, color="#d62728")
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("negative_share:Q", title="Negative share", axis=alt.Axis(format="%")),
            tooltip=["day:T", alt.Tooltip("negative_share:Q", format=".0%"), "documents:Q"],
        )
        .properties(height=180)
    )


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
