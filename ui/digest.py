"""Stakeholder digests: what was said about a person's topics, rendered as Markdown and (escaped) HTML.

Pure of Streamlit and of the config: callers pass the recipient and settings. Every topic-bearing
item is cut down to the recipient's own topics, so a digest never names somebody else's topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from warehouse import crowd, editorial, insights
from warehouse.alerts import Alert, AlertSettings, detect_alerts
from warehouse.rates import interval_text

from .safe import md_cell


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who gets a digest and which taxonomy topics they own."""

    name: str
    email: str
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """Period and size of a digest (the `[digest]` config section)."""

    days: int = 7
    max_evidence: int = 5
    max_questions: int = 5


@dataclass(slots=True)
class Digest:
    """Everything one digest shows."""

    name: str
    email: str
    topics: list[str]
    start: date
    end: date
    summaries: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    questions: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    crowd: list[dict[str, Any]] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return f"Resonanz digest: {', '.join(self.topics)} ({self.start:%d %b} – {self.end:%d %b %Y})"

    @property
    def is_empty(self) -> bool:
        return not (any(s["documents"] for s in self.summaries) or self.alerts or self.questions)


def _plain(value: Any) -> Any:
    """Lists for arrays, None for NaN / NaT."""
    if isinstance(value, list | tuple | np.ndarray):
        return list(value)
    return None if value is pd.NaT or (isinstance(value, float) and np.isnan(value)) else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _evidence(db: str | Path, topics: list[str], start: date, end: date, limit: int) -> list[dict[str, Any]]:
    rows = _records(insights.topic_evidence(db, topics, start, end, limit))
    for row in rows:
        row["topics"] = [t for t in row["topics"] if t in topics]
        row["day"] = f"{row['published_at']:%Y-%m-%d}" if row["published_at"] is not None else ""
        url = str(row["url"] or "")
        row["safe_url"] = url if url.lower().startswith(("http://", "https://")) else None
    return rows


def _questions(db: str | Path, topics: list[str], limit: int) -> list[dict[str, Any]]:
    answered = {
        e.origin_id
        for e in editorial.list_entries(db)
        if e.origin_kind == "question" and e.status == "published"
    }
    groups = [
        g
        for g in insights.question_groups(db, limit + len(answered), topics)
        if g["group_id"] not in answered
    ]
    return [
        {
            "label": g["label"],
            "questions": g["questions"],
            "topics": [t for t in g["topics"] if t in topics],
            "example": g["examples"][0]["text"] if g["examples"] else None,
        }
        for g in groups[:limit]
    ]


def _crowd(db: str | Path, topics: list[str]) -> tuple[list[dict[str, Any]], set[str]]:
    rows = []
    for row in _records(crowd.crowd_topics(db, 50)):
        mine = [t for t in row["taxonomy"] if t in topics]
        if mine:
            rows.append(
                {
                    "topic_id": row["topic_id"],
                    "label": row["label"],
                    "score": row["score"],
                    "blogs": row["blogs"],
                    "recent": row["recent"],
                    "taxonomy": mine,
                }
            )
    return rows[:5], {r["topic_id"] for r in rows}


def build_digest(
    db: str | Path, person: Recipient, settings: DigestSettings, alerts: AlertSettings, today: date
) -> Digest:
    """Collect one stakeholder's digest for the `settings.days` days up to `today`."""
    topics = list(person.topics)
    start = today - timedelta(days=settings.days - 1)
    digest = Digest(person.name, person.email, topics, start, today)
    digest.summaries = _records(insights.topic_summaries(db, topics, start, today))
    digest.evidence = _evidence(db, topics, start, today, settings.max_evidence)
    digest.questions = _questions(db, topics, settings.max_questions)
    digest.crowd, crowd_ids = _crowd(db, topics)
    digest.alerts = [
        a
        for a in detect_alerts(db, alerts, today)
        if (a.scope == "taxonomy" and a.topic in topics)
        or (a.scope == "emerging" and a.topic_id in crowd_ids)
    ]
    return digest


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _rate(row: dict[str, Any]) -> str:
    """A summary row's negative share with its interval, '28% (24–32%)' ('—' without one)."""
    return interval_text(row.get("negative_share"), row.get("negative_low"), row.get("negative_high"))


def _md_link(item: dict[str, Any]) -> str:
    text = md_cell(item.get("title") or item.get("url"), 160)
    url = item.get("safe_url")
    return f"[{text}](<{url.replace('<', '%3C').replace('>', '%3E')}>)" if url else text


@lru_cache(maxsize=2)
def _environment(html: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("ui", "templates"),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_cell, pct=_pct, rate=_rate, mdlink=_md_link)
    return env


def render_markdown(digest: Digest) -> str:
    """The digest as Markdown; scraped text is escaped for Markdown (no markup, no HTML)."""
    return _environment(False).get_template("digest.md").render(d=digest)


def render_html(digest: Digest) -> str:
    """The digest as an HTML e-mail body; every value is HTML-escaped by Jinja2's autoescape."""
    return _environment(True).get_template("digest.html").render(d=digest)
