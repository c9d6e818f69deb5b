"""Own-blog feedback: per own post comments, sentiment, questions and the statements readers react to."""

from __future__ import annotations

import streamlit as st

from warehouse import insights

from ..corrections import correction_panel
from ..data import alert_settings, cached
from ..safe import md_escape
from ..tables import table
from ..widgets import link, sentiment_mix, share_text

own_posts = cached(insights.own_posts)
statements = cached(insights.own_statements)
comments = cached(insights.post_comments)


def render() -> None:
    st.title("Own-blog feedback")
    settings = alert_settings()
    delta, minimum = settings.negative_share_delta, settings.min_documents
    posts = own_posts(delta, minimum)
    if posts.empty:
        st.info("No own posts collected yet: configure `[own_blog]` and run `resonanz run`.")
        return
    flagged = posts[posts["flagged"]]
    cols = st.columns(4)
    cols[0].metric("Own posts", len(posts))
    cols[1].metric("Comments", int(posts["comments"].sum()))
    cols[2].metric("Questions asked", int(posts["questions"].sum()))
    cols[3].metric(
        "Negative swings",
        len(flagged),
        delta_color="inverse",
        help=(
            f"The 95% interval of the negative share lies above the rest of the blog's share, the share is at "
            f"least {delta:.0%} above it, and ≥ {minimum} comments have a sentiment"
        ),
    )
    for row in flagged.itertuples():
        st.error(
            f"Negative swing: {md_escape(row.title)} — {share_text(row)} negative comments "
            f"vs {row.baseline_share:.0%} on the rest of the blog ({row.comments} comments)",
            icon=":material/warning:",
        )

    table(
        posts.drop(columns=["doc_id"]),
        title=st.column_config.TextColumn("Post", width="large"),
        swing=st.column_config.NumberColumn("Swing", format="%+.2f"),
        negative_low=st.column_config.NumberColumn("Negative ≥ (95%)", format="percent"),
        negative_high=st.column_config.NumberColumn("Negative ≤ (95%)", format="percent"),
        flagged=st.column_config.CheckboxColumn("Negative swing"),
    )

    st.subheader("Post details")
    titles = dict(zip(posts["doc_id"], posts["title"].fillna("(untitled)"), strict=True))
    chosen = st.selectbox("Post", list(titles), format_func=titles.get, key="feedback_post")
    row = posts[posts["doc_id"] == chosen].iloc[0]
    st.markdown(
        f"{link(row['title'], row['url'])} · {row['comments']} comments · {row['questions']} with questions"
    )
    st.markdown(
        "**Sentiment:** " + sentiment_mix(int(row["negative"]), int(row["neutral"]), int(row["positive"]))
    )
    st.caption(
        f"Negative share {share_text(row)} (95% interval) · rest of the blog {row['baseline_share']:.0%}"
    )
    replies = comments(chosen)
    correction_panel(row.to_dict(), replies, "feedback-correct")
    asked = [(c.author, q) for c in replies.itertuples() for q in c.questions]
    st.markdown(f"**Questions asked** ({len(asked)})")
    for author, question in asked:
        st.markdown(f"- “{md_escape(question, 300)}” — {md_escape(author)}")
    said = statements(chosen)
    st.markdown("**Most reacted statements**")
    if said.empty:
        st.caption("No statement of this post is picked up by its comments.")
    for item in said.itertuples():
        plural = "comment reacts" if item.reactions == 1 else "comments react"
        st.markdown(
            f"> {md_escape(item.statement, 400)}\n\n{item.reactions} {plural} to it, "
            f"{item.negative} of them negative"
        )
