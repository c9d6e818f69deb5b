"""Bloggers & sources: who starts topics the market picks up, output and engagement, per-source health,
and a reading view of one source's posts and their comments (deep link: ?source=ID&post=DOC_ID)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from warehouse import comment_reach, insights

from ..corrections import correction_panel
from ..data import cached
from ..safe import md_escape
from ..tables import table
from ..widgets import link, sentiment_badge, when

bloggers = cached(insights.bloggers)
sources = cached(insights.sources_overview)
source_posts = cached(insights.source_posts)
post_comments = cached(insights.post_comments)
COMMENTS_PER_PAGE = 50
options = cached(insights.filter_options)
unreachable = cached(comment_reach.unreachable_comments)


def linked_select(label: str, choices: list[str], fmt: Callable[[str], str], param: str) -> str:
    """A selectbox whose value also lives in the URL (`?param=value`), so views can be linked to."""
    wanted = st.query_params.get(param)
    index = choices.index(wanted) if wanted in choices else 0
    value = st.selectbox(label, choices, index=index, format_func=fmt, key=f"linked-{param}")
    st.query_params[param] = value
    return value


def bloggers_table() -> None:
    st.subheader("Bloggers")
    st.caption(
        "First mover: wrote the first post of an emerging topic; picked up: at least one other blog "
        "then wrote about it too."
    )
    table(bloggers(100))


def sources_table() -> None:
    frame = sources()
    st.subheader("Sources")
    cols = st.columns(3)
    cols[0].metric("Active sources", len(frame))
    cols[1].metric("Failing now", int((frame["last_status"] == "error").sum()), delta_color="inverse")
    cols[2].metric("Posts collected", int(frame["posts"].sum()))
    table(frame, source=st.column_config.TextColumn("Source"))
    comments_not_reachable()


def comments_not_reachable() -> None:
    """Sources whose comment threads a script or iframe shows (Disqus...): not zero, just unread."""
    frame = unreachable()
    if frame.empty:
        return
    st.markdown("**Comments not reachable**")
    st.caption(
        "These posts show their comments through a system the crawler cannot read (a script or an "
        "iframe from another server). Their comment counts are unknown, not zero."
    )
    table(frame)


def reading_view() -> None:
    """One source's newest posts; the chosen post with its comments (scraped text shown as text only)."""
    st.subheader("Read a source")
    names = {s["id"]: s["name"] for s in options()["sources"]}
    if not names:
        return
    source = linked_select("Source", list(names), lambda i: names.get(i, i), "source")
    posts = source_posts(source)
    if posts.empty:
        st.caption("No posts from this source yet.")
        return
    titles = dict(zip(posts["doc_id"], posts["title"].fillna("(untitled)"), strict=True))
    chosen = linked_select("Post", list(titles), lambda i: titles.get(i, i), "post")
    post = posts[posts["doc_id"] == chosen].iloc[0]
    st.markdown(
        f"{link(post['title'], post['url'])} — {md_escape(post['author'])}, "
        f"{when(post['published_at'])} · {post['comments']} comments"
    )
    replies = post_comments(chosen)
    for comment in comment_page(replies).itertuples():
        with st.container(border=True):
            badge = sentiment_badge(comment.sentiment) + (" (corrected)" if comment.corrected else "")
            badge += " · deleted on the blog (kept)" if comment.deleted else ""
            st.markdown(
                f"{badge} **{md_escape(comment.author)}** · {when(comment.published_at, '%Y-%m-%d %H:%M')}"
            )
            st.markdown(md_escape(comment.text, 2000))
    correction_panel(post.to_dict(), replies, "source-correct")


def comment_page(replies: pd.DataFrame) -> pd.DataFrame:
    """The page of comments to show: COMMENTS_PER_PAGE at a time, with a page picker when there are more."""
    if len(replies) <= COMMENTS_PER_PAGE:
        return replies
    pages = -(-len(replies) // COMMENTS_PER_PAGE)
    number = st.number_input("Comment page", min_value=1, max_value=pages, value=1, key="comment-page")
    start = (int(number) - 1) * COMMENTS_PER_PAGE
    shown = replies.iloc[start : start + COMMENTS_PER_PAGE]
    st.caption(f"Comments {start + 1}–{start + len(shown)} of {len(replies)}, oldest first")
    return shown


def render() -> None:
    st.title("Bloggers & sources")
    bloggers_table()
    sources_table()
    reading_view()
