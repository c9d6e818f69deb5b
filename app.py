"""Resonanz — Streamlit entry point (`resonanz app` starts it on the configured database)."""

from __future__ import annotations

import duckdb
import streamlit as st

from ui.data import aggregates_built, db_path
from ui.pages import alerts, crowd, digest, feedback, overview, plan, questions, runs, sources
from warehouse.db import DatabaseBusy, DatabaseMissing

st.set_page_config(page_title="Resonanz", page_icon="📡", layout="wide")

PAGES = {
    "Insights": [
        st.Page(
            overview.render, title="Overview", icon=":material/dashboard:", url_path="overview", default=True
        ),
        st.Page(crowd.render, title="Crowdsourced topics", icon=":material/trending_up:", url_path="crowd"),
        st.Page(feedback.render, title="Own-blog feedback", icon=":material/forum:", url_path="feedback"),
        st.Page(
            questions.render,
            title="Reader questions",
            icon=":material/contact_support:",
            url_path="questions",
        ),
        st.Page(sources.render, title="Bloggers & sources", icon=":material/groups:", url_path="sources"),
    ],
    "Act": [
        st.Page(plan.render, title="Editorial plan", icon=":material/edit_calendar:", url_path="plan"),
        st.Page(digest.render, title="Digest preview", icon=":material/mail:", url_path="digest"),
        st.Page(alerts.render, title="Alerts", icon=":material/notifications_active:", url_path="alerts"),
    ],
    "Operations": [st.Page(runs.render, title="Runs", icon=":material/history:", url_path="runs")],
}
NOT_BUILT = (
    "The app's aggregates are not built yet: run `resonanz run`, or `resonanz refresh` after a run "
    "made with an older version."
)


def main() -> None:
    page = st.navigation(PAGES)
    st.sidebar.caption(f"Database: `{db_path().name}`")
    try:
        if not aggregates_built():
            st.info(NOT_BUILT)
        page.run()
    except DatabaseMissing as exc:
        st.info(f"No data yet. {exc}")
    except DatabaseBusy as exc:
        st.warning(f"The database is busy (a pipeline run is writing): {exc}. Reload in a moment.")
    except duckdb.CatalogException:
        st.info(NOT_BUILT)


main()
