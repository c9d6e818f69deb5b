"""The editorial plan: adopted topics and questions as planned posts, stored in DuckDB.

Every function opens its own short connection (read-only to read, read-write for one small
transaction), so a Streamlit process never holds both kinds at once; writes retry while another
process (a pipeline run) holds the file, and run again after a DuckLake conflict (`transact`).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import duckdb

from .db import DatabaseMissing, read_connection, transact
from .target import Target

STATUSES = ("idea", "planned", "writing", "review", "published", "dropped")
CHANNELS = ("Blog", "Newsletter", "LinkedIn", "Whitepaper", "Webinar", "Press")
ORIGINS = ("topic", "question", "manual")
EDITABLE = ("title", "angle", "owner", "channel", "due_date", "status", "evidence")
WRITE_TIMEOUT_S = 15.0


class PlanError(ValueError):
    """A plan change that cannot be applied; the message names the field or entry."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A document that backs a plan entry."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One planned post."""

    title: str
    angle: str = ""
    owner: str = ""
    channel: str = "Blog"
    due_date: date | None = None
    status: str = "idea"
    origin_kind: str = "manual"
    origin_id: str | None = None
    evidence: tuple[Evidence, ...] = ()
    entry_id: int | None = None
    position: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def as_row(self) -> dict[str, Any]:
        """Plain values for tables and exports (evidence as a list of dicts)."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["evidence"] = [{"title": e.title, "url": e.url} for e in self.evidence]
        return row


def _check(values: dict[str, Any]) -> dict[str, Any]:
    if "title" in values and not str(values["title"] or "").strip():
        raise PlanError("title: a plan entry needs a title")
    if "status" in values and values["status"] not in STATUSES:
        raise PlanError(f"status: {values['status']!r} is not one of {', '.join(STATUSES)}")
    if values.get("origin_kind", "manual") not in ORIGINS:
        raise PlanError(f"origin_kind: {values['origin_kind']!r} is not one of {', '.join(ORIGINS)}")
    due = values.get("due_date")
    if isinstance(due, datetime):
        values["due_date"] = due.date()
    elif isinstance(due, str) and due:
        try:
            values["due_date"] = date.fromisoformat(due)
        except ValueError:
            raise PlanError(f"due_date: {due!r} is not a date (YYYY-MM-DD)") from None
    elif due == "":
        values["due_date"] = None
    if "evidence" in values:
        values["evidence"] = json.dumps(
            [
                {"title": e.title, "url": e.url} if isinstance(e, Evidence) else dict(e)
                for e in values["evidence"]
            ],
            ensure_ascii=False,
        )
    return values


def add_entry(db: Target, entry: PlanEntry) -> int:
    """Append an entry to the end of the plan and return its id.

    Adopting the same topic or question twice returns the existing (not dropped) entry. Ids are
    max + 1 under the plan's write claim (DuckLake has no sequences).
    """
    values = _check({name: getattr(entry, name) for name in (*EDITABLE, "origin_kind", "origin_id")})

    def work(con: duckdb.DuckDBPyConnection) -> int:
        if entry.origin_id is not None:
            found = con.execute(
                "SELECT entry_id FROM editorial_plan WHERE origin_kind = ? AND origin_id = ? AND status <> 'dropped'",
                [entry.origin_kind, entry.origin_id],
            ).fetchone()
            if found:
                return int(found[0])
        entry_id, position = con.execute(
            "SELECT coalesce(max(entry_id), 0) + 1, coalesce(max(position), 0) + 1 FROM editorial_plan"
        ).fetchone()
        names = list(values)
        con.execute(
            f"INSERT INTO editorial_plan ({', '.join(names)}, entry_id, position)"
            f" VALUES ({', '.join('?' for _ in names)}, ?, ?)",
            [*values.values(), entry_id, position],
        )
        return int(entry_id)

    return transact(db, work, claim=("plan",), timeout=WRITE_TIMEOUT_S)


def update_entry(db: Target, entry_id: int, **changes: Any) -> None:
    """Change some of title, angle, owner, channel, due_date, status, evidence of one entry."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise PlanError(f"cannot edit {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    if not changes:
        return
    values = _check(dict(changes))
    assignments = ", ".join(f"{name} = ?" for name in values)

    def work(con: duckdb.DuckDBPyConnection) -> None:
        if not con.execute("SELECT 1 FROM editorial_plan WHERE entry_id = ?", [entry_id]).fetchone():
            raise PlanError(f"no plan entry with id {entry_id}")
        con.execute(
            f"UPDATE editorial_plan SET {assignments}, updated_at = now() WHERE entry_id = ?",
            [*values.values(), entry_id],
        )

    transact(db, work, claim=("plan",), timeout=WRITE_TIMEOUT_S)


def move_entry(db: Target, entry_id: int, steps: int) -> None:
    """Move an entry up (negative steps) or down the plan; the others keep their order."""
    order = [e.entry_id for e in list_entries(db)]
    if entry_id not in order:
        raise PlanError(f"no plan entry with id {entry_id}")
    index = order.index(entry_id)
    order.insert(max(0, min(len(order) - 1, index + steps)), order.pop(index))
    reorder(db, [i for i in order if i is not None])


def reorder(db: Target, entry_ids: list[int]) -> None:
    """Set the plan order: the given ids first, in this order, then any others as they were."""

    def work(con: duckdb.DuckDBPyConnection) -> None:
        current = [
            row[0]
            for row in con.execute(
                "SELECT entry_id FROM editorial_plan ORDER BY position, entry_id"
            ).fetchall()
        ]
        wanted = [i for i in dict.fromkeys(entry_ids) if i in current]
        final = wanted + [i for i in current if i not in wanted]
        con.execute(
            """
            UPDATE editorial_plan AS p SET position = o.position
            FROM (SELECT unnest(ids) AS entry_id, unnest(range(1, len(ids) + 1)) AS position
                  FROM (SELECT ?::INTEGER[] AS ids)) AS o
            WHERE p.entry_id = o.entry_id AND p.position <> o.position
            """,
            [final],
        )

    transact(db, work, claim=("plan",), timeout=WRITE_TIMEOUT_S)


def delete_entry(db: Target, entry_id: int) -> None:
    """Remove an entry from the plan for good (set status 'dropped' to keep it on record)."""
    transact(
        db,
        lambda con: con.execute("DELETE FROM editorial_plan WHERE entry_id = ?", [entry_id]),
        claim=("plan",),
        timeout=WRITE_TIMEOUT_S,
    )


def list_entries(db: Target, include_dropped: bool = True) -> list[PlanEntry]:
    """The plan in its order (empty before anything was stored)."""
    with contextlib.suppress(DatabaseMissing), read_connection(db) as con:
        try:
            cursor = con.execute(
                """
                SELECT entry_id, position, title, angle, owner, channel, due_date, status, origin_kind, origin_id,
                       evidence, created_at, updated_at
                FROM editorial_plan WHERE ? OR status <> 'dropped' ORDER BY position, entry_id
                """,
                [include_dropped],
            )
        except duckdb.CatalogException:  # a database written before the plan existed: no plan yet
            return []
        names = [column[0] for column in cursor.description]
        return [_entry(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]
    return []


def _entry(row: dict[str, Any]) -> PlanEntry:
    links = json.loads(row.pop("evidence") or "[]")
    evidence = tuple(Evidence(str(e.get("title") or e.get("url")), str(e.get("url"))) for e in links)
    return PlanEntry(**row, evidence=evidence)
