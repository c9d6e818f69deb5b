"""The correction panel: an editor sets the sentiment and taxonomy topics of a post or comment, or undoes it.

Writes go through `warehouse.corrections` (one short write transaction that also rebuilds the app's
aggregates), so every page shows the correction on the next rerun. Who corrected: the name typed into
the panel, pre-filled from $RESONANZ_USER.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd
import streamlit as st

from resonanz.config import ENV_USER
from warehouse import corrections
from warehouse.corrections import SENTIMENT_LABELS, CorrectionError
from warehouse.db import DatabaseBusy

from .data import app_config, cached, db_path
from .safe import md_escape, plain
from .widgets import filter_options, sentiment_badge

labels_of = cached(corrections.current_labels)
EDITOR_KEY = "editor_name"


def editor_name() -> str:
    """The name corrections are stored under: typed in this session, else $RESONANZ_USER."""
    return st.session_state.get(EDITOR_KEY) or os.environ.get(ENV_USER, "")


def taxonomy() -> list[str]:
    """The configured taxonomy topics and any topic already in the data."""
    cfg = app_config()
    configured = [t.name for t in cfg.topics] if cfg else []
    return list(dict.fromkeys([*configured, *filter_options()["topics"]]))


def _write(action: Callable[..., object], *args: object) -> None:
    """Run one correction write and rerun; errors are shown, not raised."""
    try:
        action(db_path(), *args)
    except (CorrectionError, DatabaseBusy) as exc:
        st.error(str(exc))
        return
    st.rerun()


def _choices(post: dict, comments: pd.DataFrame) -> dict[str, str]:
    """Options of the document picker (plain text): the post, then its comments with their sentiment."""
    docs = {str(post["doc_id"]): f"Post: {plain(str(post.get('title') or '(untitled)'), 80)}"}
    for c in comments.itertuples():
        docs[str(c.doc_id)] = f"[{c.sentiment}] {plain(c.author or '(anonymous)', 30)}: {plain(c.text, 70)}"
    return docs


def correction_panel(post: dict, comments: pd.DataFrame, key: str) -> None:
    """Correct the sentiment and topics of `post` or one of its `comments` (doc_id, author, text, sentiment)."""
    with st.expander("Correct sentiment or topics", icon=":material/edit:"):
        docs = _choices(post, comments)
        doc_id = st.selectbox("Document", list(docs), format_func=docs.get, key=f"{key}-doc")
        now = labels_of(doc_id)
        marks = (
            " (corrected)" if now.sentiment_corrected else "",
            " (corrected)" if now.topics_corrected else "",
        )
        st.markdown(
            f"Now: {sentiment_badge(now.sentiment or 'unknown')}{marks[0]} · "
            f"topics: {md_escape(', '.join(now.topics) or 'none')}{marks[1]}"
        )
        topics = taxonomy()
        who = st.text_input("Your name", editor_name(), key=f"{key}-who", help=f"pre-filled from ${ENV_USER}")
        st.session_state[EDITOR_KEY] = who.strip()
        with st.form(f"{key}-form"):
            index = SENTIMENT_LABELS.index(now.sentiment) if now.sentiment in SENTIMENT_LABELS else None
            sentiment = st.radio(
                "Sentiment", SENTIMENT_LABELS, index=index, horizontal=True, key=f"{key}-sentiment"
            )
            chosen = st.multiselect(
                "Taxonomy topics", topics, default=[t for t in now.topics if t in topics], key=f"{key}-topics"
            )
            if st.form_submit_button("Save correction", type="primary"):
                save(doc_id, now, sentiment, chosen, who)
        cols = st.columns(2)
        if cols[0].button(
            "Undo sentiment correction", key=f"{key}-undo-s", disabled=not now.sentiment_corrected
        ):
            _write(corrections.undo, doc_id, "sentiment", who)
        if cols[1].button("Undo topic correction", key=f"{key}-undo-t", disabled=not now.topics_corrected):
            _write(corrections.undo, doc_id, "topic", who)


def save(doc_id: str, now: corrections.Labels, sentiment: str | None, topics: list[str], who: str) -> None:
    """Store what changed: the sentiment, the topics, or both (one rerun after the writes)."""
    changed = False
    try:
        if sentiment and sentiment != now.sentiment:
            corrections.set_sentiment(db_path(), doc_id, sentiment, who)
            changed = True
        if sorted(topics) != sorted(now.topics):
            corrections.set_topics(db_path(), doc_id, topics, who)
            changed = True
    except (CorrectionError, DatabaseBusy) as exc:
        st.error(str(exc))
        return
    if not changed:
        st.info("Nothing changed: pick another sentiment or other topics.")
        return
    st.rerun()
