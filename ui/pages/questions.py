"""Reader questions: what the target group asks most, grouped, with examples; answer one in a post."""

from __future__ import annotations

import streamlit as st

from warehouse import insights
from warehouse.editorial import Evidence

from ..data import cached
from ..safe import md_escape
from ..tables import table
from ..widgets import adopt_form, link, no_enrichment_note

groups = cached(insights.question_groups)


def render() -> None:
    st.title("Reader questions")
    rows = groups(100)
    if not rows:
        no_enrichment_note()
        return
    st.caption(f"{len(rows)} question groups, {sum(r['questions'] for r in rows)} questions in all.")
    table(
        [
            {
                "questions": r["questions"],
                "group": r["label"],
                "topics": ", ".join(r["topics"]),
                "own_share": r["own_share"],
                "last_seen": r["last_seen"],
            }
            for r in rows
        ],
        group=st.column_config.TextColumn("Question group", width="large"),
    )
    for number, row in enumerate(rows[:15], 1):
        with st.container(border=True):
            st.markdown(
                f"**{number}. {md_escape(row['label'], 200)}** — asked {row['questions']}×"
                + (f" · {md_escape(', '.join(row['topics']))}" if row["topics"] else "")
            )
            for example in row["examples"]:
                where = md_escape(f"{example.get('author') or 'someone'}, {example.get('source') or ''}")
                st.markdown(
                    f"- “{md_escape(example['text'], 300)}” — {where} · {link('source', example.get('url'))}"
                )
            with st.expander("Answer in a post"):
                adopt_form(
                    f"question-{row['group_id']}",
                    f"Answered: {row['label']}"[:150],
                    "question",
                    row["group_id"],
                    [
                        Evidence((e.get("text") or "")[:120], e["url"])
                        for e in row["examples"]
                        if e.get("url")
                    ],
                    angle=f"Readers asked this {row['questions']} times; answer it clearly with an example.",
                )
