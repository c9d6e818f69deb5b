"""Dates as pages and feeds write them, turned into timezone-aware UTC datetimes."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Naive dates written in German ("am 12.10.2026 um 14:03 Uhr") are read as German local time.
GERMAN_TZ = ZoneInfo("Europe/Berlin")
_MIN_YEAR, _MAX_YEAR = 1990, 2100

_GERMAN = re.compile(
    r"(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4})(?:,?\s*(?:um\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:\s*Uhr)?)?"
)
# two-digit years, only with a time: "11.06.12 at 11:06 am" (English "at"/am/pm: month.day.year, UTC),
# "11.06.12 um 14:03" (German: day.month.year, Berlin time)
_SHORT = re.compile(
    r"(?<![\d.])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?P<y>\d{2})(?![\d.])"
    r",?\s*(?:at|um|@|-)?\s*(?P<H>\d{1,2})[:.](?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*Uhr)?",
    re.IGNORECASE,
)
# slashed dates: "08/09/2012 - 13:04", "10/26/2012 at 12:49 PM" (month/day/year unless the first part
# cannot be a month), read as UTC
_SLASH = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?![\d/])"
    r"(?:,?\s*(?:at|um|@|-|–)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2})?\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
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
    r"(?:(?P<d1>\d{1,2})\.?\s+(?P<mon1>[A-Za-zäÄ]{3,9})\.?,?\s+(?P<y1>\d{4})"
    r"|(?P<mon2>[A-Za-z]{3,9})\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4}))"
    r"(?:,?\s*(?:at|um|@|-|–)?\s*(?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2})?\s*(?P<ampm>[ap]\.?m\.?)?)?",
    re.IGNORECASE,
)
# "3 days ago", "an hour ago", "vor 3 Tagen", "vor einer Stunde"
_RELATIVE = re.compile(
    r"\b(?:(?P<n1>\d{1,3}|an?|one)\s+(?P<u1>sec(?:ond)?s?|min(?:ute)?s?|hours?|hrs?|days?|weeks?|months?|years?)"
    r"\s+ago\b"
    r"|vor\s+(?P<n2>\d{1,3}|einem|einer|ein)\s+(?P<u2>Sekunden?|Minuten?|Stunden?|Tag(?:en)?|Wochen?|Monat(?:en)?"
    r"|Jahr(?:en)?)\b)",
    re.IGNORECASE,
)
_UNITS = (
    ("sec", 1),
    ("sek", 1),
    ("min", 60),
    ("h", 3600),
    ("stunde", 3600),
    ("d", 86400),
    ("tag", 86400),
    ("w", 7 * 86400),
    ("mon", 30 * 86400),
    ("y", 365 * 86400),
    ("jahr", 365 * 86400),
)
# "12. Oktober 2026" is German local time; "24 October 2012" and "11. Jul, 2012" are not.
_GERMAN_MONTHS = frozenset(
    {"januar", "jänner", "februar", "märz", "maerz", "mai", "juni", "juli", "oktober", "okt"}
)
_GERMAN_MONTHS |= {"dezember", "dez"}


def _written_german(match: re.Match) -> bool:
    written = match.group(0)
    if match["mon1"].lower().rstrip(".") in _GERMAN_MONTHS or re.search(r"\b(?:um|Uhr)\b", written):
        return True
    return bool(re.match(r"\d{1,2}\.\s", written)) and "," not in written and not match["ampm"]


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


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date found in running text and where it was written (`text[start:end]`)."""

    value: datetime
    start: int
    end: int


def _wordy(match: re.Match) -> datetime | None:
    month = _MONTHS.get((match["mon1"] or match["mon2"] or "").lower().rstrip("."))
    if not month:
        return None
    hour = match["H"]
    if hour and match["ampm"]:
        hour = int(hour) % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    tz = GERMAN_TZ if match["d1"] and _written_german(match) else UTC
    return _build(match["y1"] or match["y2"], month, match["d1"] or match["d2"], hour, match["M"], None, tz)


def _slashed(match: re.Match) -> datetime | None:
    month, day = (match["b"], match["a"]) if int(match["a"]) > 12 else (match["a"], match["b"])
    hour = match["H"]
    if hour and match["ampm"]:
        hour = int(hour) % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
    return _build(match["y"], month, day, hour, match["M"], None, UTC)


def _short(match: re.Match) -> datetime | None:
    hour = int(match["H"])
    if match["ampm"] or re.search(r"\bat\b", match.group(0), re.IGNORECASE):  # English: month.day.year
        if match["ampm"]:
            hour = hour % 12 + (12 if match["ampm"].lower().startswith("p") else 0)
        return _build(2000 + int(match["y"]), match["a"], match["b"], hour, match["M"], None, UTC)
    return _build(2000 + int(match["y"]), match["b"], match["a"], hour, match["M"], None, GERMAN_TZ)


def _relative(match: re.Match, now: datetime) -> datetime | None:
    number = match["n1"] or match["n2"]
    unit = (match["u1"] or match["u2"] or "").lower()
    amount = 1 if number.lower() in ("a", "an", "one", "einem", "einer", "ein") else int(number)
    for prefix, seconds in _UNITS:
        if unit.startswith(prefix):
            return to_utc(now - timedelta(seconds=amount * seconds))
    return None


def find_text_date(text: str | None, now: datetime | None = None) -> DateMatch | None:
    """The first date written in running text, with its span.

    Absolute: `12.10.2026 um 14:03 Uhr`, `am 18. Oktober 2019 um 15:05 Uhr`, `2026-10-12 14:03`,
    `October 18th, 2019 at 3:05 pm`, `11. Jul, 2012`. Relative to `now` (default: the current time):
    `3 days ago`, `vor 3 Tagen`, `an hour ago`, `vor einer Stunde`.
    """
    if not text:
        return None
    candidates: list[DateMatch] = []
    for pattern, build in (
        (_GERMAN, lambda m: _build(m["y"], m["m"], m["d"], m["H"], m["M"], None, GERMAN_TZ)),
        (_ISO, lambda m: _build(m["y"], m["m"], m["d"], m["H"], m["M"], m["S"], UTC)),
    ):
        match = pattern.search(text)
        if match and (value := build(match)):
            candidates.append(DateMatch(value, match.start(), match.end()))
    match = _SLASH.search(text)
    if match and (value := _slashed(match)):
        candidates.append(DateMatch(value, match.start(), match.end()))
    match = _SHORT.search(text)
    if match and (value := _short(match)):
        candidates.append(DateMatch(value, match.start(), match.end()))
    for match in _WORDY.finditer(text):
        if value := _wordy(match):
            candidates.append(DateMatch(value, match.start(), match.end()))
            break
    match = _RELATIVE.search(text)
    if match and (value := _relative(match, now or datetime.now(UTC))):
        candidates.append(DateMatch(value, match.start(), match.end()))
    return min(candidates, key=lambda c: c.start) if candidates else None


def parse_text_date(text: str | None, now: datetime | None = None) -> datetime | None:
    """The first date written in running text (see `find_text_date`)."""
    found = find_text_date(text, now)
    return found.value if found else None


def parse_any(value: str | None) -> datetime | None:
    """An attribute value: ISO first, then epoch seconds/ms, then written-out dates."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", value):
        return from_epoch(value)
    return parse_iso(value) or parse_text_date(value)
