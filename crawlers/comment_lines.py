"""The lines of a comment that are not its text: the header (author, date) and reply/permalink chrome.

Blogs write a comment's header in many ways — "Borchert sagt:" / "18. Oktober 2019 um 15:05 Uhr",
"Posted by: Sabrina at October 11, 2012 7:45 AM", "On October 29, 2012 at 2:35am, Rosa said...",
"by james on January 31, 2011 at 9:59 am.", a name line above a date line — and end it with buttons
("Antworten", "Reply", "Permalink", "#"). These rules read author and date out of such lines and drop
them, looking only at the first and last few lines of a comment, so running text is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .dates import find_text_date

_CHROME = frozenset(
    {
        "reply",
        "replies",
        "reply to this comment",
        "reply to comment",
        "log in to reply",
        "login to reply",
        "antworten",
        "antwort",
        "auf diesen kommentar antworten",
        "permalink",
        "link",
        "link to this comment",
        "link zum kommentar",
        "direktlink",
        "quote",
        "zitieren",
        "report",
        "report abuse",
        "report comment",
        "flag",
        "melden",
        "kommentar melden",
        "edit",
        "bearbeiten",
        "delete",
        "löschen",
        "like",
        "gefällt mir",
        "share",
        "teilen",
        "top",
        "back to top",
        "nach oben",
    }
)
_PUNCT = re.compile(r"[\[\]()|·•↓↑»«→←#:*\s]+")
_GLUE = re.compile(
    r"\b(?:posted|written|geschrieben|kommentiert|commented|submitted|by|von|on|at|am|um|uhr|says|said|sagt"
    r"|schreibt|schrieb|meint|wrote|in reply to|not verified|nicht verifiziert|utc|gmt|cet|cest|edt|est"
    r"|pst|pdt|mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag"
    r"|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag)\b|[+-]\d{1,4}\b|^\s*\d{1,4}[.)]"
    r"|\s[-–—]\s|\.\.\.|…|[|:–—#@\[\]()/,;»«]",
    re.IGNORECASE,
)
_SAYS = re.compile(
    r"^(?P<author>.{1,80}?)\s*(?:says|said|sagt|schreibt|schrieb|meint|wrote|writes|commented)\s*(?::|\.\.\.|…)?\s*$",
    re.IGNORECASE,
)
BYLINE_RE = _BY = re.compile(
    r"^\s*(?:posted|written|geschrieben|submitted|kommentiert)?\s*(?:by|von)\s*:?\s+\S", re.IGNORECASE
)
_SAYS_ONLY = re.compile(
    r"(?:says|said|sagt|schreibt|schrieb|meint|wrote|writes)\s*(?::|\.\.\.|…)?", re.IGNORECASE
)
_TIME_ONLY = re.compile(r"[\d\s:.]*(?:[ap]\.?m\.?)?", re.IGNORECASE)
_HEAD, _TAIL = 4, 3  # how many first and last lines may be header or chrome
MAX_HEADER_CHARS = 160


@dataclass(frozen=True, slots=True)
class Header:
    """What a header line says: an author, a date (and the date as written), or both."""

    author: str | None
    date: datetime | None
    date_text: str | None


def is_chrome(line: str) -> bool:
    """A line that is only a button or a number: "Reply", "[Antworten]", "#", "12."."""
    key = " ".join(_PUNCT.sub(" ", line.lower()).split()).rstrip(".")
    return not key or key in _CHROME or bool(re.fullmatch(r"\d{1,4}", key))


def clean_author(text: str | None) -> str | None:
    """A name without header glue ("Posted by", "says:", "(not verified)"); None when nothing is left."""
    if not text:
        return None
    match = _SAYS.match(text.strip())
    name = match["author"] if match else text
    name = re.sub(r"^\s*(?:posted|written|geschrieben|submitted)?\s*(?:by|von)\s*:?\s+", "", name, flags=re.I)
    name = re.sub(r"\((?:not verified|nicht verifiziert)\)", "", name, flags=re.I)
    name = " ".join(name.split()).strip(" ,.;:-–—|#@")
    return name[:200] or None


def parse_header(line: str, now: datetime | None = None) -> Header | None:
    """Author and/or date of a header line; None when the line reads as text."""
    line = line.strip()
    if not line or len(line) > MAX_HEADER_CHARS:
        return None
    found = find_text_date(line, now)
    rest = f"{line[: found.start]} {line[found.end :]}" if found else line
    says = _SAYS.match(rest.strip(" ,.;-–—|"))
    if not (found or says or _BY.match(rest)):
        return None
    name = " ".join(_GLUE.sub(" ", says["author"] if says else rest).split()).strip(" .,;-–")
    name = re.sub(r"(?:^|\s)\d{3,}\b", " ", name).strip()  # user and comment numbers: "2691543 malikai"
    if _TIME_ONLY.fullmatch(name):  # "at 2:23 pm" left over: a time, not a name
        name = ""
    words = name.split()
    if len(words) > 6 or (found is None and not says and len(words) > 4):
        return None
    if found and not says and line.rstrip()[-1:] in "!?" and len(words) > 2:  # a sentence with a date in it
        return None
    return Header(
        name or None, found.value if found else None, line[found.start : found.end] if found else None
    )


def is_name_line(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 5 and len(line) <= 60 and not is_chrome(line) and line[-1:] not in ".!?"


def split_header(
    lines: list[str], now: datetime | None = None, author: str | None = None
) -> tuple[list[str], Header]:
    """The comment's lines without header and chrome lines at its start and end, and what the header said.

    `author` (from markup) is dropped where it stands alone or as "<author> says:".
    """
    found_author, found_date, date_text = None, None, None
    keep = list(lines)
    known = (author or "").strip().lower()

    def take(index: int) -> bool:
        nonlocal found_author, found_date, date_text
        line = keep[index]
        if is_chrome(line) or (known and (clean_author(line) or "").lower() == known):
            return True
        header = parse_header(line, now)
        if header is None:
            return False
        found_author = found_author or header.author
        if header.date and found_date is None:
            found_date, date_text = header.date, header.date_text
        return True

    head = 0
    while head < min(_HEAD, len(keep)):
        if take(head):
            head += 1
            continue
        # a bare name line above a date line: "Camaleont" / "Posted October 28, 2012 at 10:31 pm"
        following = parse_header(keep[head + 1], now) if head + 1 < len(keep) else None
        says_next = head + 1 < len(keep) and _SAYS_ONLY.fullmatch(keep[head + 1].strip())
        dated_next = following is not None and following.date is not None and not following.author
        if found_author is None and is_name_line(keep[head]) and (says_next or dated_next):
            found_author = keep[head].strip()
            take(head + 1)
            head += 2
            continue
        break
    keep = keep[head:]
    tail = len(keep)
    while tail > 0 and len(keep) - tail < _TAIL and take(tail - 1):
        tail -= 1
    return keep[:tail], Header(found_author, found_date, date_text)
