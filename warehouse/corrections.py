"""Editors' corrections of a document's sentiment and taxonomy topics: set, undo, list, learn from.

Corrections live in their own append-only table (migration 0040), so re-enrichment never loses them.
The newest correction of a document and task that is not undone wins over the model through the views
`effective_sentiment` and `effective_topics`, which the aggregates' staging and the app's lookups read.
A write commits the correction and rebuilds the app's aggregates (with the last refresh's reference day
and brand keywords) in one transaction, so every page, digest and export shows it at once.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from nlp.records import DocText

from .aggregates import refresh_again
from .db import DatabaseMissing, read_connection, transact
from .target import Target

SENTIMENT_LABELS = ("negative", "neutral", "positive")
TASKS = ("sentiment", "topic")
WRITE_TIMEOUT_S = 30.0
_COLUMNS = "correction_id, doc_id, task, labels, previous, author, created_at, undone, undone_at, undone_by"


class CorrectionError(ValueError):
    """A correction that cannot be stored; the message names the document, label or field."""


@dataclass(frozen=True, slots=True)
class Correction:
    """One editor's correction (labels: the sentiment label, or the document's full set of topics)."""

    correction_id: str
    doc_id: str
    task: str
    labels: tuple[str, ...]
    previous: tuple[str, ...] | None
    author: str
    created_at: datetime
    undone: bool = False
    undone_at: datetime | None = None
    undone_by: str | None = None


def _correction(row: Sequence[Any]) -> Correction:
    values = dict(zip(_COLUMNS.split(", "), row, strict=True))
    values["labels"] = tuple(values["labels"])
    values["previous"] = None if values["previous"] is None else tuple(values["previous"])
    return Correction(**values)


def _author(author: str) -> str:
    name = (author or "").strip()
    if not name:
        raise CorrectionError("author: a correction needs the name of who made it")
    return name


def _previous(con: duckdb.DuckDBPyConnection, doc_id: str, task: str) -> list[str] | None:
    if task == "sentiment":
        row = con.execute("SELECT label FROM effective_sentiment WHERE doc_id = ?", [doc_id]).fetchone()
        return [row[0]] if row else None
    rows = con.execute(
        "SELECT topic FROM effective_topics WHERE doc_id = ? ORDER BY score DESC, topic", [doc_id]
    ).fetchall()
    return [r[0] for r in rows]


def _record(db: Target, doc_id: str, task: str, labels: list[str], author: str) -> Correction:
    who = _author(author)

    def work(con: duckdb.DuckDBPyConnection) -> Correction:
        if not con.execute("SELECT 1 FROM documents WHERE doc_id = ?", [doc_id]).fetchone():
            raise CorrectionError(f"no document with id {doc_id!r}")
        row = (
            uuid.uuid4().hex,
            doc_id,
            task,
            labels,
            _previous(con, doc_id, task),
            who,
            datetime.now(UTC),
            False,
            None,
            None,
        )
        con.execute(f"INSERT INTO corrections ({_COLUMNS}) VALUES ({', '.join('?' * len(row))})", list(row))
        refresh_again(con)
        return _correction(row)

    return transact(db, work, claim=("aggregates",), timeout=WRITE_TIMEOUT_S)


def set_sentiment(db: Target, doc_id: str, label: str, author: str) -> Correction:
    """Set a document's sentiment (negative, neutral or positive) in the name of `author`."""
    if label not in SENTIMENT_LABELS:
        raise CorrectionError(f"sentiment: {label!r} is not one of {', '.join(SENTIMENT_LABELS)}")
    return _record(db, doc_id, "sentiment", [label], author)


def set_topics(db: Target, doc_id: str, topics: Sequence[str], author: str) -> Correction:
    """Set a document's taxonomy topics (the full set; empty: about none of them)."""
    if isinstance(topics, str):
        raise CorrectionError("topics: pass a list of topic names, not one string")
    names = [t.strip() for t in topics]
    if any(not t for t in names):
        raise CorrectionError("topics: a topic name is empty")
    return _record(db, doc_id, "topic", list(dict.fromkeys(names)), author)


def undo(db: Target, doc_id: str, task: str, author: str) -> Correction | None:
    """Undo the newest standing correction of a document and task (an earlier one, else the model, applies
    again); returns the undone correction, None when there was nothing to undo."""
    if task not in TASKS:
        raise CorrectionError(f"task: {task!r} is not one of {', '.join(TASKS)}")
    who = _author(author)

    def work(con: duckdb.DuckDBPyConnection) -> Correction | None:
        found = con.execute(
            "SELECT correction_id FROM current_corrections WHERE doc_id = ? AND task = ?", [doc_id, task]
        ).fetchone()
        if found is None:
            return None
        con.execute(
            "UPDATE corrections SET undone = TRUE, undone_at = ?, undone_by = ? WHERE correction_id = ?",
            [datetime.now(UTC), who, found[0]],
        )
        refresh_again(con)
        row = con.execute(
            f"SELECT {_COLUMNS} FROM corrections WHERE correction_id = ?", [found[0]]
        ).fetchone()
        return _correction(row)

    return transact(db, work, claim=("aggregates",), timeout=WRITE_TIMEOUT_S)


def list_corrections(
    db: Target, doc_id: str | None = None, task: str | None = None, include_undone: bool = True
) -> list[Correction]:
    """Corrections newest first, optionally of one document and/or task (empty on a new database)."""
    with contextlib.suppress(DatabaseMissing), read_connection(db) as con:
        rows = con.execute(
            f"""
            SELECT {_COLUMNS} FROM corrections
            WHERE ($doc_id IS NULL OR doc_id = $doc_id) AND ($task IS NULL OR task = $task)
              AND ($all OR NOT undone)
            ORDER BY created_at DESC, correction_id DESC
            """,
            {"doc_id": doc_id, "task": task, "all": include_undone},
        ).fetchall()
        return [_correction(row) for row in rows]
    return []


def _examples(con: duckdb.DuckDBPyConnection, task: str) -> list[tuple[str, str]]:
    rows = con.execute(
        """
        SELECT d.doc_id, d.text, d.title, d.kind, c.labels FROM current_corrections c JOIN documents d USING (doc_id)
        WHERE c.task = ? ORDER BY c.created_at, c.doc_id
        """,
        [task],
    ).fetchall()
    out = []
    for doc_id, text, title, kind, labels in rows:
        full = DocText(doc_id, text or "", title, kind).full_text
        out.extend((full, label) for label in labels)
    return out


def training_examples(
    source: Target | duckdb.DuckDBPyConnection, task: str = "sentiment"
) -> list[tuple[str, str]]:
    """The standing corrections as (text, label) pairs, oldest first, for refitting a head (nlp/adapt.py).

    The text is the one the pipeline classifies (title and text); `source` is an open connection or a
    warehouse. Topic corrections give one pair per topic.
    """
    if task not in TASKS:
        raise CorrectionError(f"task: {task!r} is not one of {', '.join(TASKS)}")
    if isinstance(source, duckdb.DuckDBPyConnection):
        return _examples(source, task)
    with read_connection(source) as con:
        return _examples(con, task)


def corrections_since_refit(db: Target, task: str = "sentiment") -> int:
    """Standing corrections made after the last recorded refit (all of them before the first)."""
    with read_connection(db) as con:
        return int(
            con.execute(
                """
                SELECT count(*) FROM current_corrections
                WHERE task = ? AND created_at > coalesce((SELECT max(refit_at) FROM correction_refits),
                                                         '-infinity'::TIMESTAMPTZ)
                """,
                [task],
            ).fetchone()[0]
        )


def record_refit(db: Target, model_version: str, corrections: int) -> None:
    """Note that the head was refitted now on `corrections` corrections (resets `corrections_since_refit`)."""
    transact(
        db,
        lambda con: con.execute(
            "INSERT INTO correction_refits VALUES (?, ?, ?)", [datetime.now(UTC), model_version, corrections]
        ),
        timeout=WRITE_TIMEOUT_S,
    )


@dataclass(frozen=True, slots=True)
class Labels:
    """What a document shows now: its sentiment and taxonomy topics, and whether an editor set them."""

    sentiment: str | None
    sentiment_corrected: bool
    topics: tuple[str, ...]
    topics_corrected: bool


def current_labels(db: Target, doc_id: str) -> Labels:
    """A document's effective sentiment and topics (an editor's correction, else the model's)."""
    with read_connection(db) as con:
        sentiment = con.execute(
            "SELECT label, corrected FROM effective_sentiment WHERE doc_id = ?", [doc_id]
        ).fetchone()
        topics = con.execute(
            "SELECT topic, corrected FROM effective_topics WHERE doc_id = ? ORDER BY score DESC, topic",
            [doc_id],
        ).fetchall()
        corrected = con.execute(
            "SELECT count(*) FROM current_corrections WHERE doc_id = ? AND task = 'topic'", [doc_id]
        ).fetchone()[0]
    return Labels(
        sentiment[0] if sentiment else None,
        bool(sentiment and sentiment[1]),
        tuple(t for t, _ in topics),
        bool(corrected),
    )
