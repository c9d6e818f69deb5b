"""Overview: KPI tiles, volume and sentiment over time, share of voice by source and topic, filters."""

from __future__ import annotations

import streamlit as st

from warehouse import insights

from ..charts import negative_share_chart, share_chart, volume_chart
from ..data import cached
from ..tables import table
from ..widgets import sidebar_filters

kpis = cached(insights.kpis)
volume = cached(insights.volume)
by_source = cached(insights.share_by_source)
by_topic = cached(insights.share_by_topic)


def _delta(now: int, before: int) -> str | None:
    if not before:
        return None
    return f"{(now - before) / before:+.0%} vs last week"


def kpi_tiles(k: dict) -> None:
    """Documents this week vs last, negative share, active sources, last run and its health."""
    cols = st.columns(4)
    cols[0].metric(
        "Documents this week",
        f"{k['this_week']:,}",
        delta=_delta(k["this_week"], k["last_week"]),
        help=f"Last 7 days up to the period's end; the 7 days before: {k['last_week']:,}",
    )
    share = k["negative_share"]
    cols[1].metric(
        "Negative share",
        "—" if share is None else f"{share:.0%}",
        delta=None if share is None else f"{k['negative_low']:.0%}–{k['negative_high']:.0%} (95% interval)",
        delta_color="off",
        delta_arrow="off",
        help=f"{k['negative']:,} of {k['labelled']:,} documents with sentiment in the period; the range is its "
        "95% Wilson interval",
    )
    failing = k["failing_sources"]
    cols[2].metric(
        "Active sources",
        k["sources"],
        delta=f"{failing} failing" if failing else "all healthy",
        delta_color="inverse" if failing else "normal",
    )
    run = k["last_run"]
    if run:
        when = run["finished_at"] if run["finished_at"] is not None else run["started_at"]
        cols[3].metric(
            "Last run",
            str(run["status"]),
            delta=f"{when:%Y-%m-%d %H:%M} UTC",
            delta_color="off",
            delta_arrow="off",
            help=str(run["error"] or "no error"),
        )
    else:
        cols[3].metric("Last run", "none yet")


def render() -> None:
    st.title("Overview")
    filters = sidebar_filters()
    st.caption(
        f"{filters.start:%d %b %Y} – {filters.end:%d %b %Y}"
        + (f" · topic: {filters.topic}" if filters.topic else "")
    )
    kpi_tiles(kpis(filters))

    grain = "week" if (filters.end - filters.start).days > 45 else "day"
    frame = volume(filters, grain)
    st.subheader(f"Volume and sentiment per {grain}")
    if frame.empty:
        st.info("No documents in this period.")
    else:
        st.altair_chart(volume_chart(frame), width="stretch")
        if (frame["sentiment"] != "unknown").any():
            st.altair_chart(negative_share_chart(frame), width="stretch")

    left, right = st.columns(2)
    with left:
        st.subheader("Share of voice by source")
        sources = by_source(filters)
        if not sources.empty:
            st.altair_chart(share_chart(sources, "source"), width="stretch")
        table(sources)
    with right:
        st.subheader("Share of voice by topic")
        topics = by_topic(filters)
        if topics.empty:
            st.info("No taxonomy topics yet (they come with enrichment).")
        else:
            st.altair_chart(share_chart(topics, "topic"), width="stretch")
            table(topics)
