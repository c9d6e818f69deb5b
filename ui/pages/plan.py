"""Editorial plan: entries adopted from topics and questions; edit, reorder, add, export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import streamlit as st

from warehouse import editorial
from warehouse.editorial import PlanEntry, PlanError

from ..data import cached, db_path, stakeholders
from ..exports import FORMATS, export_plan
from ..tables import table
from ..widgets import link

entries = cached(editorial.list_entries)


def plan_table(plan: list[PlanEntry]) -> None:
    rows = [
        {
            "#": e.position,
            "title": e.title,
            "angle": e.angle,
            "owner": e.owner,
            "channel": e.channel,
            "due": e.due_date,
            "status": e.status,
            "from": e.origin_kind,
            "evidence": len(e.evidence),
        }
        for e in plan
    ]
    table(rows, angle=st.column_config.TextColumn("Angle", width="medium"))


def _apply(action: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Run a plan change and rerun; errors are shown, not raised."""
    try:
        action(db_path(), *args, **kwargs)
    except PlanError as exc:
        st.error(str(exc))
        return
    st.rerun()


def edit_form(entry: PlanEntry) -> None:
    """Edit every field of one entry."""
    owners = list(dict.fromkeys(["", entry.owner, *(s.name for s in stakeholders())]))
    channels = list(dict.fromkeys([entry.channel, *editorial.CHANNELS]))
    with st.form(f"edit-{entry.entry_id}"):
        key = entry.entry_id
        title = st.text_input("Title", entry.title, key=f"edit-title-{key}")
        angle = st.text_area("Angle", entry.angle, height=80, key=f"edit-angle-{key}")
        cols = st.columns(4)
        owner = cols[0].selectbox(
            "Owner", owners, index=owners.index(entry.owner), accept_new_options=True, key=f"edit-owner-{key}"
        )
        channel = cols[1].selectbox("Channel", channels, accept_new_options=True, key=f"edit-channel-{key}")
        due = cols[2].date_input("Due", entry.due_date, key=f"edit-due-{key}")
        status = cols[3].selectbox(
            "Status",
            editorial.STATUSES,
            index=editorial.STATUSES.index(entry.status),
            key=f"edit-status-{key}",
        )
        if st.form_submit_button("Save changes", type="primary"):
            _apply(
                editorial.update_entry,
                entry.entry_id,
                title=title,
                angle=angle,
                owner=owner or "",
                channel=channel,
                due_date=due,
                status=status,
            )
    for item in entry.evidence:
        st.markdown(f"- {link(item.title, item.url)}")
    cols = st.columns(3)
    if cols[0].button("Move up", key=f"up-{entry.entry_id}", disabled=entry.position == 1):
        _apply(editorial.move_entry, entry.entry_id, -1)
    if cols[1].button("Move down", key=f"down-{entry.entry_id}"):
        _apply(editorial.move_entry, entry.entry_id, 1)
    if cols[2].button("Delete", key=f"delete-{entry.entry_id}"):
        _apply(editorial.delete_entry, entry.entry_id)


def new_entry_form() -> None:
    with st.form("new-entry", clear_on_submit=True):
        title = st.text_input("Title", key="new-title")
        angle = st.text_area("Angle", height=80, key="new-angle")
        due = st.date_input("Due", date.today() + timedelta(days=21), key="new-due")
        if st.form_submit_button("Add entry"):
            _apply(editorial.add_entry, PlanEntry(title=title, angle=angle, due_date=due))


def downloads(plan: list[PlanEntry]) -> None:
    cols = st.columns(len(FORMATS))
    for col, (key, fmt) in zip(cols, FORMATS.items(), strict=True):
        col.download_button(
            fmt.name,
            export_plan(plan, key),
            file_name=f"editorial-plan.{fmt.extension}",
            mime=fmt.mime,
            key=f"download-{key}",
            on_click="ignore",
            icon=":material/download:",
        )


def render() -> None:
    st.title("Editorial plan")
    plan = entries()
    if not plan:
        st.info(
            "The plan is empty: adopt a crowdsourced topic or answer a reader question, or add an entry below."
        )
    else:
        open_entries = sum(e.status not in ("published", "dropped") for e in plan)
        st.caption(f"{len(plan)} entries, {open_entries} open.")
        plan_table(plan)
        downloads(plan)
        st.subheader("Edit an entry")
        labels = {e.entry_id: f"{e.position}. {e.title}" for e in plan}
        chosen = st.selectbox("Entry", list(labels), format_func=labels.get, key="plan_entry")
        edit_form(next(e for e in plan if e.entry_id == chosen))
    with st.expander("Add an entry by hand"):
        new_entry_form()
