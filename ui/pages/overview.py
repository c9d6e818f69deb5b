"""Overview: KPI tiles, latest documents, per-source health."""

from __future__ import annotations

import streamlit as st

from warehouse import queries

from ..data import cached

kpis = cached(queries.overview_kpis)
latest = cached(queries.latest_documents)
health = cached(queries.source_health)


def render() -> None:
    st.title("Overview")
    k = kpis()
    cols = st.columns(4)
    cols[0].metric("Documents", f"{k['documents']:,}", help=f"{k['posts']:,} posts, {k['comments']:,} comments")
    cols[1].metric("Active sources", k["sources"], delta=f"{k['failing_sources']} failing" if k["failing_sources"] else None,
                   delta_color="inverse")
    run = k["last_run"]
    if run:
        cols[2].metric("Last run", str(run["status"]))
        when = run["finished_at"] or run["started_at"]
        cols[3].metric("Last run at", when.strftime("%Y-%m-%d %H:%M") if when is not None else "—")
    else:
        cols[2].metric("Last run", "none yet")

    st.subheader("Latest documents")
    st.dataframe(
        latest(50),
        hide_index=True,
        column_config={
            "published_at": st.column_config.DatetimeColumn("Published", format="YYYY-MM-DD HH:mm"),
            "url": st.column_config.LinkColumn("Link", display_text="open"),
            "excerpt": st.column_config.TextColumn("Excerpt", width="large"),
        },
    )

    st.subheader("Source health")
    st.dataframe(
        health(),
        hide_index=True,
        column_config={
            "last_fetch": st.column_config.DatetimeColumn("Last fetch", format="YYYY-MM-DD HH:mm"),
            "consecutive_failures": st.column_config.NumberColumn("Failures in a row"),
            "last_error": st.column_config.TextColumn("Last error", width="large"),
        },
    )
