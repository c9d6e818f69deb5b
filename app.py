"""Resonanz — Streamlit entry point (`resonanz app` starts it on the configured database)."""

from __future__ import annotations

import streamlit as st

from ui.data import db_path
from ui.pages import overview
from warehouse.db import DatabaseMissing

st.set_page_config(page_title="Resonanz", page_icon="📡", layout="wide")

PAGES = [
    st.Page(overview.render, title="Overview", icon="📊", url_path="overview", default=True),
]


def main() -> None:
    page = st.navigation(PAGES)
    st.sidebar.caption(f"Database: `{db_path().name}`")
    try:
        page.run()
    except DatabaseMissing as exc:
        st.info(f"No data yet. {exc}")


main()
