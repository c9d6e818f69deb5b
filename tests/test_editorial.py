"""Editorial plan: stored in DuckDB, survives restarts, edits and order; four exports open in their parsers."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from resonanz.cli import main
from ui.exports import FORMATS, export_plan
from warehouse.db import init_db
from warehouse.editorial import (
    Evidence,
    PlanEntry,
    PlanError,
    add_entry,
    delete_entry,
    list_entries,
    move_entry,
    reorder,
    update_entry,
)

HOSTILE = "=HYPERLINK(\"http://evil.example\") <script>alert('x')</script> | pipe"


@pytest.fixture
def plan_db(any_db: Path) -> Path:
    """A plan of three entries, on each warehouse backend."""
    init_db(any_db)
    add_entry(
        any_db,
        PlanEntry(
            title="Data Act: our exit plan",
            angle="What switching means for KontorOne customers",
            owner="Dr. Felix Brandt",
            channel="Blog",
            due_date=date(2026, 12, 10),
            status="planned",
            origin_kind="topic",
            origin_id="et-data-act",
            evidence=(
                Evidence("Switching fees end in January 2027", "http://127.0.0.1:8757/switching-fees/"),
            ),
        ),
    )
    add_entry(
        any_db,
        PlanEntry(
            title=HOSTILE,
            angle="line one\nline two",
            due_date=date(2027, 1, 15),
            origin_kind="question",
            origin_id="qg-datev",
        ),
    )
    add_entry(any_db, PlanEntry(title="No date yet"))
    return any_db


def test_entries_survive_a_restart_in_order(plan_db: Path):
    entries = list_entries(plan_db)  # a fresh read-only connection, as after a restart
    assert [e.position for e in entries] == [1, 2, 3]
    first = entries[0]
    assert (first.title, first.owner, first.due_date, first.status) == (
        "Data Act: our exit plan",
        "Dr. Felix Brandt",
        date(2026, 12, 10),
        "planned",
    )
    assert first.evidence == (
        Evidence("Switching fees end in January 2027", "http://127.0.0.1:8757/switching-fees/"),
    )


def test_adopting_the_same_topic_twice_keeps_one_entry(plan_db: Path):
    again = add_entry(
        plan_db, PlanEntry(title="Data Act again", origin_kind="topic", origin_id="et-data-act")
    )
    assert again == list_entries(plan_db)[0].entry_id
    assert len(list_entries(plan_db)) == 3


def test_edit_move_reorder_delete(plan_db: Path):
    ids = [e.entry_id for e in list_entries(plan_db)]
    update_entry(
        plan_db, ids[2], title="Now dated", due_date="2027-02-01", status="writing", owner="Aylin Demir"
    )
    edited = list_entries(plan_db)[2]
    assert (edited.title, edited.due_date, edited.status, edited.owner) == (
        "Now dated",
        date(2027, 2, 1),
        "writing",
        "Aylin Demir",
    )
    move_entry(plan_db, ids[2], -2)
    assert [e.entry_id for e in list_entries(plan_db)] == [ids[2], ids[0], ids[1]]
    reorder(plan_db, [ids[1]])
    assert [e.entry_id for e in list_entries(plan_db)] == [ids[1], ids[2], ids[0]]
    delete_entry(plan_db, ids[2])
    assert [e.entry_id for e in list_entries(plan_db)] == [ids[1], ids[0]]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "done"}, "status"),
        ({"title": " "}, "title"),
        ({"due_date": "next week"}, "due_date"),
        ({"origin_id": "x"}, "cannot edit origin_id"),
    ],
)
def test_bad_edits_name_the_field(plan_db: Path, changes: dict, message: str):
    with pytest.raises(PlanError, match=message):
        update_entry(plan_db, list_entries(plan_db)[0].entry_id, **changes)


def test_csv_export_parses_and_defuses_formulas(plan_db: Path):
    rows = list(csv.DictReader(io.StringIO(export_plan(list_entries(plan_db), "csv").decode("utf-8"))))
    assert [r["title"] for r in rows] == ["Data Act: our exit plan", "'" + HOSTILE, "No date yet"]
    assert rows[0]["due_date"] == "2026-12-10" and rows[2]["due_date"] == ""
    assert "http://127.0.0.1:8757/switching-fees/" in rows[0]["evidence"]
    assert rows[1]["angle"] == "line one\nline two"


def test_xlsx_export_opens_in_openpyxl_without_formulas(plan_db: Path):
    book = load_workbook(io.BytesIO(export_plan(list_entries(plan_db), "xlsx")))
    sheet = book["Editorial plan"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert [r["title"] for r in rows] == ["Data Act: our exit plan", HOSTILE, "No date yet"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert rows[0]["due_date"].date() == date(2026, 12, 10)


def test_ics_export_has_one_event_per_due_date(plan_db: Path):
    calendar = Calendar.from_ical(export_plan(list_entries(plan_db), "ics"))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2  # the entry without a due date is not an event
    first = events[0]
    assert first.decoded("dtstart") == date(2026, 12, 10)
    assert first.decoded("dtend") == date(2026, 12, 11)
    assert str(first["summary"]) == "Data Act: our exit plan (Blog)"
    assert "Owner: Dr. Felix Brandt" in str(first["description"])
    assert len({str(e["uid"]) for e in events}) == 2


def test_markdown_export_is_a_table_with_escaped_cells(plan_db: Path):
    text = export_plan(list_entries(plan_db), "md").decode("utf-8")
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header, rule, *rows = lines
    cells = re.split(r"(?<!\\)\|", header)[1:-1]
    assert [c.strip() for c in cells] == [
        "#",
        "Title",
        "Angle",
        "Owner",
        "Channel",
        "Due",
        "Status",
        "Evidence",
    ]
    assert re.fullmatch(r"\|(---\|)+", rule) and rule.count("---") == len(cells)
    assert len(rows) == 3
    for row in rows:  # every row has as many unescaped cell separators as the header
        assert len(re.split(r"(?<!\\)\|", row)) == len(re.split(r"(?<!\\)\|", header))
    assert "<script>" not in text and "\\<script\\>" in text
    assert "[Switching fees end in January 2027](<http://127.0.0.1:8757/switching-fees/>)" in text


def _cells(xlsx: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True))


def test_cli_export_writes_every_format(plan_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    for fmt in FORMATS:
        target = tmp_path / f"plan.{fmt}"
        assert main(["export", "--format", fmt, "--output", str(target), "--db", str(plan_db)]) == 0
        expected = export_plan(list_entries(plan_db), fmt)
        if fmt == "xlsx":  # the zip members carry the time of writing: compare the cells
            assert _cells(target.read_bytes()) == _cells(expected)
        elif fmt == "ics":  # DTSTAMP is the time of writing (the two exports may fall in different seconds)
            stamp = re.compile(rb"DTSTAMP:\d{8}T\d{6}Z")
            assert stamp.sub(b"DTSTAMP", target.read_bytes()) == stamp.sub(b"DTSTAMP", expected)
        else:
            assert target.read_bytes() == expected
    assert main(["export", "-f", "md", "--db", str(plan_db)]) == 0
    assert "| 1 | Data Act: our exit plan |" in capsys.readouterr().out


def test_cli_export_without_database_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["export", "-f", "csv", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "resonanz run" in capsys.readouterr().err
