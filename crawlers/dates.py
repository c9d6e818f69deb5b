"""Dates as pages and feeds write them, turned into timezone-aware UTC datetimes."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# Naive dates written in German ("am 12.10.2026 um 14:03 Uhr") are read as German local time.
GERMAN_TZ = ZoneInfo("Europe/Berlin")
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_GERMAN = re.compile(
    r"(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4})(?:,?\s*(?:um\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:\s*Uhr)?)?"
)
_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan", "januar", "jänner"),
            ("february", "feb", "februar"),
            ("march", "mar", "märz", "maerz"),
            ("april", "apr"),
            ("may", "mai"),
            ("june", "jun", "juni"),
            ("july", "jul", "juli"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct", "oktober", "okt"),
            ("november", "nov"),
            ("december", "dec", "dezember", "dez"),
        ]
    )
    for m in names
}
_WORDY = re.compile(
    r"(?:(?P<d1>\d{1,2})\.?\s+(?P<mon1>[A-Za-zäÄ]{3,9})\.?\s+(?P<y1>\d{4})"
    r"|(?P<mon2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))"
    r"(?:,?\s*(?:at|um)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)


def to_utc(value: datetime | None, naive_tz: ZoneInfo | None = None) -> datetime | None:
    """The datetime in UTC; naive values are taken as `naive_tz` (default UTC). Implausible years → None."""
    if value is None or not (_MIN_YEAR <= value.year <= _MAX_YEAR):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=naive_tz or UTC)
    return value.astimezone(UTC)


def from_struct(value: time.struct_time | None) -> datetime | None:
    """feedparser's *_parsed (a UTC struct_time) as an aware datetime."""
    if not value:
        return None
    try:
        return to_utc(datetime(*value[:6], tzinfo=UTC))
    except (TypeError, ValueError, OverflowError):
        return None


def from_epoch(value: str | float | int) -> datetime | None:
    """Unix seconds or milliseconds."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return to_utc(datetime.fromtimestamp(number, tz=UTC))
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp or date (`Z` allowed)."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        match = _ISO.match(text)
        if not match:
            return None
        return _build(match["y"], match["m"], match["d"], match["H"], match["M"], match["S"], UTC)


def _build(y, m, d, hh=None, mm=None, ss=None, tz: ZoneInfo | None = None) -> datetime | None:
    try:
        value = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except (TypeError, ValueError):
        return None
    return to_utc(value, tz)


def parse_text_date(text: str | None) -> datetime | None:
    """The first date written in running text: `12.10.2026 um 14:03 Uhr`, `2026-10-12 14:03`, `Oct 12, 2026`."""
    if not text:
        return None
    candidates: list[tuple[int, datetime]] = []
    match = _GERMAN.search(text)
    if match:
        value = _build(match["y"], match["m"], match["d"], match["H"], match["M"], None, GERMAN_TZ)
        if value:
            candidates.append((match.start(), value))
    match = _ISO.search(text)
    if match:
        value = _build(match["y"], match["m"], match["d"], match["H"], match["M"], match["S"], UTC)
        if value:
            candidates.append((match.start(), value))
    for match in _WORDY.finditer(text):
        month = _MONTHS.get((match["mon1"] or match["mon2"] or "").lower())
        if not month:
            continue
        hour = match["H"]
        if hour and match["ampm"]:
            hour = int(hour) % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
        tz = GERMAN_TZ if match["d1"] else UTC
        value = _build(
            match["y1"] or match["y2"], month, match["d1"] or match["d2"], hour, match["M"], None, tz
        )
        if value:
            candidates.append((match.start(), value))
        break
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def parse_any(value: str | None) -> datetime | None:
    """An attribute value: ISO first, then epoch seconds/ms, then written-out dates."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", value):
        return from_epoch(value)
    return parse_iso(value) or parse_text_date(value)
