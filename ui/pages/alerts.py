"""Alerts: spikes in topic volume and in negative sentiment (recent window vs trailing baseline)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from warehouse import alerts

from ..data import alert_settings, as_of, cached
from ..safe import md_escape
from ..tables import table

detect = cached(alerts.detect_alerts)


def render() -> None:
    st.title("Alerts")
    settings = alert_settings()
    st.caption(
        f"Last {settings.recent_days} days against the {settings.baseline_days} days before; an alert needs a "
        f"deviation of z ≥ {settings.threshold:g} and at least {settings.min_documents} documents "
        f"(negative sentiment: a rise of ≥ {settings.negative_share_delta:.0%} points). Configure in `[alerts]`."
    )
    found = detect(settings, as_of())
    if not found:
        st.success("No spikes right now.")
        return
    cols = st.columns(3)
    cols[0].metric("Alerts", len(found))
    cols[1].metric("Volume spikes", sum(a.kind == "volume" for a in found))
    cols[2].metric("Negative-sentiment spikes", sum(a.kind == "negative" for a in found))
    for alert in found:
        color = "red" if alert.severity == "high" else "orange"
        st.markdown(
            f":{color}-badge[{alert.severity}] :gray-badge[{alert.kind}] :gray-badge[{md_escape(alert.scope)}] "
            f"{md_escape(alert.message)}"
        )
    table(pd.DataFrame([a.to_dict() for a in found]).drop(columns=["message", "topic_id"]))
