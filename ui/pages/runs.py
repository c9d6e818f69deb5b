"""Runs: pipeline run history and sources failing several runs in a row."""

from __future__ import annotations

import streamlit as st

from warehouse import health

from ..data import app_config, cached
from ..tables import table

history = cached(health.runs_history)
failing = cached(health.failing_sources)
run_sources = cached(health.run_sources)


def render() -> None:
    st.title("Runs")
    cfg = app_config()
    threshold = cfg.operations.failure_threshold if cfg else 3
    runs = history(50)
    if runs.empty:
        st.info("No runs yet: start one with `resonanz run`.")
        return
    last = runs.iloc[0]
    cols = st.columns(4)
    cols[0].metric("Runs", len(runs))
    cols[1].metric("Last run", str(last["status"]))
    cols[2].metric("New documents (last run)", int(last["new"]))
    cols[3].metric("Failed sources (last run)", int(last["failed_sources"]), delta_color="inverse")
    table(runs)
    st.subheader(f"Failing sources ({threshold}+ failures in a row)")
    bad = failing(threshold)
    if bad.empty:
        st.success("No source is failing repeatedly.")
    else:
        table(bad)
    st.subheader("Sources of one run")
    run_id = st.selectbox("Run", list(runs["run_id"]), key="runs_run")
    table(run_sources(run_id))
