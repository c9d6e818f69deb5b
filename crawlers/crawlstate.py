"""What earlier crawls learned about pages (canonical URL, date, article or listing), kept beside the HTTP cache.

It only ever narrows work for pages the warehouse already has (`known_urls`): a page missing from
the warehouse is always fetched and extracted, so a stale or lost state file is harmless.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .dates import parse_iso
from .urls import Scope

log = logging.getLogger(__name__)

STATE_FILE = "resonanz-pages.json"


class CrawlState:
    """url → {"c": canonical URL, "p": published ISO date, "a": is article}."""

    def __init__(self, path: Path, pages: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.pages = pages or {}

    @classmethod
    def load(cls, cache_dir: Path) -> CrawlState:
        path = cache_dir / STATE_FILE
        try:
            pages = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(pages, dict):
                raise ValueError("not an object")
        except FileNotFoundError:
            pages = {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable crawl state %s: %s", path, exc)
            pages = {}
        return cls(path, pages)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(self.pages, separators=(",", ":")), encoding="utf-8")
        tmp.replace(self.path)

    def update(self, lines: Iterable[dict[str, Any]]) -> None:
        """Remember what extraction found out (lines of pages that were not extracted change nothing)."""
        for line in lines:
            if line.get("type") == "page" and line.get("extracted") and not line.get("error"):
                self.pages[line["url"]] = {
                    "c": line.get("canonical_url"),
                    "p": line.get("published"),
                    "a": bool(line.get("article")),
                }

    def for_scope(
        self, scope: Scope, known: set[str], revisit_before: datetime | None
    ) -> tuple[list[str], list[str]]:
        """(known articles older than the revisit limit, pages that were listings) within a scope."""
        skip: list[str] = []
        listings: list[str] = []
        for url, page in self.pages.items():
            if not scope.allows(url):
                continue
            if not page.get("a"):
                listings.append(url)
                continue
            published = parse_iso(page.get("p"))
            if (
                revisit_before
                and published
                and published < revisit_before
                and (page.get("c") or url) in known
            ):
                skip.append(url)
        return skip, listings
