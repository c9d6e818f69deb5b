"""Read OPML subscription lists and append their feeds to a config file (comments preserved)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, check_http_url, slugify


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    name: str


def read_opml(path: Path) -> list[OpmlFeed]:
    """All feed outlines (xmlUrl) of an OPML file, nested folders included, without duplicates."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ConfigError(f"cannot read OPML file {path}: {exc}") from None
    feeds: dict[str, OpmlFeed] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if not url:
            continue
        try:
            check_http_url(url)
        except ValueError:
            continue
        name = (outline.get("title") or outline.get("text") or url).strip()
        feeds.setdefault(url, OpmlFeed(url, name))
    return list(feeds.values())


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def append_feeds(config_text: str, feeds: list[OpmlFeed], taken: set[str]) -> str:
    """The config text with one `[[feeds]]` table appended per feed (unique ids)."""
    blocks = [config_text.rstrip("\n"), "", "# --- imported from OPML ---"]
    for feed in feeds:
        base = slugify(feed.name)
        ident, n = base, 2
        while ident in taken:
            ident, n = f"{base}-{n}", n + 1
        taken.add(ident)
        blocks += [
            "[[feeds]]",
            f"id = {_toml_str(ident)}",
            f"name = {_toml_str(feed.name)}",
            f"url = {_toml_str(feed.url)}",
            "",
        ]
    return "\n".join(blocks)
