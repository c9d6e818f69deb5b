"""Scraped text is hostile: helpers to show it as text only."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")
_MD_INLINE = re.compile(r"([\\`*_{}\[\]<>|~$])")


def _one_line(text: str | None, limit: int | None) -> str:
    value = " ".join((text or "").split())
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def plain(text: str | None, limit: int | None = None) -> str:
    """One line of text, shortened, for widget options (Streamlit shows them as plain text, never as markup)."""
    return _one_line(text, limit)


def md_escape(text: str | None, limit: int | None = None) -> str:
    """Escape Markdown and HTML so scraped text renders literally in st.markdown (never as markup)."""
    value = _one_line(text, limit).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", value)


def md_cell(text: str | None, limit: int | None = None) -> str:
    """Lighter escaping for Markdown files (tables, digests): one line, no markup, no HTML, no pipes."""
    return _MD_INLINE.sub(r"\\\1", _one_line(text, limit))
