"""Crowdsourced topics: what external bloggers start that the own blog could pick up, ranked and explained."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from warehouse import crowd
from warehouse.editorial import Evidence

from ..charts import sparkline
from ..data import cached
from ..safe import md_escape
from ..tables import label, table
from ..widgets import adopt_form, link, no_enrichment_note, sentiment_mix, when

topics = cached(crowd.crowd_topics)
daily = cached(crowd.topic_daily)
evidence = cached(crowd.topic_evidence)
bloggers = cached(crowd.topic_bloggers)
outliers = cached(crowd.outlier_bucket)
CARDS = 5
FORMULA = "score = momentum × breadth × engagement × relevance × coverage gap"


def ranking_table(frame: pd.DataFrame) -> None:
    """Every topic with every score component."""
    view = frame.assign(keywords=frame["keywords"].map(lambda k: ", ".join(list(k)[:6])))
    table(
        view[
            [
                "rank",
                "label",
                "subtitle",
                "score",
                *crowd.COMPONENTS,
                "recent",
                "baseline",
                "blogs",
                "authors",
                "comments",
                "coverage",
                "keywords",
            ]
        ],
        rank=st.column_config.NumberColumn("#", width="small"),
        label=st.column_config.TextColumn("Topic", width="medium"),
        subtitle=st.column_config.TextColumn("Most central post", width="medium"),
        baseline=st.column_config.NumberColumn("Expected", format="%.1f"),
        **{c: st.column_config.NumberColumn(label(c), format="%.2f") for c in ("score", *crowd.COMPONENTS)},
    )


def topic_card(row: dict) -> None:
    """Keywords, first seen, sparkline, sentiment mix, evidence with links, the bloggers driving it."""
    with st.container(border=True):
        st.markdown(f"### {row['rank']}. {md_escape(row['label'])}")
        if row.get("subtitle"):
            st.markdown(f"*{md_escape(row['subtitle'])}*")
        st.markdown("**Why (keywords):** " + ", ".join(md_escape(k) for k in list(row["keywords"])[:10]))
        cols = st.columns(6)
        cols[0].metric("Score", f"{row['score']:.2f}")
        for col, name in zip(cols[1:], crowd.COMPONENTS, strict=True):
            col.metric(name.replace("_", " ").capitalize(), f"{row[name]:.2f}")
        st.caption(
            f"First seen {when(row['first_seen']) or '—'} · {row['recent']} documents in the last {crowd.RECENT_DAYS} "
            f"days ({row['baseline']:.1f} expected) · {row['blogs']} blogs, {row['authors']} authors · "
            f"{row['comments']} comments · own coverage {row['coverage']:.0%}"
            + (f" (closest own post: {md_escape(row['covered_by'])})" if row["covered_by"] else "")
        )
        series = daily(row["topic_id"])
        if not series.empty:
            st.altair_chart(sparkline(series), width="stretch")
        st.markdown("**Sentiment:** " + sentiment_mix(row["negative"], row["neutral"], row["positive"]))
        if len(row["taxonomy"]):
            st.markdown("**Taxonomy:** " + ", ".join(md_escape(t) for t in row["taxonomy"]))
        st.markdown("**Driven by**")
        table(bloggers(row["topic_id"]))
        docs = evidence(row["topic_id"])
        st.markdown("**Evidence**")
        for doc in docs.itertuples():
            st.markdown(
                f"- {link(doc.title, doc.url)} — {md_escape(doc.source)}, {md_escape(doc.author)}, "
                f"{when(doc.published_at)}, {doc.comments} comments"
            )
        with st.expander("Adopt into the editorial plan"):
            adopt_form(
                f"topic-{row['topic_id']}",
                str(row["label"]),
                "topic",
                str(row["topic_id"]),
                [Evidence(str(d.title or d.url), str(d.url)) for d in docs.itertuples()],
                angle=f"Our take on: {', '.join(list(row['keywords'])[:5])}",
            )


def render() -> None:
    st.title("Crowdsourced topics")
    st.caption(
        "Topics external bloggers started that the own blog has not covered yet, ranked by "
        f"`{FORMULA}` (see docs/app.md for each component)."
    )
    frame = topics(50)
    if frame.empty:
        no_enrichment_note()
        return
    ranking_table(frame)
    bucket = outliers()
    if bucket["posts"]:
        st.caption(
            f"Outlier bucket: {bucket['outliers']} of {bucket['posts']} recent external posts "
            f"({bucket['share']:.0%}) fit no topic carried by enough posts and blogs; they are not listed."
        )
    st.subheader(f"Top {min(CARDS, len(frame))} topics")
    for row in frame.head(CARDS).to_dict("records"):
        topic_card(row)
