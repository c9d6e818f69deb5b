"""Scraped text is hostile: helpers to show it as text only."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")


def md_escape(text: str | None, limit: int | None = None) -> str:
    """Escape Markdown and HTML so scraped text renders literally in st.markdown (never as markup)."""
    value = (text or "").replace("\r", " ").replace("\n", " ")
    if limit and len(value) > limit:
        value = value[: limit - 1] + "…"
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", value)
