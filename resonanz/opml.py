"""Read OPML subscription lists and append their feeds to a config file (comments preserved)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, check_http_url
from .config_edit import appended, table, unique_id


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


def append_feeds(config_text: str, feeds: list[OpmlFeed], taken: set[str]) -> str:
    """The config text with one `[[feeds]]` table appended per feed (unique ids)."""
    tables = [table("feeds", id=unique_id(f.name, taken), name=f.name, url=f.url) for f in feeds]
    return appended(config_text, "imported from OPML", tables)
