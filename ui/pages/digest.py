"""Digest preview: the Markdown and HTML digest each stakeholder gets, with downloads."""

from __future__ import annotations

from datetime import date

import streamlit as st

from ui.digest import DigestSettings, Recipient, build_digest, render_html, render_markdown
from warehouse.alerts import AlertSettings

from ..data import alert_settings, app_config, as_of, cached, stakeholders


def _digest(
    db: str, person: Recipient, settings: DigestSettings, alerts: AlertSettings, today: date
) -> tuple[str, str, str]:
    digest = build_digest(db, person, settings, alerts, today)
    return digest.subject, render_markdown(digest), render_html(digest)


preview = cached(_digest)


def render() -> None:
    st.title("Digest preview")
    people = [Recipient(s.name, s.email, tuple(s.topics)) for s in stakeholders() if s.topics]
    if not people:
        st.info("No stakeholders configured: add `[[stakeholders]]` with the topics they own to the config.")
        return
    cfg = app_config()
    settings = DigestSettings(cfg.digest.days, cfg.digest.max_evidence, cfg.digest.max_questions)
    names = {p.email: f"{p.name} — {', '.join(p.topics)}" for p in people}
    chosen = st.selectbox("Stakeholder", list(names), format_func=names.get, key="digest_person")
    person = next(p for p in people if p.email == chosen)
    subject, markdown, html = preview(person, settings, alert_settings(), as_of())
    st.caption(
        f"Subject: {subject} · to {person.email}"
        + (" · sent by `resonanz digest --send`" if cfg.digest.smtp_host else " · SMTP not configured")
    )
    cols = st.columns(2)
    cols[0].download_button(
        "Markdown",
        markdown,
        file_name="digest.md",
        mime="text/markdown",
        on_click="ignore",
        icon=":material/download:",
    )
    cols[1].download_button(
        "HTML", html, file_name="digest.html", mime="text/html", on_click="ignore", icon=":material/download:"
    )
    with st.container(border=True):
        st.markdown(markdown)
