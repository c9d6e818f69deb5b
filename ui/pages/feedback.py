"""Own-blog feedback: per own post comments, sentiment, questions and the statements readers react to."""

from __future__ import annotations

import streamlit as st

from warehouse import insights

from ..corrections import correction_panel
from ..data import alert_settings, cached
from ..safe import md_escape
from ..tables import table
from ..widgets import link, sentiment_mix

own_posts = cached(insights.own_posts)
statements = cached(insights.own_statements)
comments = cached(insights.post_comments)
MIN_COMMENTS = 3


def render() -> None:
    st.title("Own-blog feedback")
    delta = alert_settings().negative_share_delta
    posts = own_posts(delta, MIN_COMMENTS)
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
        help=f"Negative share at least {delta:.0%} above the rest of the blog, ≥ {MIN_COMMENTS} comments",
    )
    for row in flagged.itertuples():
        st.error(
            f"Negative swing: {md_escape(row.title)} — {row.negative_share:.0%} negative comments "
            f"vs {row.baseline_share:.0%} on the rest of the blog ({row.comments} comments)",
            icon=":material/warning:",
        )

    table(
        posts.drop(columns=["doc_id"]),
        title=st.column_config.TextColumn("Post", width="large"),
        swing=st.column_config.NumberColumn("Swing", format="%+.2f"),
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
