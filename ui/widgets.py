"""Widgets shared by the pages: filters, safe links, sentiment mix, the 'adopt into the plan' form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from warehouse import editorial, insights
from warehouse.editorial import Evidence, PlanEntry, PlanError
from warehouse.rates import interval_text

from .data import as_of, cached, db_path, stakeholders
from .safe import md_escape

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90, "Last 365 days": 365}
filter_options = cached(insights.filter_options)


def link(title: str | None, url: str | None, limit: int = 120) -> str:
    """A Markdown link with escaped text; only http(s) URLs become links."""
    text = md_escape(title or url or "(untitled)", limit)
    if not url or not url.lower().startswith(("http://", "https://")):
        return text
    safe_url = url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")
    return f"[{text}](<{safe_url}>)"


def when(value: object, fmt: str = "%Y-%m-%d") -> str:
    """A date/time formatted, or '' when missing (None, NaT)."""
    return "" if value is None or pd.isna(value) else format(value, fmt)


SENTIMENT_BADGES = {"negative": "red", "neutral": "gray", "positive": "green", "unknown": "gray"}


def sentiment_badge(label: str, text: str | None = None) -> str:
    """A coloured Markdown badge for a sentiment label."""
    return f":{SENTIMENT_BADGES.get(label, 'gray')}-badge[{text or label}]"


def sentiment_mix(negative: int, neutral: int, positive: int) -> str:
    """Badges 'negative 3 (30%)' · 'neutral 5 (50%)' · 'positive 2 (20%)', or a note when nothing is labelled."""
    total = negative + neutral + positive
    if not total:
        return "no sentiment yet"
    counts = (("negative", negative), ("neutral", neutral), ("positive", positive))
    return " ".join(sentiment_badge(label, f"{label} {n} ({n / total:.0%})") for label, n in counts)


def share_text(row: Any) -> str:
    """A negative share with its interval, '28% (24–32%)', from a row with negative_share/_low/_high."""
    get = row.get if isinstance(row, dict | pd.Series) else lambda name: getattr(row, name, None)
    return interval_text(get("negative_share"), get("negative_low"), get("negative_high"))


def sidebar_filters() -> insights.Filters:
    """Period, language, source and topic filters in the sidebar."""
    options = filter_options()
    end = as_of()
    with st.sidebar:
        st.subheader("Filters")
        label = st.selectbox("Period", list(PERIODS), index=2, key="filter_period")
        langs = st.multiselect("Language", options["langs"], key="filter_langs")
        names = {s["id"]: s["name"] for s in options["sources"]}
        sources = st.multiselect(
            "Source", list(names), format_func=lambda i: names.get(i, i), key="filter_sources"
        )
        topic = st.selectbox("Topic", ["All topics", *options["topics"]], key="filter_topic")
    start = end - timedelta(days=PERIODS[label] - 1)
    return insights.Filters(
        start, end, tuple(langs), tuple(sources), None if topic == "All topics" else topic
    )


def adopt_form(
    key: str, title: str, origin_kind: str, origin_id: str, evidence: Sequence[Evidence], angle: str = ""
) -> int | None:
    """A form that adds a topic or question to the editorial plan; returns the new entry's id when saved."""
    owners = [""] + [s.name for s in stakeholders()]
    with st.form(f"adopt-{key}", clear_on_submit=False):
        st.markdown("**Add to the editorial plan**")
        new_title = st.text_input("Title", value=title, key=f"adopt-title-{key}")
        new_angle = st.text_area("Angle", value=angle, key=f"adopt-angle-{key}", height=80)
        cols = st.columns(3)
        owner = cols[0].selectbox("Owner", owners, key=f"adopt-owner-{key}", accept_new_options=True)
        channel = cols[1].selectbox("Channel", editorial.CHANNELS, key=f"adopt-channel-{key}")
        due = cols[2].date_input("Due", value=date.today() + timedelta(days=14), key=f"adopt-due-{key}")
        if not st.form_submit_button("Add to plan", type="primary"):
            return None
    entry = PlanEntry(
        title=new_title,
        angle=new_angle,
        owner=owner or "",
        channel=channel,
        due_date=due,
        status="planned",
        origin_kind=origin_kind,
        origin_id=origin_id,
        evidence=tuple(evidence),
    )
    try:
        entry_id = editorial.add_entry(db_path(), entry)
    except PlanError as exc:
        st.error(str(exc))
        return None
    st.success(f"In the editorial plan as entry #{entry_id}.")
    return entry_id


def no_enrichment_note() -> None:
    """Say why topic and sentiment views are empty on a collected-only database."""
    st.info(
        "No enrichment results yet: topics, sentiment and questions appear after `resonanz run` has "
        "enriched the collected documents."
    )
