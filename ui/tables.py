"""Tables: one vocabulary of column labels and formats for every page (st.dataframe shows text as text)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

_DAY, _MINUTE = "YYYY-MM-DD", "YYYY-MM-DD HH:mm"
_cc = st.column_config
KNOWN: dict[str, Any] = {
    "published_at": _cc.DatetimeColumn("Published", format=_DAY),
    "first_post": _cc.DatetimeColumn("First post", format=_DAY),
    "last_post": _cc.DatetimeColumn("Last post", format=_DAY),
    "first_seen": _cc.DatetimeColumn("First seen", format=_DAY),
    "last_seen": _cc.DatetimeColumn("Last seen", format=_DAY),
    "started_at": _cc.DatetimeColumn("Started", format=_MINUTE),
    "finished_at": _cc.DatetimeColumn("Finished", format=_MINUTE),
    "last_fetched_at": _cc.DatetimeColumn("Last fetch", format=_MINUTE),
    "due": _cc.DateColumn("Due", format=_DAY),
    "url": _cc.LinkColumn("Link", display_text="open"),
    "title": _cc.TextColumn("Title", width="large"),
    "error": _cc.TextColumn("Error", width="large"),
    "last_error": _cc.TextColumn("Last error", width="large"),
    "share": _cc.ProgressColumn("Share", format="percent", min_value=0, max_value=1),
    "negative_share": _cc.NumberColumn("Negative", format="percent"),
    "baseline_share": _cc.NumberColumn("Blog baseline", format="percent"),
    "own_share": _cc.NumberColumn("On own blog", format="percent"),
    "coverage": _cc.NumberColumn("Own coverage", format="percent"),
    "consecutive_failures": _cc.NumberColumn("Failures in a row"),
    "author": "Blogger",
    "source": "Blog",
    "first_mover": _cc.CheckboxColumn("First mover"),
    "topics_started": "Topics started (first mover)",
    "topics_picked_up": "…picked up by others",
    "z": _cc.NumberColumn("z", format="%.1f"),
}


def label(column: str) -> str:
    """'comments_received' -> 'Comments received'."""
    return column.replace("_", " ").capitalize()


def table(data: pd.DataFrame | list[dict[str, Any]], **config: Any) -> None:
    """A read-only table with the shared column labels; `config` overrides or adds column settings."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    columns = {c: KNOWN.get(c, label(str(c))) for c in frame.columns}
    st.dataframe(frame, hide_index=True, column_config={**columns, **config})
