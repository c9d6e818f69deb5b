"""Editorial-plan exports: CSV, XLSX, ICS (due dates as all-day events) and a Markdown table.

Pure functions (no Streamlit): the app's download buttons and `resonanz export` share them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warehouse.editorial import PlanEntry

from .safe import md_cell

COLUMNS = ("position", "title", "angle", "owner", "channel", "due_date", "status", "origin_kind", "evidence")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _evidence_text(entry: PlanEntry) -> str:
    return " ; ".join(f"{e.title} <{e.url}>" for e in entry.evidence)


def _values(entry: PlanEntry) -> list[str]:
    row = entry.as_row()
    row["evidence"] = _evidence_text(entry)
    row["due_date"] = entry.due_date.isoformat() if entry.due_date else ""
    return ["" if row[c] is None else str(row[c]) for c in COLUMNS]


def _no_formula(value: str) -> str:
    """Cells that a spreadsheet would run as a formula get a leading apostrophe (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(entries: Sequence[PlanEntry]) -> bytes:
    """UTF-8 CSV with a header row (BOM-less; Excel opens it with the data import)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([_no_formula(v) for v in _values(e)] for e in entries)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(entries: Sequence[PlanEntry]) -> bytes:
    """One worksheet 'Editorial plan'; every cell is text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Editorial plan"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, entry in enumerate(entries, start=2):
        for column, value in enumerate(_values(entry), start=1):
            cell = sheet.cell(row=number, column=column)
            cell.value = value
            cell.data_type = "s"  # openpyxl would store "=..." as a formula otherwise
        if entry.due_date:
            due = sheet.cell(row=number, column=COLUMNS.index("due_date") + 1)
            due.value, due.number_format = entry.due_date, "yyyy-mm-dd"
    for column, width in zip("ABCDEFGHI", (9, 48, 48, 18, 12, 12, 10, 10, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_ics(entries: Sequence[PlanEntry], now: datetime | None = None) -> bytes:
    """An iCalendar file: one all-day event per entry with a due date (entries without one are left out)."""
    from icalendar import Calendar, Event

    stamp = now or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//Resonanz//Editorial plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Resonanz editorial plan")
    for entry in entries:
        if entry.due_date is None:
            continue
        event = Event()
        event.add("uid", f"plan-{entry.entry_id}@resonanz")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.due_date)
        event.add("dtend", entry.due_date + timedelta(days=1))
        event.add("summary", f"{entry.title} ({entry.channel})")
        lines = [f"Angle: {entry.angle}", f"Owner: {entry.owner}", f"Status: {entry.status}"]
        lines += [f"Evidence: {e.title} {e.url}" for e in entry.evidence]
        event.add("description", "\n".join(lines))
        event.add("status", "CANCELLED" if entry.status == "dropped" else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def to_markdown(entries: Sequence[PlanEntry]) -> bytes:
    """A Markdown table (GitHub flavour); cell text escaped, evidence as links."""
    header = ["#", "Title", "Angle", "Owner", "Channel", "Due", "Status", "Evidence"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for entry in entries:
        links = ", ".join(f"[{md_cell(e.title)}](<{e.url.replace('>', '%3E')}>)" for e in entry.evidence)
        cells = [
            str(entry.position or ""),
            md_cell(entry.title),
            md_cell(entry.angle),
            md_cell(entry.owner),
            md_cell(entry.channel),
            entry.due_date.isoformat() if entry.due_date else "",
            entry.status,
            links,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return ("# Editorial plan\n\n" + "\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """How one export format is written, named and served."""

    name: str
    extension: str
    mime: str
    render: Callable[[Sequence[PlanEntry]], bytes]


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("CSV", "csv", "text/csv", to_csv),
    "xlsx": ExportFormat(
        "Excel", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx
    ),
    "ics": ExportFormat("Calendar (ICS)", "ics", "text/calendar", to_ics),
    "md": ExportFormat("Markdown", "md", "text/markdown", to_markdown),
}


def export_plan(entries: Sequence[PlanEntry], fmt: str) -> bytes:
    """The plan in format `fmt` (csv | xlsx | ics | md)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[fmt].render(entries)
